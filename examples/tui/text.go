package main

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// screenLines turns a message from the room into the lines to show. The
// text comes from anyone in the room, so it must not reach the terminal
// as it is: an escape sequence in a message could move the cursor, change
// the window title or worse. Every control character but the newline,
// which splits lines, is shown as U+FFFD; a tab becomes spaces.
func screenLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		lines[i] = strings.Map(func(r rune) rune {
			switch {
			case r == '\t':
				return ' '
			case unicode.IsControl(r):
				return unicode.ReplacementChar
			}
			return r
		}, line)
	}
	return lines
}

// wrap cuts line, which holds no escape sequences, into rows of at most
// width cells, at spaces where it can.
func wrap(line string, width int) []string {
	if width <= 0 || ansi.StringWidth(line) <= width {
		return []string{line}
	}
	return strings.Split(ansi.Wrap(line, width, ""), "\n")
}

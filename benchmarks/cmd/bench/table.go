package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is a result table, printed as aligned text or as Markdown.
type table struct {
	title  string // the workload's name
	desc   string // what it does
	header []string
	rows   [][]string
	notes  []string // printed after the table
	lead   string   // wsconn's standing, printed prominently
}

// print writes t to w, as Markdown if md.
func (t *table) print(w io.Writer, md bool) {
	if md {
		t.printMarkdown(w)
	} else {
		t.printText(w)
	}
}

func (t *table) printText(w io.Writer) {
	fmt.Fprintf(w, "\n== %s: %s\n", t.title, t.desc)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	if t.lead != "" {
		fmt.Fprintf(w, ">> %s\n", t.lead)
	}
	for _, n := range t.notes {
		fmt.Fprintf(w, "   %s\n", n)
	}
}

func (t *table) printMarkdown(w io.Writer) {
	fmt.Fprintf(w, "\n### %s\n\n%s.\n\n", t.title, t.desc)
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.header, " | "))
	align := make([]string, len(t.header))
	for i := range align {
		align[i] = "---:"
	}
	align[0] = ":---"
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
	if t.lead != "" {
		fmt.Fprintf(w, "\n**%s**\n", t.lead)
	}
	if len(t.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

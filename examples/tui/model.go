package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/wsapp"
)

// maxLines bounds the lines of the room kept for display.
const maxLines = 1000

// state is what the status line says about the connection.
type state string

const (
	stateConnecting   state = "connecting"   // no connection has opened yet
	stateConnected    state = "connected"    // a connection is open
	stateReconnecting state = "reconnecting" // it was lost: waiting or dialling again
	stateClosing      state = "closing"      // the user quits: closing with 1000
	stateClosed       state = "closed"
)

// model is the Bubble Tea model: the screen's state and the chat's. It is
// a pointer that Update returns unchanged, because the connection's
// callbacks (session.go), which run inside Update through the uiLoop,
// change it too. Every field is touched by the UI loop alone, so nothing
// here is locked.
type model struct {
	cfg  config
	ui   *uiLoop
	app  *wsapp.App
	stop context.CancelFunc // cancels the context of app.RunForever

	conn     *wsconn.WebsocketConnection // the open connection, nil between connections
	state    state
	detail   string // what the status line says after the state
	opened   bool   // a connection has opened once
	failures int    // failed dials since the last connection opened
	quitting bool

	lines         []string // the room's lines, oldest first, without escapes
	input         textinput.Model
	width, height int
}

// runEndedMsg tells Update that app.RunForever has returned, after the
// user quit: the program can end.
type runEndedMsg struct{}

var statusStyle = lipgloss.NewStyle().Reverse(true)

func newModel(cfg config, ui *uiLoop, stop context.CancelFunc) *model {
	in := textinput.New()
	in.Prompt = "> "
	in.Placeholder = "type a message, Enter sends it, Esc quits"
	in.Cursor.SetMode(cursor.CursorStatic) // no blink: no redraws while idle
	in.Focus()
	m := &model{cfg: cfg, ui: ui, stop: stop, state: stateConnecting, input: in}
	m.app = m.newApp()
	return m
}

// Init is part of tea.Model; the connection starts from run.
func (m *model) Init() tea.Cmd { return nil }

// Update handles a key, a resize, or a batch of connection callbacks.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case drainMsg:
		m.ui.drain() // the wsconn and wsapp callbacks run here
		return m, nil
	case runEndedMsg:
		return m, tea.Quit
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.Width = max(msg.Width-ansi.StringWidth(m.input.Prompt)-1, 1)
		return m, nil
	case tea.KeyMsg:
		switch msg.Type {
		case tea.KeyCtrlC, tea.KeyEsc:
			return m, m.quit()
		case tea.KeyEnter:
			m.send()
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// send sends the input line to the room as "NAME: TEXT". Nothing is
// shown now: the line appears when the server sends it back to the room,
// so the screen shows what the room got. Without a connection the text
// stays in the input line for a later Enter.
func (m *model) send() {
	text := strings.TrimSpace(m.input.Value())
	if text == "" {
		return
	}
	if m.conn == nil {
		m.note("not connected: the message waits in the input line")
		return
	}
	if err := m.conn.SendText(m.cfg.name + ": " + text); err != nil {
		m.note("not sent: " + err.Error())
		return
	}
	m.input.Reset()
}

// quit closes the connection with 1000; the program ends when RunForever
// has returned (runEndedMsg), so that the closing handshake is done. A
// second Ctrl+C or Esc ends it at once.
func (m *model) quit() tea.Cmd {
	if m.quitting {
		return tea.Quit
	}
	m.quitting = true
	m.setState(stateClosing, "")
	m.app.Close(wsconn.CloseNormal, "bye")
	// Cancelling too cuts short a dial or a reconnect wait, and stops a
	// RunForever that has not begun yet (App.Close then does nothing).
	// A connection that is open closes with the 1000 given to Close.
	m.stop()
	return nil
}

func (m *model) setState(s state, detail string) {
	m.state, m.detail = s, detail
}

// addLines appends lines to the room's, dropping the oldest past maxLines.
func (m *model) addLines(lines ...string) {
	m.lines = append(m.lines, lines...)
	if over := len(m.lines) - maxLines; over > 0 {
		m.lines = append(m.lines[:0], m.lines[over:]...)
	}
}

// note adds a line of the program's own, marked with "* ".
func (m *model) note(text string) {
	for _, l := range screenLines(text) {
		m.addLines("* " + l)
	}
}

// View draws the status line, the last lines of the room that fit, and
// the input line at the bottom.
func (m *model) View() string {
	var b strings.Builder
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	if rows := m.height - 2; rows > 0 {
		shown := m.lastRows(rows)
		for range rows - len(shown) {
			b.WriteByte('\n')
		}
		for _, r := range shown {
			b.WriteString(r)
			b.WriteByte('\n')
		}
	}
	b.WriteString(m.input.View())
	return b.String()
}

// statusLine is the first line: the state first, so that it is never
// cut off.
func (m *model) statusLine() string {
	s := fmt.Sprintf("status: %s · #%s as %s", m.state, m.cfg.room, m.cfg.name)
	if m.detail != "" {
		s += " · " + m.detail
	}
	if m.width <= 0 {
		return s
	}
	s = ansi.Truncate(s, m.width, "…")
	return statusStyle.Render(s + strings.Repeat(" ", m.width-ansi.StringWidth(s)))
}

// lastRows returns the last rows of the room's lines, wrapped to the
// window's width.
func (m *model) lastRows(rows int) []string {
	var out []string
	for i := len(m.lines) - 1; i >= 0 && len(out) < rows; i-- {
		out = append(wrap(m.lines[i], m.width), out...)
	}
	return out[max(len(out)-rows, 0):]
}

package main

import (
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// loopModel runs the uiLoop's functions in its Update, as the program's
// model does, and quits once told to.
type loopModel struct {
	ui   *uiLoop
	quit bool
}

func (m *loopModel) Init() tea.Cmd { return nil }
func (m *loopModel) View() string  { return "" }

func (m *loopModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(drainMsg); ok {
		m.ui.drain()
	}
	if m.quit {
		return m, tea.Quit
	}
	return m, nil
}

// Functions given to Invoke run on Bubble Tea's loop, in order, whether
// they come from another goroutine or from a function on the loop, which
// wsconn does when a handler closes the connection: Invoke must not wait
// for the loop there, or it would wait for itself.
func TestInvokeRunsOnTheLoopInOrder(t *testing.T) {
	ui := newUILoop()
	m := &loopModel{ui: ui}
	p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithoutRenderer(), tea.WithoutSignalHandler())
	done := make(chan struct{})
	defer close(done)
	go ui.forward(p, done)

	const n = 1000
	var got []int // only touched on the loop
	go func() {
		for i := range n {
			ui.Invoke(func() {
				got = append(got, i)
				if i == n-1 {
					// From the loop: queued behind, run later.
					ui.Invoke(func() { got = append(got, n) })
					ui.Invoke(func() { m.quit = true })
				}
			})
		}
	}()

	ran := make(chan error, 1)
	go func() {
		_, err := p.Run()
		ran <- err
	}()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		p.Kill()
		t.Fatalf("the loop did not run the functions within %v", waitLimit)
	}
	if len(got) != n+1 {
		t.Fatalf("ran %d functions, want %d", len(got), n+1)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("function %d ran as number %d", v, i)
		}
	}
}

package main

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wsconn/wsconn/mainloop"
)

// uiLoop is the wsconn.MainContext of the program: every function that
// wsconn (and wsapp, which runs the connection) gives to Invoke runs on
// Bubble Tea's event loop, inside the model's Update, like a key press.
// So the model is only ever touched by one goroutine, the one running
// Update and View, and holds no lock.
//
// Why not call Program.Send from Invoke directly? Send waits until the
// event loop takes the message: Invoke would then block while Update
// runs, and deadlock when Update itself makes wsconn invoke something
// (a send or a close from a key press may do that). The MainContext
// contract asks for the opposite: Invoke queues f and returns at once.
// So the functions wait in a mainloop.Loop, which is an unbounded FIFO
// safe for any goroutine, and Invoke only leaves a token in kick. A
// goroutine of ours (forward) turns each token into a drainMsg, waiting
// in Send for as long as the UI is busy; Update answers a drainMsg by
// running, in order, everything queued so far (Iterate). Functions queued
// meanwhile leave a new token, so none waits unseen, and a flood of
// messages reaches the UI in batches that alternate with key presses
// instead of starving them.
type uiLoop struct {
	queue *mainloop.Loop
	kick  chan struct{} // holds a token while a drain is due
}

// drainMsg asks Update to run the functions queued on the uiLoop.
type drainMsg struct{}

func newUILoop() *uiLoop {
	return &uiLoop{queue: mainloop.New(), kick: make(chan struct{}, 1)}
}

// Invoke queues f to run on the UI loop and returns without running it.
func (l *uiLoop) Invoke(f func()) {
	l.queue.Invoke(f)
	select {
	case l.kick <- struct{}{}:
	default: // a drain is due already, and will run f too
	}
}

// drain runs the functions queued so far, in order. Update calls it for
// a drainMsg, so they run on the UI loop.
func (l *uiLoop) drain() {
	l.queue.Iterate(false)
}

// forward sends p a drainMsg for every token until done is closed. It
// runs on a goroutine of its own from before p.Run; Send blocks until the
// event loop runs, and returns at once once it has stopped.
func (l *uiLoop) forward(p *tea.Program, done <-chan struct{}) {
	for {
		select {
		case <-l.kick:
			p.Send(drainMsg{})
		case <-done:
			return
		}
	}
}

// runDetached runs the queued functions, and those that come, on a
// goroutine of its own until stop is called: for the end of the program,
// after Bubble Tea's loop has returned, so that the connection's last
// callbacks still run while it closes. The model then belongs to that
// goroutine, as nothing else touches it any more.
func (l *uiLoop) runDetached() (stop func()) {
	done := make(chan struct{})
	go func() {
		l.queue.Run()
		close(done)
	}()
	return func() {
		l.queue.Quit()
		<-done
	}
}

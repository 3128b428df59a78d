package wsconn

import "sync"

// Loop is a minimal MainContext for programs that have no event loop of
// their own: functions given to Invoke run one at a time, in order, on the
// goroutine that calls Run or Iterate.
type Loop struct {
	mu    sync.Mutex
	queue []func()
	wake  chan struct{} // has a token while queue is not empty or Quit was called
	quit  bool
}

// NewLoop returns an empty loop.
func NewLoop() *Loop {
	return &Loop{wake: make(chan struct{}, 1)}
}

// Invoke queues f to run on the loop. It never runs f itself.
func (l *Loop) Invoke(f func()) {
	l.mu.Lock()
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	l.signal()
}

func (l *Loop) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Iterate runs the functions queued so far and reports whether it ran
// any. With mayBlock it first waits until there is one, or until Quit.
func (l *Loop) Iterate(mayBlock bool) bool {
	if mayBlock {
		l.mu.Lock()
		empty := len(l.queue) == 0 && !l.quit
		l.mu.Unlock()
		if empty {
			<-l.wake
		}
	}
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, f := range batch {
		f()
	}
	return len(batch) > 0
}

// Run runs queued functions as they come until Quit is called. Functions
// queued before Quit run before Run returns.
func (l *Loop) Run() {
	for {
		l.Iterate(true)
		l.mu.Lock()
		done := l.quit && len(l.queue) == 0
		if done {
			l.quit = false
		}
		l.mu.Unlock()
		if done {
			return
		}
	}
}

// Quit makes Run return once the functions already queued have run; called
// while Run is not running, it makes the next Run return. It may be called
// from any goroutine, including from a function on the loop.
func (l *Loop) Quit() {
	l.mu.Lock()
	l.quit = true
	l.mu.Unlock()
	l.signal()
}

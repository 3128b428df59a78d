// Package serial queues functions that run one at a time, in the order
// they were queued: on a goroutine of the queue's own, or on whichever
// goroutine drains the queue.
package serial

import "sync"

// Queue is a queue of functions. The zero value is an empty queue.
type Queue struct {
	mu      sync.Mutex
	funcs   []func()
	running bool // Go's goroutine runs
}

// Push queues f for Drain and reports whether the queue was empty.
func (q *Queue) Push(f func()) (wasEmpty bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	wasEmpty = len(q.funcs) == 0
	q.funcs = append(q.funcs, f)
	return wasEmpty
}

// Len returns the number of functions queued.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.funcs)
}

// Drain runs the functions queued so far, in order, and returns how many
// it ran. Functions queued meanwhile wait for the next Drain.
func (q *Queue) Drain() int {
	q.mu.Lock()
	batch := q.funcs
	q.funcs = nil
	q.mu.Unlock()
	for _, f := range batch {
		f()
	}
	return len(batch)
}

// Go queues f to run on a goroutine of the queue's own, which exists only
// while functions are queued. A queue used with Go must not be drained
// otherwise.
func (q *Queue) Go(f func()) {
	q.mu.Lock()
	q.funcs = append(q.funcs, f)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.run()
	}
}

func (q *Queue) run() {
	for {
		q.mu.Lock()
		if len(q.funcs) == 0 {
			q.running = false
			q.funcs = nil
			q.mu.Unlock()
			return
		}
		f := q.funcs[0]
		q.funcs[0] = nil
		q.funcs = q.funcs[1:]
		q.mu.Unlock()
		f()
	}
}

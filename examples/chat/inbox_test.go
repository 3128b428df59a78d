package main

import (
	"fmt"
	"sync"
	"time"
)

// An inbox holds what a goroutine receives (a process's output lines, a
// client's messages) until the test has seen enough of it.
type inbox struct {
	mu      sync.Mutex
	items   []string
	done    bool          // nothing more will come
	err     error         // why, when done
	changed chan struct{} // closed and replaced on every change
}

func newInbox() *inbox { return &inbox{changed: make(chan struct{})} }

func (b *inbox) put(item string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, item)
	close(b.changed)
	b.changed = make(chan struct{})
}

// finish marks the end of the items, for err.
func (b *inbox) finish(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.err = true, err
	close(b.changed)
	b.changed = make(chan struct{})
}

// snapshot returns the items so far, and whether they are all.
func (b *inbox) snapshot() ([]string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.items...), b.done
}

// wait waits up to timeout until ok holds of the items, and returns
// them. It fails when the items end or time runs out first.
func (b *inbox) wait(timeout time.Duration, what string, ok func(items []string) bool) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		items, done, err, changed := b.items, b.done, b.err, b.changed
		b.mu.Unlock()
		if ok(items) {
			return append([]string(nil), items...), nil
		}
		if done {
			return items, fmt.Errorf("ended (%v) before %s; got %d: %s", err, what, len(items), abbreviate(items))
		}
		select {
		case <-changed:
		case <-deadline.C:
			return items, fmt.Errorf("not %s in %v; got %d: %s", what, timeout, len(items), abbreviate(items))
		}
	}
}

// waitEnd waits up to timeout for the end of the items.
func (b *inbox) waitEnd(timeout time.Duration) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		items, done, err, changed := b.items, b.done, b.err, b.changed
		b.mu.Unlock()
		if done {
			return append([]string(nil), items...), err
		}
		select {
		case <-changed:
		case <-deadline.C:
			return items, fmt.Errorf("no end in %v", timeout)
		}
	}
}

// abbreviate shows items in a failure message, each cut to 80 bytes.
func abbreviate(items []string) string {
	const most = 40
	var out []string
	for i, s := range items {
		if i == most {
			out = append(out, fmt.Sprintf("... %d more", len(items)-most))
			break
		}
		if len(s) > 80 {
			s = fmt.Sprintf("%s... (%d bytes)", s[:80], len(s))
		}
		out = append(out, fmt.Sprintf("%q", s))
	}
	return fmt.Sprint(out)
}

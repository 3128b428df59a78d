//go:build linux

package interop

import (
	"context"
	"fmt"
	"sync"
)

// An inbox collects the events of one side of the suite, in the order they
// happened, until a check takes them. Taking an event removes it; events
// that no check asks for stay and cost only memory.
type inbox[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{} // closed and replaced when items grow
}

func newInbox[T any]() *inbox[T] {
	return &inbox[T]{changed: make(chan struct{})}
}

// put adds an item and wakes the waiters.
func (b *inbox[T]) put(item T) {
	b.mu.Lock()
	b.items = append(b.items, item)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// take removes and returns the first item that match accepts, waiting for
// one until ctx is done.
func (b *inbox[T]) take(ctx context.Context, match func(T) bool) (T, error) {
	for {
		b.mu.Lock()
		for i, item := range b.items {
			if match(item) {
				b.items = append(b.items[:i], b.items[i+1:]...)
				b.mu.Unlock()
				return item, nil
			}
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("no such event in time: %w", context.Cause(ctx))
		}
	}
}

// find reports whether an item that match accepts is there, without
// removing it.
func (b *inbox[T]) find(match func(T) bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, item := range b.items {
		if match(item) {
			return true
		}
	}
	return false
}

package mainloop_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wsconn/wsconn/mainloop"
)

func TestIterate(t *testing.T) {
	l := mainloop.New()
	assert.False(t, l.Iterate(false))
	var n int
	l.Invoke(func() { n++ })
	l.Invoke(func() { n++ })
	assert.True(t, l.Iterate(true))
	assert.Equal(t, 2, n)
	l.Quit()
	l.Run() // returns at once: Quit came first
}

func TestRunUntilQuit(t *testing.T) {
	l := mainloop.New()
	var order []int
	var running atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run()
	}()
	for i := 0; i < 100; i++ {
		l.Invoke(func() {
			if running.Add(1) != 1 {
				t.Error("functions overlapped")
			}
			order = append(order, i)
			running.Add(-1)
		})
	}
	l.Invoke(l.Quit) // from a function on the loop
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Quit")
	}
	for i, v := range order {
		assert.Equal(t, i, v)
	}
	assert.Len(t, order, 100)
}

package serial

import (
	"sync"
	"testing"
	"time"
)

func TestGoRunsInOrderOneAtATime(t *testing.T) {
	var q Queue
	var mu sync.Mutex
	var got []int
	busy := false
	done := make(chan struct{})
	for i := 0; i < 1000; i++ {
		q.Go(func() {
			mu.Lock()
			if busy {
				t.Error("functions overlapped")
			}
			busy = true
			got = append(got, i)
			busy = false
			mu.Unlock()
			if i == 999 {
				close(done)
			}
		})
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("not run")
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("got %d at %d", v, i)
		}
	}
}

func TestPushDrain(t *testing.T) {
	var q Queue
	if !q.Push(func() {}) {
		t.Error("the first Push found the queue empty")
	}
	if q.Push(func() {}) {
		t.Error("the second Push did not")
	}
	if n := q.Drain(); n != 2 || q.Len() != 0 {
		t.Errorf("Drain ran %d, %d left", n, q.Len())
	}
}

package bufpool

import "testing"

func TestGetLengthAndCapacity(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 65537, 1 << 24, 1<<24 + 1} {
		p := Get(n)
		if len(*p) != n {
			t.Fatalf("Get(%d): len %d", n, len(*p))
		}
		if n <= 1<<maxShift {
			c := cap(*p)
			if c&(c-1) != 0 || c < n {
				t.Fatalf("Get(%d): cap %d is not a class size", n, c)
			}
		}
		Put(p)
	}
}

func TestPutIgnoresForeignBuffers(t *testing.T) {
	b := make([]byte, 100, 700) // not a class size
	Put(&b)
	Put(nil)
	p := Get(600)
	if cap(*p) != 1024 {
		t.Fatalf("Get(600) cap = %d, want 1024", cap(*p))
	}
}

func TestReuseDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	Put(Get(3000))
	allocs := testing.AllocsPerRun(100, func() { Put(Get(3000)) })
	if allocs > 0 {
		t.Fatalf("Get/Put allocated %.1f times per run", allocs)
	}
}

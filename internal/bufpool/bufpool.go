// Package bufpool keeps byte buffers in size classes so that the send and
// read paths of a connection reuse memory instead of allocating per message.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 9  // 512 B, the smallest class
	maxShift = 24 // 16 MiB, the largest pooled class
)

var pools [maxShift - minShift + 1]sync.Pool

// class returns the index of the smallest class holding n bytes, or -1 if
// n is larger than the largest class.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	s := bits.Len(uint(n - 1))
	if s > maxShift {
		return -1
	}
	return s - minShift
}

// Get returns a buffer of length n. Its contents are unspecified.
func Get(n int) *[]byte {
	c := class(n)
	if c < 0 {
		b := make([]byte, n)
		return &b
	}
	if p, _ := pools[c].Get().(*[]byte); p != nil {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<(c+minShift))
	return &b
}

// Put returns a buffer obtained from Get to its pool. The caller must not
// use it afterwards.
func Put(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	// Only buffers whose capacity is exactly a class size go back, so that
	// a buffer in class k always holds 1<<(k+minShift) bytes.
	if c < 1<<minShift || c > 1<<maxShift || c&(c-1) != 0 {
		return
	}
	pools[bits.Len(uint(c))-1-minShift].Put(p)
}

package load

import (
	"math"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v += 1 + v/100 {
		b := bucketOf(v)
		if b < prev || lowest(b) > v || (b+1 < numBuckets && lowest(b+1) <= v) {
			t.Fatalf("value %d: bucket %d [%d, %d), previous bucket %d", v, b, lowest(b), lowest(b+1), prev)
		}
		prev = b
	}
	if b := bucketOf(math.MaxUint64); b != numBuckets-1 {
		t.Errorf("largest value in bucket %d of %d", b, numBuckets)
	}
}

func TestQuantile(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.quantile(c.q)
		if diff := math.Abs(float64(got-c.want)) / float64(c.want); diff > 1.0/64 {
			t.Errorf("quantile %v = %v, want %v within 1/64", c.q, got, c.want)
		}
	}
	var empty histogram
	if q := empty.quantile(0.5); q != 0 {
		t.Errorf("quantile of nothing = %v", q)
	}
}

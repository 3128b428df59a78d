package load

import (
	"math/bits"
	"time"
)

// Latencies are counted in log-linear buckets: exact below 2^subBits
// nanoseconds, then 2^(subBits-1) buckets per power of two, so that a
// quantile is off by less than 1/64 of its value. Recording costs a few
// instructions and no allocation.
const (
	subBits    = 7
	subBuckets = 1 << (subBits - 1)
	numBuckets = (64 - subBits + 2) * subBuckets
)

// histogram counts latencies.
type histogram struct {
	counts [numBuckets]uint64
	total  uint64
}

// bucketOf returns the bucket of v nanoseconds.
func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	shift := bits.Len64(v) - subBits
	return (shift+1)*subBuckets + int(v>>shift) - subBuckets
}

// lowest returns the smallest value of bucket i.
func lowest(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	shift := i/subBuckets - 1
	return uint64(i%subBuckets+subBuckets) << shift
}

// record counts one latency.
func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(uint64(max(d, 0)))]++
	h.total++
}

// merge adds the counts of o to h.
func (h *histogram) merge(o *histogram) {
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.total += o.total
}

// quantile returns the latency under which a fraction q of the recorded
// ones fall: the middle of its bucket. It returns 0 if none was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total-1)) + 1
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			lo := lowest(i)
			hi := lo + 1
			if i+1 < numBuckets {
				hi = lowest(i + 1)
			}
			return time.Duration(lo + (hi-lo)/2)
		}
	}
	return time.Duration(lowest(numBuckets - 1))
}

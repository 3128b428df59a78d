package extensions

import (
	"bytes"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bitWriter writes bits from the least significant bit of each byte on,
// as DEFLATE does.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v, n int) {
	w.acc |= uint64(v) << w.n
	for w.n += uint(n); w.n >= 8; w.n -= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
	}
}

// code writes a Huffman code, its most significant bit first.
func (w *bitWriter) code(c, n int) {
	for i := n - 1; i >= 0; i-- {
		w.bits(c>>i&1, 1)
	}
}

// zeros writes n zero bits, a byte at a time where it can.
func (w *bitWriter) zeros(n int) {
	for ; n > 0 && w.n != 0; n-- {
		w.bits(0, 1)
	}
	w.b = append(w.b, make([]byte, n/8)...)
	w.bits(0, n%8)
}

// zeroBomb returns a compressed message (RFC 7692: sync-flushed, marker
// removed) that inflates to n zero bytes, 2 bits per 258 of them: one
// dynamic block whose literal/length code gives length 258 a 1-bit code
// and the literal 0 and end of block 2-bit ones, and whose distance code
// has distance 1 alone.
func zeroBomb(n int) []byte {
	w := &bitWriter{}
	w.bits(0, 1) // not final
	w.bits(2, 2) // dynamic Huffman codes
	w.bits(286-257, 5)
	w.bits(0, 5) // HDIST: one distance code
	w.bits(18-4, 4)
	// Code length code: 18 (a run of zeros) is "0", lengths 1 and 2 are
	// "10" and "11".
	clen := map[int]int{18: 1, 1: 2, 2: 2}
	for _, sym := range codeLengthOrder[:18] {
		w.bits(clen[sym], 3)
	}
	const len1, len2 = 0b10, 0b11
	zeroRun := func(n int) {
		w.code(0, 1)
		w.bits(n-11, 7)
	}
	w.code(len2, 2) // literal 0: length 2
	zeroRun(138)    // 1 to 138
	zeroRun(117)    // 139 to 255
	w.code(len2, 2) // 256, end of block: length 2
	zeroRun(28)     // 257 to 284
	w.code(len1, 2) // 285, length 258: length 1
	w.code(len1, 2) // distance 1: length 1
	// Canonical codes: 285 is "0", literal 0 "10", end of block "11";
	// distance 1 is "0".
	w.code(0b10, 2)
	n--
	w.zeros(2 * (n / 258))
	for i := 0; i < n%258; i++ {
		w.code(0b10, 2)
	}
	w.code(0b11, 2)
	// The sync flush's empty stored block, without its length.
	w.bits(0, 3)
	w.zeros(int(8-w.n) % 8)
	return w.b
}

var gibBomb = sync.OnceValue(func() []byte { return zeroBomb(1 << 30) })

func TestZeroBomb(t *testing.T) {
	for _, n := range []int{1, 258, 259, 1000, 100000} {
		b := zeroBomb(n)
		out, _, err := refInflate(append(b, syncMarker...), nil)
		require.NoError(t, err, n)
		assert.Equal(t, make([]byte, n), out)
		out, err = inflate(b, nil, 0)
		require.NoError(t, err, n)
		assert.Equal(t, make([]byte, n), out)
	}
	assert.Less(t, len(gibBomb()), 1100<<10, "1 GiB from about 1 MiB")
}

func TestInflateBomb(t *testing.T) {
	_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	bomb := gibBomb()
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := s.ProcessIncoming(&Message{RSV: rsv1, Payload: bomb}, limit)
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, ErrTooBig)
	// Chunks of output up to limit+1 bytes, and no copy of the input:
	// about 1.1 MiB, for a message of 1 GiB.
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(limit+limit/2), "allocated %d bytes", allocated)
	t.Logf("a %d-byte message that inflates to 1 GiB, limit %d: %d bytes allocated", len(bomb), limit, allocated)

	// Without a limit, the whole of a smaller bomb comes out.
	in := Message{RSV: rsv1, Payload: zeroBomb(16 << 20)}
	require.NoError(t, s.ProcessIncoming(&in, 0))
	assert.Equal(t, 16<<20, len(in.Payload))
}

// TestInflateBombMemory inflates a message that would inflate to 1 GiB
// of zeros, with limits of 16 and 64 MiB and the pools emptied: what is
// allocated until it is refused is about one limit's worth of output,
// without regrowth nor a copy of the input. TotalAlloc is exact and gives
// the bound; the peak heap, sampled, is only logged.
func TestInflateBombMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 80 MiB")
	}
	bomb := gibBomb()
	for _, limit := range []int{16 << 20, 64 << 20} {
		t.Run(fmt.Sprintf("limit=%dMiB", limit>>20), func(t *testing.T) {
			_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
			var err error
			allocated, peak := measureHeap(func() {
				err = s.ProcessIncoming(&Message{RSV: rsv1, Payload: bomb}, limit)
			})
			require.ErrorIs(t, err, ErrTooBig)
			t.Logf("a %d-byte message that inflates to 1 GiB, limit %d MiB: %.1f MiB allocated, heap peak +%.1f MiB",
				len(bomb), limit>>20, float64(allocated)/(1<<20), float64(peak)/(1<<20))
			assert.LessOrEqual(t, allocated, uint64(limit+limit/4+4<<20), "bytes allocated")
		})
	}
}

// measureHeap runs f once the pools are emptied, and returns the bytes
// allocated meanwhile and the growth of the heap at its peak, sampled
// every millisecond.
func measureHeap(f func()) (allocated, peak uint64) {
	runtime.GC()
	runtime.GC() // a second cycle frees what sync.Pool kept
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done, sampled := make(chan struct{}), make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var highest uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			highest = max(highest, ms.HeapAlloc)
			select {
			case <-done:
				sampled <- highest
				return
			case <-tick.C:
			}
		}
	}()
	f()
	runtime.ReadMemStats(&after)
	close(done)
	highest := max(<-sampled, after.HeapAlloc)
	return after.TotalAlloc - before.TotalAlloc, highest - min(highest, before.HeapAlloc)
}

// compressRaw compresses p and sync-flushes it, then closes the stream
// with a final block if final is set; without it, it removes the sync
// marker, as a permessage-deflate sender does.
func compressRaw(t *testing.T, p []byte, final bool) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, 1)
	require.NoError(t, err)
	_, err = fw.Write(p)
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	if final {
		require.NoError(t, fw.Close())
		return b.Bytes()
	}
	require.True(t, bytes.HasSuffix(b.Bytes(), syncMarker))
	return b.Bytes()[:b.Len()-len(syncMarker)]
}

// TestInflateChunks inflates messages whose sizes fall around the
// boundaries of the chunks that inflation fills, with limits around their
// sizes, from payloads small enough to be copied before the tail and too
// large to be.
func TestInflateChunks(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 5*chunkSize + 7} {
		for _, kind := range []string{"text", "random"} {
			msg := testText(r, n)
			if kind == "random" {
				msg = testRandom(r, n) // stored, larger than maxKeptBuffer from 5 chunks on
			}
			payload := compressRaw(t, msg, false)
			for _, limit := range []int{n - 1, n, n + 1, 0} {
				out, err := inflate(payload, nil, limit)
				if limit == n-1 && limit > 0 {
					require.ErrorIs(t, err, ErrTooBig, "%s of %d bytes, limit %d", kind, n, limit)
					continue
				}
				require.NoError(t, err, "%s of %d bytes, limit %d", kind, n, limit)
				require.True(t, bytes.Equal(msg, out), "%s of %d bytes, limit %d", kind, n, limit)
			}
		}
	}
}

// TestInflateLargePayload inflates payloads too large to be copied before
// the tail, with context takeover, and with a final block, followed by
// nothing or by more data.
func TestInflateLargePayload(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	c, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	l := &link{from: c, to: s}
	first := testText(r, 1<<20)
	for _, msg := range [][]byte{first, append(testText(r, 1000), first[:900<<10]...)} {
		got, wire := l.send(t, msg, len(msg))
		require.Greater(t, len(wire.Payload), maxKeptBuffer)
		require.True(t, bytes.Equal(msg, got))
	}

	msg := testRandom(r, 2*maxKeptBuffer)
	final := compressRaw(t, msg, true)
	out, err := inflate(final, nil, 0)
	require.NoError(t, err)
	require.True(t, bytes.Equal(msg, out))
	_, err = inflate(append(final, make([]byte, 16)...), nil, 0)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = inflate(final[:len(final)-100], nil, 0)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestInflateLimit(t *testing.T) {
	msg := testText(rand.New(rand.NewSource(9)), 100000)
	for _, noCtx := range []bool{false, true} {
		c, s := deflatePair(t, DeflateOptions{ClientNoContextTakeover: noCtx}, DeflateOptions{})
		c.threshold = 0
		for i, n := range []int{1, 200, 4096, 4097, 100000} {
			out := Message{Payload: msg[:n]}
			require.NoError(t, c.ProcessOutgoing(&out))
			// A refused message leaves the context as it was.
			if n > 1 {
				err := s.ProcessIncoming(&Message{RSV: out.RSV, Payload: out.Payload}, n-1)
				require.ErrorIs(t, err, ErrTooBig, "%d bytes, limit %d", n, n-1)
			}
			limit := []int{n, n + 1, 0}[i%3]
			in := Message{RSV: out.RSV, Payload: out.Payload}
			require.NoError(t, s.ProcessIncoming(&in, limit), "%d bytes, limit %d", n, limit)
			require.True(t, bytes.Equal(msg[:n], in.Payload))
		}
	}
}

func TestInflateCorrupt(t *testing.T) {
	valid := func() []byte {
		c, _ := deflatePair(t, DeflateOptions{}, DeflateOptions{})
		m := Message{Payload: testText(rand.New(rand.NewSource(2)), 1000)}
		require.NoError(t, c.ProcessOutgoing(&m))
		return m.Payload
	}()
	tests := []struct {
		name    string
		payload []byte
	}{
		{"reserved block type", []byte{0x07, 0x00}},
		{"stored length check", []byte{0x00, 0x05, 0x00, 0xfb, 0xff, 'a'}},
		{"stored block cut short", []byte{0x00, 0x20, 0x00, 0xdf, 0xff, 'a'}},
		{"reference before the start", []byte{0xf2, 0x00, 0x11, 0x00, 0x00}},
		{"truncated", valid[:len(valid)/2]},
		{"flipped bits", func() []byte {
			b := append([]byte(nil), valid...)
			for i := 10; i < len(b); i += 7 {
				b[i] ^= 0x55
			}
			return b
		}()},
		{"data after the final block", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
		{"random", testRandom(rand.New(rand.NewSource(3)), 300)},
		{"all ones", bytes.Repeat([]byte{0xff}, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
			err := s.ProcessIncoming(&Message{RSV: rsv1, Payload: tt.payload}, 1<<20)
			assert.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

package extensions

import (
	"bytes"
	"math/rand"
	"runtime"
	"sync"
	"testing"

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
	// Output grown up to limit+1 bytes, doubling, and one copy of the
	// input: about 2.5 MiB, for a message of 1 GiB.
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(3*limit+len(bomb)), "allocated %d bytes", allocated)
	t.Logf("a %d-byte message that inflates to 1 GiB, limit %d: %d bytes allocated", len(bomb), limit, allocated)

	// Without a limit, the whole of a smaller bomb comes out.
	in := Message{RSV: rsv1, Payload: zeroBomb(16 << 20)}
	require.NoError(t, s.ProcessIncoming(&in, 0))
	assert.Equal(t, 16<<20, len(in.Payload))
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

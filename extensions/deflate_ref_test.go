package extensions

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refInflate is a plain DEFLATE decoder (RFC 1951) for tests, written
// independently of the library under test: slow and simple, it also
// reports the farthest back any match reached. It decodes data after
// hist, the output of earlier messages, until a final block or until the
// data ends at a block boundary, as a sync-flushed message does once
// 0x00 0x00 0xff 0xff are put back.
func refInflate(data, hist []byte) (out []byte, maxDist int, err error) {
	r := &bitReader{data: data}
	buf := append([]byte(nil), hist...)
	for {
		final, err := r.bits(1)
		if err != nil {
			return nil, 0, err
		}
		typ, err := r.bits(2)
		if err != nil {
			return nil, 0, err
		}
		switch typ {
		case 0:
			buf, err = r.stored(buf)
		case 1:
			buf, err = r.codes(buf, fixedLit, fixedDist, &maxDist)
		case 2:
			var lit, dist *huffman
			if lit, dist, err = r.dynamicTables(); err == nil {
				buf, err = r.codes(buf, lit, dist, &maxDist)
			}
		default:
			err = errors.New("reserved block type")
		}
		if err != nil {
			return nil, 0, err
		}
		if final == 1 || (r.bit == 0 && r.pos == len(data)) {
			return buf[len(hist):], maxDist, nil
		}
	}
}

// bitReader reads the bits of data from the least significant bit of each
// byte on.
type bitReader struct {
	data []byte
	pos  int  // byte
	bit  uint // next bit of data[pos]
}

var errShort = errors.New("data ends inside a block")

func (r *bitReader) bits(n int) (int, error) {
	v := 0
	for i := 0; i < n; i++ {
		if r.pos >= len(r.data) {
			return 0, errShort
		}
		v |= int(r.data[r.pos]>>r.bit&1) << i
		if r.bit++; r.bit == 8 {
			r.pos, r.bit = r.pos+1, 0
		}
	}
	return v, nil
}

func (r *bitReader) stored(buf []byte) ([]byte, error) {
	if r.bit != 0 {
		r.pos, r.bit = r.pos+1, 0
	}
	if r.pos+4 > len(r.data) {
		return nil, errShort
	}
	n := int(r.data[r.pos]) | int(r.data[r.pos+1])<<8
	nn := int(r.data[r.pos+2]) | int(r.data[r.pos+3])<<8
	if n != ^nn&0xffff {
		return nil, errors.New("stored block length check fails")
	}
	r.pos += 4
	if r.pos+n > len(r.data) {
		return nil, errShort
	}
	buf = append(buf, r.data[r.pos:r.pos+n]...)
	r.pos += n
	return buf, nil
}

// huffman is a canonical Huffman code: how many codes have each length,
// and the symbols in code order.
type huffman struct {
	count   [16]int
	symbols []int
}

func newHuffman(lengths []int) (*huffman, error) {
	h := &huffman{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	for l := 1; l < 16; l++ {
		if left = left<<1 - h.count[l]; left < 0 {
			return nil, errors.New("over-subscribed code")
		}
	}
	var start [17]int
	for l := 1; l < 16; l++ {
		start[l+1] = start[l] + h.count[l]
	}
	h.symbols = make([]int, start[16])
	for sym, l := range lengths {
		if l != 0 {
			h.symbols[start[l]] = sym
			start[l]++
		}
	}
	return h, nil
}

// decode reads one symbol, a bit at a time: codes of one length are
// consecutive numbers, the first of them following the last code of the
// previous length, doubled.
func (r *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		code |= b
		if n := h.count[l]; code-first < n {
			return h.symbols[index+code-first], nil
		} else {
			index += n
			first = (first + n) << 1
			code <<= 1
		}
	}
	return 0, errors.New("invalid code")
}

var fixedLit, fixedDist = func() (*huffman, *huffman) {
	lit := make([]int, 288)
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	l, _ := newHuffman(lit)
	d, _ := newHuffman(dist)
	return l, d
}()

// codeLengthOrder is the order of the code length code's lengths.
var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func (r *bitReader) dynamicTables() (lit, dist *huffman, err error) {
	var hdr [3]int
	for i, n := range []int{5, 5, 4} {
		if hdr[i], err = r.bits(n); err != nil {
			return nil, nil, err
		}
	}
	nlit, ndist, nclen := hdr[0]+257, hdr[1]+1, hdr[2]+4
	if nlit > 286 || ndist > 30 {
		return nil, nil, errors.New("too many codes")
	}
	var clen [19]int
	for i := 0; i < nclen; i++ {
		if clen[codeLengthOrder[i]], err = r.bits(3); err != nil {
			return nil, nil, err
		}
	}
	ch, err := newHuffman(clen[:])
	if err != nil {
		return nil, nil, err
	}
	lengths := make([]int, 0, nlit+ndist)
	for len(lengths) < nlit+ndist {
		sym, err := r.decode(ch)
		if err != nil {
			return nil, nil, err
		}
		if sym < 16 {
			lengths = append(lengths, sym)
			continue
		}
		rep, extra, base := 0, 0, 0
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("repeat with no length")
			}
			rep, extra, base = lengths[len(lengths)-1], 2, 3
		case 17:
			extra, base = 3, 3
		default:
			extra, base = 7, 11
		}
		n, err := r.bits(extra)
		if err != nil {
			return nil, nil, err
		}
		if len(lengths)+base+n > nlit+ndist {
			return nil, nil, errors.New("lengths overflow")
		}
		for i := 0; i < base+n; i++ {
			lengths = append(lengths, rep)
		}
	}
	if lit, err = newHuffman(lengths[:nlit]); err != nil {
		return nil, nil, err
	}
	dist, err = newHuffman(lengths[nlit:])
	return lit, dist, err
}

// lengthCode and distCode return the base value and the number of extra
// bits of a length symbol (257 to 285) and of a distance symbol (0 to 29).
func lengthCode(sym int) (base, extra int) {
	c := sym - 257
	switch {
	case c < 8:
		return 3 + c, 0
	case c == 28:
		return 258, 0
	}
	extra = (c - 4) / 4
	return (4+c%4)<<extra + 3, extra
}

func distCode(sym int) (base, extra int) {
	if sym < 4 {
		return sym + 1, 0
	}
	extra = (sym - 2) / 2
	return (2+sym%2)<<extra + 1, extra
}

func (r *bitReader) codes(buf []byte, lit, dist *huffman, maxDist *int) ([]byte, error) {
	for {
		sym, err := r.decode(lit)
		if err != nil {
			return nil, err
		}
		switch {
		case sym < 256:
			buf = append(buf, byte(sym))
			continue
		case sym == 256:
			return buf, nil
		case sym > 285:
			return nil, fmt.Errorf("invalid length symbol %d", sym)
		}
		base, extra := lengthCode(sym)
		n, err := r.bits(extra)
		if err != nil {
			return nil, err
		}
		length := base + n
		dsym, err := r.decode(dist)
		if err != nil {
			return nil, err
		}
		if dsym > 29 {
			return nil, fmt.Errorf("invalid distance symbol %d", dsym)
		}
		base, extra = distCode(dsym)
		if n, err = r.bits(extra); err != nil {
			return nil, err
		}
		d := base + n
		if d > len(buf) {
			return nil, fmt.Errorf("distance %d beyond the %d bytes of history", d, len(buf))
		}
		*maxDist = max(*maxDist, d)
		for i := 0; i < length; i++ {
			buf = append(buf, buf[len(buf)-d])
		}
	}
}

func TestRefInflate(t *testing.T) {
	// RFC 7692 section 7.2.3.1: "Hello" compressed, then the same with
	// a reference into the previous message (7.2.3.2).
	out, _, err := refInflate([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))
	out, maxDist, err := refInflate([]byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, []byte("Hello"))
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))
	assert.Equal(t, 5, maxDist)

	// A stored block (7.2.3.3) and a final one.
	out, _, err = refInflate([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0xff, 0xff}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))
	out, _, err = refInflate([]byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))

	for _, bad := range [][]byte{{0xf2, 0x48}, {0x07}, {0x00, 0x05, 0x00, 0xfa, 0xfe}} {
		_, _, err := refInflate(bad, nil)
		assert.Error(t, err, "% x", bad)
	}
	// That message is "H" then 4 bytes from 5 back.
	_, _, err = refInflate([]byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, []byte("llo"))
	assert.ErrorContains(t, err, "beyond")
}

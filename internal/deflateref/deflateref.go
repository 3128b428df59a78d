// Package deflateref is a reference DEFLATE decoder (RFC 1951) for tests:
// the extensions package's tests check what its compressor sends with it,
// and the conformance suite inflates what a peer sends with it.
//
// It is written independently of the library under test (which inflates
// with github.com/klauspost/compress) and checks what a general-purpose
// inflater accepts: that no back-reference reaches further than the
// negotiated window (server_max_window_bits, client_max_window_bits, RFC
// 7692 section 7.1.2), nor into an earlier message when the sender agreed
// not to keep its context (no_context_takeover, section 7.1.1). zlib,
// which the Autobahn|Testsuite uses, makes the same checks when it is
// given the window bits. It also reports the farthest back any
// back-reference reached, so that a test can check a compressor's
// window, and bounds its output.
package deflateref

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// MaxWindow is the largest LZ77 window of DEFLATE, RFC 1951: no
// back-reference reaches further.
const MaxWindow = 32 << 10

// Options bound what Decode accepts.
type Options struct {
	// Window is the farthest back, in bytes, that a back-reference may
	// reach; 0 means MaxWindow.
	Window int
	// Limit is the most bytes the data may inflate to; 0 means no limit.
	Limit int
}

// ErrTooLarge is the error of data that inflates to more than the limit.
var ErrTooLarge = errors.New("deflate: message larger than the limit")

// Errors of malformed data.
var (
	errTruncated  = errors.New("deflate: data ends inside a block")
	errBadCode    = errors.New("deflate: invalid Huffman code")
	errBadBlock   = errors.New("deflate: invalid block type 3")
	errBadStored  = errors.New("deflate: stored block length does not match its complement")
	errBadLengths = errors.New("deflate: invalid code lengths")
)

// Decode decodes data that follows hist, the output of earlier messages,
// which back-references may reach. It decodes blocks until a final block,
// or until the data ends at a block boundary, as a sync-flushed message
// does once 0x00 0x00 0xff 0xff are put back (RFC 7692 section 7.2.2). It
// returns the output without hist, and the farthest back that any
// back-reference reached.
func Decode(data, hist []byte, o Options) (out []byte, maxDist int, err error) {
	d := decoder{in: data, hist: hist, window: o.Window, limit: o.Limit}
	if d.window <= 0 || d.window > MaxWindow {
		d.window = MaxWindow
	}
	if d.limit <= 0 {
		d.limit = math.MaxInt
	}
	if err := d.run(); err != nil {
		return nil, 0, err
	}
	return d.out, d.maxDist, nil
}

// An Inflater decompresses the messages that one side of a
// permessage-deflate connection sends, as RFC 7692 section 7.2.2
// describes.
type Inflater struct {
	window   int    // largest back-reference distance allowed
	takeover bool   // messages may refer to earlier ones
	hist     []byte // the end of the earlier messages, with takeover
}

// NewInflater returns an Inflater for a sender whose window is 1<<bits
// bytes (bits from 8 to 15) and which keeps its context across messages
// if takeover is set.
func NewInflater(bits int, takeover bool) *Inflater {
	return &Inflater{window: 1 << bits, takeover: takeover}
}

// Inflate decompresses the payload of one message, without its trailing
// 0x00 0x00 0xff 0xff, failing with ErrTooLarge if the output would
// exceed limit bytes.
func (f *Inflater) Inflate(payload []byte, limit int) ([]byte, error) {
	in := make([]byte, 0, len(payload)+4)
	in = append(append(in, payload...), 0x00, 0x00, 0xff, 0xff)
	d := decoder{in: in, hist: f.hist, window: f.window, limit: limit, noContext: !f.takeover}
	if err := d.run(); err != nil {
		return nil, err
	}
	if f.takeover {
		h := append(f.hist, d.out...)
		if len(h) > MaxWindow {
			h = append([]byte(nil), h[len(h)-MaxWindow:]...)
		}
		f.hist = h
	}
	return d.out, nil
}

// decoder inflates one message, RFC 1951.
type decoder struct {
	in        []byte
	pos       int    // next byte of in to load into bits
	bits      uint64 // bit buffer, least significant bit first
	nbits     uint
	out       []byte
	hist      []byte // earlier messages, which back-references may reach
	window    int
	limit     int
	noContext bool // the sender does not keep its context across messages
	maxDist   int  // the farthest back-reference so far
}

// run decodes blocks until a final block, or until the input ends after a
// block.
func (d *decoder) run() error {
	for {
		hdr, err := d.getBits(3)
		if err != nil {
			return err
		}
		switch hdr >> 1 {
		case 0:
			err = d.stored()
		case 1:
			f := fixedCodes()
			err = d.huffmanBlock(&f.lit, &f.dist)
		case 2:
			err = d.dynamicBlock()
		default:
			err = errBadBlock
		}
		if err != nil {
			return err
		}
		if hdr&1 == 1 || d.pos == len(d.in) && d.nbits == 0 {
			return nil
		}
	}
}

// fill loads input bytes until at least n bits are buffered or the input
// ends.
func (d *decoder) fill(n uint) {
	for d.nbits < n && d.pos < len(d.in) {
		d.bits |= uint64(d.in[d.pos]) << d.nbits
		d.pos++
		d.nbits += 8
	}
}

// getBits returns the next n bits, n <= 32.
func (d *decoder) getBits(n uint) (uint32, error) {
	d.fill(n)
	if d.nbits < n {
		return 0, errTruncated
	}
	v := uint32(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nbits -= n
	return v, nil
}

// stored copies a stored block.
func (d *decoder) stored() error {
	d.bits >>= d.nbits % 8 // to the byte boundary
	d.nbits -= d.nbits % 8
	n, err := d.getBits(16)
	if err != nil {
		return err
	}
	nn, err := d.getBits(16)
	if err != nil {
		return err
	}
	if n != ^nn&0xffff {
		return errBadStored
	}
	for ; n > 0 && d.nbits >= 8; n-- {
		d.out = append(d.out, byte(d.bits))
		d.bits >>= 8
		d.nbits -= 8
	}
	if len(d.in)-d.pos < int(n) {
		return errTruncated
	}
	d.out = append(d.out, d.in[d.pos:d.pos+int(n)]...)
	d.pos += int(n)
	if len(d.out) > d.limit {
		return ErrTooLarge
	}
	return nil
}

// codeLengthOrder is the order of the code length code lengths, RFC 1951
// section 3.2.7.
var codeLengthOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamicBlock reads the codes of a dynamic block, then its data.
func (d *decoder) dynamicBlock() error {
	v, err := d.getBits(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlit > 286 || ndist > 30 {
		return errBadLengths
	}
	var clens [19]uint8
	for i := 0; i < nclen; i++ {
		l, err := d.getBits(3)
		if err != nil {
			return err
		}
		clens[codeLengthOrder[i]] = uint8(l)
	}
	var clcode huffman
	if err := clcode.init(clens[:]); err != nil {
		return err
	}
	lengths := make([]uint8, nlit+ndist)
	for i := 0; i < len(lengths); {
		sym, err := d.decode(&clcode)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return errBadLengths
			}
			val = lengths[i-1]
			rep, err = d.getBits(2)
			rep += 3
		case 17:
			rep, err = d.getBits(3)
			rep += 3
		default:
			rep, err = d.getBits(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+int(rep) > len(lengths) {
			return errBadLengths
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return errBadLengths // no end-of-block code
	}
	var lit, dist huffman
	if err := lit.init(lengths[:nlit]); err != nil {
		return err
	}
	if err := dist.init(lengths[nlit:]); err != nil {
		return err
	}
	return d.huffmanBlock(&lit, &dist)
}

// Base lengths and distances with their extra bits, RFC 1951 section
// 3.2.5.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// huffmanBlock decodes the data of a compressed block.
func (d *decoder) huffmanBlock(lit, dist *huffman) error {
	for {
		sym, err := d.decode(lit)
		if err != nil {
			return err
		}
		switch {
		case sym < 256:
			d.out = append(d.out, byte(sym))
			continue
		case sym == 256:
			if len(d.out) > d.limit {
				return ErrTooLarge
			}
			return nil
		case sym > 285:
			return errBadCode
		}
		sym -= 257
		extra, err := d.getBits(uint(lengthExtra[sym]))
		if err != nil {
			return err
		}
		length := int(lengthBase[sym]) + int(extra)
		dsym, err := d.decode(dist)
		if err != nil {
			return err
		}
		if dsym > 29 {
			return errBadCode
		}
		extra, err = d.getBits(uint(distExtra[dsym]))
		if err != nil {
			return err
		}
		if err := d.copyMatch(int(distBase[dsym])+int(extra), length); err != nil {
			return err
		}
	}
}

// copyMatch appends length bytes that start distance bytes back.
func (d *decoder) copyMatch(distance, length int) error {
	if distance > d.window {
		return fmt.Errorf("deflate: back-reference %d bytes back, beyond the negotiated window of %d bytes", distance, d.window)
	}
	if distance > len(d.out)+len(d.hist) {
		if d.noContext {
			return fmt.Errorf("deflate: back-reference %d bytes back, before the start of the message, without context takeover", distance)
		}
		return fmt.Errorf("deflate: back-reference %d bytes back, beyond the %d bytes of history", distance, len(d.out)+len(d.hist))
	}
	if len(d.out)+length > d.limit {
		return ErrTooLarge
	}
	d.maxDist = max(d.maxDist, distance)
	if distance <= len(d.out) && distance >= length {
		start := len(d.out) - distance
		d.out = append(d.out, d.out[start:start+length]...)
		return nil
	}
	for i := 0; i < length; i++ {
		p := len(d.out) - distance
		if p >= 0 {
			d.out = append(d.out, d.out[p])
		} else {
			d.out = append(d.out, d.hist[len(d.hist)+p])
		}
	}
	return nil
}

// fastBits is the number of bits that a huffman's lookup table decodes
// at once; longer codes are decoded bit by bit.
const fastBits = 9

// huffman is a canonical Huffman code, RFC 1951 section 3.2.2.
type huffman struct {
	counts [16]uint16 // number of codes of each length
	syms   []uint16   // symbols in the order of their codes
	// fast maps the next fastBits input bits to length<<9 | symbol for
	// codes of up to fastBits bits, and to 0 otherwise.
	fast [1 << fastBits]uint16
}

// init builds the code for the given code length of each symbol.
func (h *huffman) init(lengths []uint8) error {
	h.counts = [16]uint16{}
	for _, l := range lengths {
		h.counts[l]++
	}
	h.counts[0] = 0
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.counts[l])
		if left < 0 {
			return errBadLengths // over-subscribed
		}
	}
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + int(h.counts[l])
	}
	h.syms = make([]uint16, len(lengths))
	for sym, l := range lengths {
		if l != 0 {
			h.syms[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	h.fast = [1 << fastBits]uint16{}
	code, idx := 0, 0
	for l := 1; l <= fastBits; l++ {
		for i := 0; i < int(h.counts[l]); i++ {
			entry := uint16(l)<<9 | h.syms[idx]
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			for j := rev; j < 1<<fastBits; j += 1 << l {
				h.fast[j] = entry
			}
			code++
			idx++
		}
		code <<= 1
	}
	return nil
}

// decode reads one symbol of code h: through the lookup table, or a bit
// at a time, since codes of one length are consecutive numbers, the
// first of them following the last code of the previous length, doubled.
func (d *decoder) decode(h *huffman) (int, error) {
	d.fill(fastBits)
	if d.nbits >= fastBits {
		if e := h.fast[d.bits&(1<<fastBits-1)]; e != 0 {
			l := uint(e >> 9)
			d.bits >>= l
			d.nbits -= l
			return int(e & 511), nil
		}
	}
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := d.getBits(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		count := int(h.counts[l])
		if code-count < first {
			return int(h.syms[index+code-first]), nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errBadCode
}

// fixedHuffman holds the codes of fixed Huffman blocks, RFC 1951 section 3.2.6.
type fixedHuffman struct{ lit, dist huffman }

var fixedCodes = sync.OnceValue(func() *fixedHuffman {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var dl [30]uint8
	for i := range dl {
		dl[i] = 5
	}
	f := new(fixedHuffman)
	if err := f.lit.init(l[:]); err != nil {
		panic(err)
	}
	if err := f.dist.init(dl[:]); err != nil {
		panic(err)
	}
	return f
})

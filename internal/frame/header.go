package frame

import (
	"encoding/binary"
	"errors"
	"math"
)

// MaxHeaderSize is the size in bytes of the largest frame header: the two
// fixed bytes, an eight-byte extended payload length and a four-byte
// masking key. A buffer of this size holds any header.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload a control frame may carry
// (RFC 6455, section 5.5). It is also the largest length that fits in the
// seven-bit length field of the fixed header. ParseHeader does not enforce
// it on control frames; the connection does.
const MaxControlPayload = 125

// The RSV bits as they sit in the first header byte. They are zero unless
// a negotiated extension gives them a meaning; RSV1 marks, for instance, a
// message compressed by permessage-deflate (RFC 7692).
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// Fields of the two fixed header bytes.
const (
	finBit  = 0x80               // first byte: final fragment
	rsvBits = RSV1 | RSV2 | RSV3 // first byte: extension bits
	opBits  = 0x0F               // first byte: opcode
	maskBit = 0x80               // second byte: payload is masked
	lenBits = 0x7F               // second byte: payload length or marker
)

// Markers in the length field of the second header byte that announce an
// extended payload length.
const (
	len16 = 126 // a 16-bit length follows
	len64 = 127 // a 64-bit length follows
)

// Errors returned by ParseHeader for headers that no conforming endpoint
// sends. A connection that gets one must fail with close code 1002
// (protocol error).
var (
	// ErrLengthOverflow reports a 64-bit payload length with its most
	// significant bit set, which RFC 6455 forbids.
	ErrLengthOverflow = errors.New("frame: payload length has the most significant bit set")

	// ErrNonMinimalLength reports a payload length encoded with more bytes
	// than it needs, which RFC 6455 forbids. Rejecting it keeps every
	// parsed header re-encodable to the very bytes it came from.
	ErrNonMinimalLength = errors.New("frame: payload length not minimally encoded")
)

// Header is a decoded frame header.
type Header struct {
	// Fin is set on the last frame of a message, and on every frame of
	// an unfragmented one.
	Fin bool
	// RSV holds the extension bits, any of RSV1|RSV2|RSV3, in their
	// place in the first header byte.
	RSV byte
	// Opcode says how to interpret the payload.
	Opcode Opcode
	// Masked is set when the payload is masked with Key, as it must be in
	// every frame a client sends.
	Masked bool
	// Key is the masking key; it is meaningful only when Masked is set.
	Key [4]byte
	// Length is the length of the payload in bytes.
	Length int64
}

// PutHeader encodes h into b and returns the number of bytes written,
// between 2 and MaxHeaderSize. It uses the shortest encoding of h.Length,
// as RFC 6455 requires, and does not allocate. Bits of h.RSV other than
// RSV1|RSV2|RSV3 and bits of h.Opcode above the low four are ignored.
//
// PutHeader panics if b is too short for the header (a buffer of
// MaxHeaderSize bytes is always long enough) or if h.Length is negative.
func PutHeader(b []byte, h Header) int {
	if h.Length < 0 {
		panic("frame: negative payload length")
	}
	b0 := h.RSV&rsvBits | byte(h.Opcode)&opBits
	if h.Fin {
		b0 |= finBit
	}
	var b1 byte
	if h.Masked {
		b1 = maskBit
	}
	var n int
	switch {
	case h.Length <= MaxControlPayload:
		b[1] = b1 | byte(h.Length)
		n = 2
	case h.Length <= math.MaxUint16:
		binary.BigEndian.PutUint16(b[2:4], uint16(h.Length))
		b[1] = b1 | len16
		n = 4
	default:
		binary.BigEndian.PutUint64(b[2:10], uint64(h.Length))
		b[1] = b1 | len64
		n = 10
	}
	b[0] = b0
	if h.Masked {
		copy(b[n:n+4], h.Key[:])
		n += 4
	}
	return n
}

// AppendHeader appends the encoding of h, as made by PutHeader, to dst and
// returns the extended slice.
func AppendHeader(dst []byte, h Header) []byte {
	var buf [MaxHeaderSize]byte
	n := PutHeader(buf[:], h)
	return append(dst, buf[:n]...)
}

// ParseHeader decodes the frame header at the start of b. It returns the
// header and the number of bytes it occupies, n, which is also returned as
// need. Bytes after the header are not looked at.
//
// If b does not yet hold the whole header, ParseHeader returns n == 0, a
// nil error and the number of bytes it needs, need > len(b): 2 while
// len(b) < 2, and otherwise the full length of the header, which the first
// two bytes determine. The caller reads at least that many bytes and calls
// ParseHeader again.
//
// Once the header is complete, ParseHeader returns ErrLengthOverflow or
// ErrNonMinimalLength if its payload length breaks the encoding rules,
// together with the zero Header and n == need == 0. It does not judge the
// opcode, the RSV bits or the rules for control frames.
func ParseHeader(b []byte) (h Header, n int, need int, err error) {
	if len(b) < 2 {
		return Header{}, 0, 2, nil
	}
	b0, b1 := b[0], b[1]
	need = 2
	switch b1 & lenBits {
	case len16:
		need += 2
	case len64:
		need += 8
	}
	if b1&maskBit != 0 {
		need += 4
	}
	if len(b) < need {
		return Header{}, 0, need, nil
	}

	h = Header{
		Fin:    b0&finBit != 0,
		RSV:    b0 & rsvBits,
		Opcode: Opcode(b0 & opBits),
		Masked: b1&maskBit != 0,
	}
	switch l := b1 & lenBits; l {
	case len16:
		v := binary.BigEndian.Uint16(b[2:4])
		if v <= MaxControlPayload {
			return Header{}, 0, 0, ErrNonMinimalLength
		}
		h.Length = int64(v)
		n = 4
	case len64:
		v := binary.BigEndian.Uint64(b[2:10])
		if v > math.MaxInt64 {
			return Header{}, 0, 0, ErrLengthOverflow
		}
		if v <= math.MaxUint16 {
			return Header{}, 0, 0, ErrNonMinimalLength
		}
		h.Length = int64(v)
		n = 10
	default:
		h.Length = int64(l)
		n = 2
	}
	if h.Masked {
		copy(h.Key[:], b[n:n+4])
		n += 4
	}
	return h, n, n, nil
}

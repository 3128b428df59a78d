package wsclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Opcode is a WebSocket frame opcode (RFC 6455 section 5.2).
type Opcode byte

// The opcodes of RFC 6455.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// isControl reports whether op is a control opcode.
func (op Opcode) isControl() bool { return op&0x8 != 0 }

// Bits of the first header byte.
const (
	finBit  = 0x80
	rsv1Bit = 0x40
	rsv23   = 0x30
	maskBit = 0x80
)

// maxHeaderSize is the largest client frame header: 2 bytes, a 64-bit
// length and a masking key.
const maxHeaderSize = 14

// maxControlPayload is the largest payload of a control frame.
const maxControlPayload = 125

// header is a parsed frame header.
type header struct {
	fin    bool
	rsv1   bool
	op     Opcode
	length int64
}

// errProtocol is wrapped by every error about a frame the server should
// not have sent.
var errProtocol = errors.New("protocol violation")

// appendFrame appends p as one masked client frame to dst.
func appendFrame(dst []byte, op Opcode, rsv1 bool, p []byte, key uint32) []byte {
	b0 := finBit | byte(op)
	if rsv1 {
		b0 |= rsv1Bit
	}
	switch n := len(p); {
	case n <= 125:
		dst = append(dst, b0, maskBit|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, b0, maskBit|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, maskBit|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = binary.LittleEndian.AppendUint32(dst, key)
	dst = slices.Grow(dst, len(p))
	end := len(dst) + len(p)
	maskCopy(dst[len(dst):end], p, key)
	return dst[:end]
}

// parseHeader checks the first two bytes of a server frame and returns
// the header with the 7-bit length, and how many extended length bytes
// follow (0, 2 or 8).
func parseHeader(b0, b1 byte) (h header, ext int, err error) {
	h = header{fin: b0&finBit != 0, rsv1: b0&rsv1Bit != 0, op: Opcode(b0 & 0x0F), length: int64(b1 & 0x7F)}
	switch {
	case b0&rsv23 != 0:
		return h, 0, fmt.Errorf("%w: RSV2 or RSV3 set", errProtocol)
	case b1&maskBit != 0:
		return h, 0, fmt.Errorf("%w: server frame is masked", errProtocol)
	case h.op > OpBinary && h.op < OpClose, h.op > OpPong:
		return h, 0, fmt.Errorf("%w: reserved opcode %#x", errProtocol, byte(h.op))
	case h.op.isControl() && (!h.fin || h.length > maxControlPayload):
		return h, 0, fmt.Errorf("%w: fragmented or long control frame", errProtocol)
	}
	switch h.length {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	return h, ext, nil
}

// maskCopy copies src to dst, which must be as long, masking it with key
// (the four key bytes in little-endian order), eight bytes at a time.
func maskCopy(dst, src []byte, key uint32) {
	k := uint64(key) | uint64(key)<<32
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^k)
	}
	for ; i < len(src); i++ {
		dst[i] = src[i] ^ byte(key>>(8*(i&3)))
	}
}

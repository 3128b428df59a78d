package frame

import "strconv"

// Opcode is the four-bit frame opcode of RFC 6455, section 5.2, which says
// how the payload of a frame is to be interpreted.
type Opcode byte

// The opcodes defined by RFC 6455. The remaining values are reserved for
// further data frames (0x3-0x7) and control frames (0xB-0xF).
const (
	// OpContinuation marks a frame that continues a fragmented message.
	OpContinuation Opcode = 0x0
	// OpText starts a message whose payload is UTF-8 text.
	OpText Opcode = 0x1
	// OpBinary starts a message whose payload is binary data.
	OpBinary Opcode = 0x2
	// OpClose is the control frame that starts or answers the closing
	// handshake.
	OpClose Opcode = 0x8
	// OpPing is the control frame that asks the peer for a pong.
	OpPing Opcode = 0x9
	// OpPong is the control frame that answers a ping, or serves as an
	// unsolicited heartbeat.
	OpPong Opcode = 0xA
)

// IsControl reports whether o is a control opcode (0x8-0xF), including the
// reserved ones. Control frames may not be fragmented and carry at most
// MaxControlPayload bytes.
func (o Opcode) IsControl() bool {
	return o >= 0x8 && o <= 0xF
}

// IsReserved reports whether o is not one of the six opcodes defined by
// RFC 6455: the reserved data opcodes 0x3-0x7, the reserved control opcodes
// 0xB-0xF and, for completeness, any value that does not fit in four bits.
// A connection must fail when it receives a reserved opcode that no
// negotiated extension defines.
func (o Opcode) IsReserved() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

// String returns the lower-case name RFC 6455 gives o, such as "text" or
// "ping", or "Opcode(0x3)" for a reserved value.
func (o Opcode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "Opcode(0x" + strconv.FormatUint(uint64(o), 16) + ")"
}

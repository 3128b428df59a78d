package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wsconn/wsconn/internal/frame"
)

// readLoop reads the peer's frames until its stream ends or it breaks
// the protocol, and records what it sees.
func (s *session) readLoop() {
	defer close(s.readDone)
	var inf *inflater
	if s.agree != nil {
		inf = newInflater(s.agree.peerBits, s.agree.peerTakeover)
	}
	var msg []byte
	var msgOp, msgRSV byte
	inMsg, closed := false, false
	for {
		h, p, err := frame.ReadFrame(s.br, s.opts.maxMessage())
		if err != nil {
			switch {
			case errors.Is(err, frame.ErrNonMinimalLength) || errors.Is(err, frame.ErrLengthOverflow):
				s.violate("sent a frame header that is not minimally encoded: %v", err)
			case errors.Is(err, frame.ErrPayloadTooLarge):
				s.violate("sent a frame of %d bytes, more than the suite accepts", h.Length)
			default:
				s.update(func(o *observed) { o.ended, o.endErr = true, err })
			}
			return
		}
		if v := s.checkFrame(&h, inMsg, closed); v != "" {
			s.violate("%s", v)
			return
		}
		op := byte(h.Opcode)
		switch op {
		case OpPing:
			s.update(func(o *observed) { o.pings++ })
		case OpPong:
			s.update(func(o *observed) { o.pongs = append(o.pongs, p) })
		case OpClose:
			cf, v := parseClose(p)
			if v != "" {
				s.violate("%s", v)
				return
			}
			closed = true
			s.update(func(o *observed) { o.close = cf })
		default:
			if op != OpContinuation {
				inMsg, msgOp, msgRSV, msg = true, op, h.RSV, nil
			}
			if int64(len(msg))+int64(len(p)) > s.opts.maxMessage() {
				s.violate("sent a message of more than %d bytes, more than the suite accepts", s.opts.maxMessage())
				return
			}
			if msg == nil {
				msg = p
			} else {
				msg = append(msg, p...)
			}
			if !h.Fin {
				continue
			}
			inMsg = false
			if msgRSV&RSV1 != 0 {
				out, err := inf.Inflate(msg, int(s.opts.maxMessage()))
				if err != nil {
					s.violate("sent a compressed message that does not inflate: %v", err)
					return
				}
				msg = out
			}
			if msgOp == OpText && !validUTF8(msg) {
				s.violate("sent a text message that is not valid UTF-8")
				return
			}
			e := Echo{Binary: msgOp == OpBinary, Payload: msg}
			msg = nil
			s.update(func(o *observed) { o.messages = append(o.messages, e) })
		}
	}
}

func (s *session) violate(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	s.update(func(o *observed) {
		if o.violation == "" {
			o.violation = v
		}
	})
}

// checkFrame applies the rules of RFC 6455 section 5 and RFC 7692
// section 6 to a frame from the peer, and returns what is wrong with it.
func (s *session) checkFrame(h *frame.Header, inMsg, closed bool) string {
	op := byte(h.Opcode)
	allowed := byte(0)
	if s.agree != nil && (op == OpText || op == OpBinary) {
		allowed = RSV1
	}
	switch {
	case closed:
		return fmt.Sprintf("sent a %s frame after its close frame", h.Opcode)
	case h.Opcode.IsReserved():
		return fmt.Sprintf("sent a frame with the reserved opcode %#x", op)
	case h.RSV&^allowed != 0:
		return fmt.Sprintf("sent a %s frame with reserved bits %#x set", h.Opcode, h.RSV)
	case s.role == ServerRole && h.Masked:
		return fmt.Sprintf("sent a masked %s frame to a client", h.Opcode)
	case s.role == ClientRole && !h.Masked:
		return fmt.Sprintf("sent an unmasked %s frame to a server", h.Opcode)
	case h.Opcode.IsControl() && !h.Fin:
		return fmt.Sprintf("sent a fragmented %s frame", h.Opcode)
	case h.Opcode.IsControl() && h.Length > frame.MaxControlPayload:
		return fmt.Sprintf("sent a %s frame with %d payload bytes", h.Opcode, h.Length)
	case op == OpContinuation && !inMsg:
		return "sent a continuation frame outside a fragmented message"
	case (op == OpText || op == OpBinary) && inMsg:
		return fmt.Sprintf("sent a %s frame inside a fragmented message", h.Opcode)
	}
	return ""
}

// parseClose checks the payload of the peer's close frame.
func parseClose(p []byte) (*peerClose, string) {
	switch {
	case len(p) == 0:
		return &peerClose{code: NoStatus}, ""
	case len(p) == 1:
		return nil, "sent a close frame with a 1-byte payload"
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return nil, fmt.Sprintf("sent a close frame with the code %d, which may not be sent", code)
	}
	if !validUTF8(p[2:]) {
		return nil, fmt.Sprintf("sent a close frame with code %d and a reason that is not valid UTF-8", code)
	}
	return &peerClose{code: code, reason: string(p[2:])}, ""
}

// validCloseCode reports whether code may appear in a close frame: the
// codes of the IANA registry other than 1004, 1005, 1006 and 1015, and
// the private and registered ranges 3000 to 4999.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

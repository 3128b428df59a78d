package wsconn

import (
	"fmt"
	"strconv"
	"strings"
)

// ConnectionType tells which end of a WebSocket a connection is. It decides
// masking: a client masks every frame it sends and refuses masked frames; a
// server refuses unmasked frames.
type ConnectionType int

const (
	// ConnectionClient is the end that sent the opening handshake.
	ConnectionClient ConnectionType = iota + 1
	// ConnectionServer is the end that answered it.
	ConnectionServer
)

// String returns "client" or "server".
func (t ConnectionType) String() string {
	switch t {
	case ConnectionClient:
		return "client"
	case ConnectionServer:
		return "server"
	}
	return "unknown"
}

// DataType is the type of a data message.
type DataType int

const (
	// DataText is a text message: its payload is UTF-8.
	DataText DataType = 1
	// DataBinary is a binary message.
	DataBinary DataType = 2
)

// String returns "text" or "binary".
func (t DataType) String() string {
	switch t {
	case DataText:
		return "text"
	case DataBinary:
		return "binary"
	}
	return "DataType(" + strconv.Itoa(int(t)) + ")"
}

// State is the state of a connection. It only moves forward: Open, then
// Closing while the closing handshake runs, then Closed. A connection that
// ends abruptly goes from Open straight to Closed.
type State int

const (
	// StateOpen: messages flow both ways.
	StateOpen State = iota
	// StateClosing: a close frame was sent or received; the closing
	// handshake has not finished.
	StateClosing
	// StateClosed: the stream is closed. Nothing more happens.
	StateClosed
)

// String returns "open", "closing" or "closed".
func (s State) String() string {
	switch s {
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// CloseCode is a WebSocket close status code (RFC 6455 section 7.4 and the
// IANA "WebSocket Close Code Number Registry").
type CloseCode uint16

// The codes of the IANA registry. Codes 3000-3999 are registered by
// libraries and frameworks, 4000-4999 are for private use by applications.
const (
	CloseNormal             CloseCode = 1000
	CloseGoingAway          CloseCode = 1001
	CloseProtocolError      CloseCode = 1002
	CloseUnsupportedData    CloseCode = 1003
	CloseNoStatus           CloseCode = 1005 // no code in the close frame; never sent
	CloseAbnormal           CloseCode = 1006 // no close frame at all; never sent
	CloseInvalidPayload     CloseCode = 1007 // e.g. invalid UTF-8 in a text message
	ClosePolicyViolation    CloseCode = 1008
	CloseMessageTooBig      CloseCode = 1009
	CloseMandatoryExtension CloseCode = 1010 // client: a required extension was not negotiated
	CloseInternalError      CloseCode = 1011
	CloseServiceRestart     CloseCode = 1012
	CloseTryAgainLater      CloseCode = 1013
	CloseBadGateway         CloseCode = 1014
)

var closeCodeNames = map[CloseCode]string{
	CloseNormal:             "normal closure",
	CloseGoingAway:          "going away",
	CloseProtocolError:      "protocol error",
	CloseUnsupportedData:    "unsupported data",
	1004:                    "reserved",
	CloseNoStatus:           "no status received",
	CloseAbnormal:           "abnormal closure",
	CloseInvalidPayload:     "invalid payload data",
	ClosePolicyViolation:    "policy violation",
	CloseMessageTooBig:      "message too big",
	CloseMandatoryExtension: "mandatory extension",
	CloseInternalError:      "internal error",
	CloseServiceRestart:     "service restart",
	CloseTryAgainLater:      "try again later",
	CloseBadGateway:         "bad gateway",
	1015:                    "TLS handshake failure",
}

// String returns the code's number and its registry name, such as
// "1000 (normal closure)".
func (c CloseCode) String() string {
	s := strconv.Itoa(int(c))
	if name, ok := closeCodeNames[c]; ok {
		return s + " (" + name + ")"
	}
	switch {
	case c >= 3000 && c <= 3999:
		return s + " (registered)"
	case c >= 4000 && c <= 4999:
		return s + " (private)"
	}
	return s
}

// sendable reports whether c may appear in a close frame on the wire: the
// registry's codes other than 1004 (reserved), 1005, 1006 and 1015 (a TLS
// handshake failure), and 3000-4999.
func (c CloseCode) sendable() bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// CloseStatus describes how a connection closed: the code and reason each
// side sent, and whether the closing handshake completed.
type CloseStatus struct {
	// Code is the code the peer sent; CloseNoStatus if its close frame
	// had none, CloseAbnormal if no close frame arrived.
	Code CloseCode
	// Reason is the reason the peer sent.
	Reason string
	// SentCode is the code this side sent, 0 if it sent no close frame.
	SentCode CloseCode
	// SentReason is the reason this side sent.
	SentReason string
	// Clean reports that close frames went both ways and the stream
	// ended in order.
	Clean bool
	// Remote reports that the peer started the closing handshake.
	Remote bool
}

// String describes the close in one line, such as "closed cleanly by the
// peer: received 1000 (normal closure) "bye", sent 1000 (normal closure)
// "bye"".
func (s CloseStatus) String() string {
	var b strings.Builder
	switch {
	case s.Code == 0 && s.SentCode == 0:
		return "not closed"
	case s.Clean && s.Remote:
		b.WriteString("closed cleanly by the peer")
	case s.Clean:
		b.WriteString("closed cleanly")
	default:
		b.WriteString("closed abnormally")
	}
	if s.Code != 0 {
		fmt.Fprintf(&b, ": received %s", s.Code)
		if s.Reason != "" {
			fmt.Fprintf(&b, " %q", s.Reason)
		}
	}
	if s.SentCode != 0 {
		fmt.Fprintf(&b, ", sent %s", s.SentCode)
		if s.SentReason != "" {
			fmt.Fprintf(&b, " %q", s.SentReason)
		}
	}
	return b.String()
}

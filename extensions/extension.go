// Package extensions defines WebSocket extensions (RFC 6455 section 9): the
// Extension interface that a connection applies to every message, the
// Registry of supported extension types from which the handshake makes a
// fresh instance per connection, and the parsing and writing of
// Sec-WebSocket-Extensions header values.
//
// It mirrors libsoup's SoupWebsocketExtension and
// SoupWebsocketExtensionManager: the handshake asks each extension for the
// parameters to offer (client) or to answer (server), configures it from
// what the other side said, and the connection then passes every outgoing
// and incoming data message through the negotiated extensions in order.
package extensions

import (
	"errors"
	"strings"
)

// Side tells an extension which end of the connection it is configured for.
type Side int

const (
	// Client is the side that sent the opening handshake request.
	Client Side = iota + 1
	// Server is the side that answered it.
	Server
)

// String returns "client" or "server".
func (s Side) String() string {
	switch s {
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return "unknown"
}

// Param is one extension parameter of a Sec-WebSocket-Extensions element,
// such as "client_max_window_bits=10" or the value-less
// "server_no_context_takeover". HasValue tells the two forms apart.
type Param struct {
	Name     string
	Value    string
	HasValue bool
}

// Params is the parameter list of one extension offer or response, in the
// order it appears in the header.
type Params []Param

// Get returns the parameter named name and whether it is present. Names
// compare case-insensitively, as header tokens do.
func (p Params) Get(name string) (Param, bool) {
	for _, q := range p {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Param{}, false
}

// Message is one whole data message as it passes through an extension.
//
// Outgoing, Payload is what the user sent and RSV is zero; an extension that
// transforms the message replaces Payload, with its output appended to
// Buf[:0] (or, when that is too small, newly allocated memory), and sets the
// reserved bits that mark its work on the message's first frame.
// Incoming, Payload is the reassembled payload as received and RSV holds the
// reserved bits of the first frame; an extension that recognises its bit
// decodes Payload and clears the bit.
type Message struct {
	// Binary reports a binary (true) or text (false) message.
	Binary bool
	// RSV holds the reserved bits of the message's first frame in the
	// positions they have in the frame's first byte (RSV1 is 0x40).
	RSV byte
	// Payload is the message's application data.
	Payload []byte
	// NoCompress asks compressing extensions to leave this outgoing
	// message as it is.
	NoCompress bool
	// Buf is spare storage of the connection for an outgoing message's
	// new payload, with room for at least len(Payload) + 1 KiB. It must
	// not be kept after the call.
	Buf []byte
}

// Extension is one negotiated WebSocket extension of one connection.
//
// An Extension is used by one connection at a time: the connection calls
// ProcessOutgoing from the goroutine that sends and ProcessIncoming from the
// goroutine that reads, never two outgoing or two incoming calls at once.
type Extension interface {
	// Name returns the extension token, such as "permessage-deflate".
	Name() string

	// Configure sets the extension up from negotiated parameters. On the
	// server side params are one offer from the client; on the client side
	// they are the server's response. It returns an error (wrapping
	// ErrNegotiation) if the parameters are not acceptable for that side.
	Configure(side Side, params Params) error

	// RequestParams returns the parameters a client offers.
	RequestParams() Params

	// ResponseParams returns the parameters a server answers with, after
	// Configure accepted an offer.
	ResponseParams() Params

	// ReservedBits returns the frame header bits (RSV1 0x40, RSV2 0x20,
	// RSV3 0x10) that this extension gives a meaning to. A frame with a
	// reserved bit that no negotiated extension claims fails the
	// connection with close code 1002.
	ReservedBits() byte

	// ProcessOutgoing transforms an outgoing data message in place. The
	// new Payload must be Buf's storage or newly allocated memory: the
	// connection keeps it until the message is written.
	ProcessOutgoing(msg *Message) error

	// ProcessIncoming transforms an incoming data message in place. The
	// result must not be longer than limit bytes (0 means no limit); an
	// extension that would produce more returns an error wrapping
	// ErrTooBig without producing more than limit bytes. The input
	// Payload is reused by the connection after the call: the new Payload
	// must be memory the extension owns or allocated for the receiver,
	// never the input's.
	ProcessIncoming(msg *Message, limit int) error
}

// SharedOutgoing is implemented by an Extension whose ProcessOutgoing, at
// least for the parameters negotiated, depends only on the message and on
// what OutgoingKey names, not on the messages processed before: its output
// for one connection is then valid on every connection whose extension
// returns the same key. A connection that sends a prepared message to many
// peers (wsconn.PreparedMessage) uses it to process the message once for
// all of them.
type SharedOutgoing interface {
	Extension

	// OutgoingKey returns a key that names everything ProcessOutgoing's
	// output depends on besides the message, and ok true, when that output
	// depends on nothing else (for permessage-deflate, when this side
	// sends without context takeover). It is called after Configure, and
	// its answer does not change afterwards.
	OutgoingKey() (key string, ok bool)
}

var (
	// ErrNegotiation is wrapped by errors about parameters that one side
	// cannot accept from the other.
	ErrNegotiation = errors.New("extensions: negotiation failed")
	// ErrTooBig is wrapped by ProcessIncoming when a message would exceed
	// the connection's size limit after decoding (close code 1009).
	ErrTooBig = errors.New("extensions: message exceeds size limit")
	// ErrCorrupt is wrapped by ProcessIncoming when a message cannot be
	// decoded (close code 1007).
	ErrCorrupt = errors.New("extensions: corrupt message data")
)

// Factory makes a fresh, unconfigured instance of one extension type.
type Factory func() Extension

// Registry is the set of extension types that one side supports, in order
// of preference. The handshake makes a fresh instance from it for every
// connection, as libsoup's extension manager does. The zero Registry
// supports no extension.
type Registry struct {
	names     []string
	factories []Factory
}

// NewRegistry returns a registry of the given factories, in order of
// preference.
func NewRegistry(factories ...Factory) *Registry {
	r := &Registry{}
	for _, f := range factories {
		r.Add(f)
	}
	return r
}

// Add appends a factory to the registry. A later factory for a name already
// present replaces the earlier one.
func (r *Registry) Add(f Factory) {
	name := f().Name()
	for i, n := range r.names {
		if strings.EqualFold(n, name) {
			r.factories[i] = f
			return
		}
	}
	r.names = append(r.names, name)
	r.factories = append(r.factories, f)
}

// Names returns the supported extension names in order of preference.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.names...)
}

// New returns a fresh instance of the extension called name, or nil if the
// registry does not support it. Names compare case-insensitively.
func (r *Registry) New(name string) Extension {
	if r == nil {
		return nil
	}
	for i, n := range r.names {
		if strings.EqualFold(n, name) {
			return r.factories[i]()
		}
	}
	return nil
}

package hubnats

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/wsconn/wsconn"
)

// TypeHeader is the NATS header that carries a message's WebSocket type.
// A binary message has TypeHeader "binary"; a text message has no header
// (or TypeHeader "text"), so a text message is a plain NATS message whose
// payload is the WebSocket message, byte for byte: `nats pub
// wsconn.hub.room hello` reaches the members of room, and `nats sub
// 'wsconn.hub.>'` shows what the hubs publish. The type travels in a
// header, not in a byte before the payload, for that reason: other NATS
// clients read and write the messages without knowing this package. It
// takes a server with headers (NATS 2.2 or later); with an older one,
// publishing a binary message returns nats.ErrHeadersNotSupported.
const TypeHeader = "Wsconn-Type"

// binaryHeader is the header of every binary message. It is only read,
// by nats.go encoding it, so one map serves every Publish.
var binaryHeader = nats.Header{TypeHeader: []string{"binary"}}

// messageType returns the WebSocket type of a message received with h.
func messageType(h nats.Header) (wsconn.DataType, error) {
	switch v := h.Get(TypeHeader); v {
	case "", "text":
		return wsconn.DataText, nil
	case "binary":
		return wsconn.DataBinary, nil
	default:
		return 0, fmt.Errorf("hubnats: unknown %s %q", TypeHeader, v)
	}
}

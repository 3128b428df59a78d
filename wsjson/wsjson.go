// Package wsjson sends and receives JSON values as WebSocket text
// messages.
//
// Each value is one message. A received message is bounded by the
// connection's limits (wsconn.Options.MaxIncomingPayloadSize and
// MaxTotalMessageSize) before it is decoded: a larger one fails the
// connection with close code 1009 and is never decoded.
package wsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wsconn/wsconn"
)

// Send encodes v as JSON and queues it as a text message on c. The
// errors are json.Marshal's and SendText's.
func Send(c *wsconn.WebsocketConnection, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wsjson: encoding: %w", err)
	}
	// json.Marshal produces valid UTF-8.
	return c.SendMessage(wsconn.DataText, data)
}

// ErrInvalidJSON is wrapped, with encoding/json's error, by the error of
// Receive for a text message that is not valid JSON for v. The message is
// consumed; the connection stays open.
var ErrInvalidJSON = errors.New("wsjson: invalid JSON message")

// Receive waits for the next message on c, under ctx, and decodes it as
// JSON into v, as json.Unmarshal does. A binary message is left for the
// next receive and Receive returns an error wrapping
// wsconn.ErrUnexpectedType; a message that is not valid JSON for v is
// consumed and Receive returns an error wrapping ErrInvalidJSON; a closed
// connection gives the *wsconn.CloseError of wsconn's Receive.
func Receive(ctx context.Context, c *wsconn.WebsocketConnection, v any) error {
	text, err := c.ReceiveText(ctx)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return nil
}

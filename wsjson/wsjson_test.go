package wsjson_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/wsjson"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type point struct {
	X, Y int
	Tag  string `json:"tag"`
}

// pair returns a client and a server connection over a real HTTP server,
// with the server's incoming limit set to limit bytes.
func pair(t *testing.T, limit int64) (client, server *wsconn.WebsocketConnection) {
	t.Helper()
	accepted := make(chan *wsconn.WebsocketConnection, 1)
	srv := httptest.NewServer(wsconn.Handler(&wsconn.AcceptOptions{
		ConnectionOptions: &wsconn.Options{MaxIncomingPayloadSize: limit, MaxTotalMessageSize: limit},
	}, func(c *wsconn.WebsocketConnection, _ *http.Request) { accepted <- c }))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, _, err := wsconn.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	server = <-accepted
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		<-client.Done()
		<-server.Done()
	})
	return client, server
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRoundTrip(t *testing.T) {
	client, server := pair(t, 1<<20)
	want := point{X: 1, Y: -2, Tag: "é"}
	require.NoError(t, wsjson.Send(client, want))
	var got point
	require.NoError(t, wsjson.Receive(ctx(t), server, &got))
	assert.Equal(t, want, got)

	// Any JSON value, into any type.
	require.NoError(t, wsjson.Send(server, map[string][]int{"a": {1, 2}}))
	var m map[string]any
	require.NoError(t, wsjson.Receive(ctx(t), client, &m))
	assert.Equal(t, map[string]any{"a": []any{1.0, 2.0}}, m)
}

func TestReceiveErrors(t *testing.T) {
	client, server := pair(t, 1<<20)

	// A binary message stays for the next receive.
	require.NoError(t, client.SendBinary([]byte(`{"X":1}`)))
	var p point
	err := wsjson.Receive(ctx(t), server, &p)
	assert.ErrorIs(t, err, wsconn.ErrUnexpectedType)
	data, err := server.ReceiveBinary(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, `{"X":1}`, string(data))

	// Invalid JSON is consumed; the connection stays open.
	require.NoError(t, client.SendText(`{"X": oops}`))
	err = wsjson.Receive(ctx(t), server, &p)
	assert.ErrorIs(t, err, wsjson.ErrInvalidJSON)
	var syntax *json.SyntaxError
	assert.True(t, errors.As(err, &syntax), "encoding/json's error is wrapped: %v", err)
	require.NoError(t, wsjson.Send(client, point{X: 7}))
	require.NoError(t, wsjson.Receive(ctx(t), server, &p))
	assert.Equal(t, 7, p.X)

	// A value that does not fit v.
	require.NoError(t, client.SendText(`"a string"`))
	assert.ErrorIs(t, wsjson.Receive(ctx(t), server, &p), wsjson.ErrInvalidJSON)

	// Send refuses what JSON cannot encode.
	assert.ErrorContains(t, wsjson.Send(client, func() {}), "wsjson: encoding")
}

// TestLimitBeforeDecoding: a message over the connection's limit fails it
// with 1009 and is never decoded.
func TestLimitBeforeDecoding(t *testing.T) {
	client, server := pair(t, 1024)
	require.NoError(t, wsjson.Send(client, strings.Repeat("x", 4096)))
	var s string
	err := wsjson.Receive(ctx(t), server, &s)
	var ce *wsconn.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, wsconn.CloseMessageTooBig, ce.SentCode)
	assert.Empty(t, s)
}

package http3

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// TestServerResets: a handler that panics with http.ErrAbortHandler makes
// quic-go's server reset the stream; the client's connection ends
// abnormally with ErrStreamReset and quic-go's error.
func TestServerResets(t *testing.T) {
	srv := newServer(t, wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		c.Receive(ctx)              // the client's first message
		panic(http.ErrAbortHandler) // resets the stream
	}))
	c, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	r := record(c)
	require.NoError(t, c.SendText("x"))
	r.waitClosed(t)
	assert.Equal(t, wsconn.CloseAbnormal, c.CloseStatus().Code)
	assert.False(t, c.CloseStatus().Clean)
	err = r.err(t)
	assert.ErrorIs(t, err, wsconn.ErrAbnormalClosure)
	assert.ErrorIs(t, err, wsconn.ErrStreamReset)
	var h3err *quichttp3.Error
	require.ErrorAs(t, err, &h3err, "quic-go's error is wrapped: %v", err)
	assert.Equal(t, quichttp3.ErrCodeInternalError, h3err.ErrorCode)
	assert.True(t, h3err.Remote)
	var serr *quic.StreamError
	assert.ErrorAs(t, err, &serr)
	waitPoolEmpty(t)
}

// TestClientAborts: a client that aborts resets the stream; the server's
// connection ends abnormally with ErrStreamReset. Another WebSocket keeps
// the QUIC connection open, so that the server sees the stream's reset,
// not the connection's close.
func TestClientAborts(t *testing.T) {
	serverConns := make(chan *wsconn.WebsocketConnection, 2)
	srv := newServer(t, wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		serverConns <- c
	}))
	opts := dialOptions()
	other, _, err := Dial(dialContext(t), srv.url("/other"), opts)
	require.NoError(t, err)
	record(<-serverConns) // takes its events
	c, _, err := Dial(dialContext(t), srv.url("/"), opts)
	require.NoError(t, err)
	sc := <-serverConns
	sr := record(sc)
	c.Abort()
	sr.waitClosed(t)
	assert.Equal(t, wsconn.CloseAbnormal, sc.CloseStatus().Code)
	err = sr.err(t)
	assert.ErrorIs(t, err, wsconn.ErrAbnormalClosure)
	assert.ErrorIs(t, err, wsconn.ErrStreamReset)
	var h3err *quichttp3.Error
	if assert.ErrorAs(t, err, &h3err, "quic-go's error is wrapped: %v", err) {
		assert.Equal(t, quichttp3.ErrCodeRequestCanceled, h3err.ErrorCode)
	}
	assert.Equal(t, wsconn.CloseAbnormal, c.CloseStatus().Code)
	assert.Equal(t, int32(1), srv.conns.Load())

	closeAndWait(t, other)
	assert.True(t, other.CloseStatus().Clean, "the other WebSocket is unharmed: %v", other.CloseStatus())
	waitPoolEmpty(t)
}

// TestServerGoesAway: when the server closes, and its QUIC connections
// with it, their WebSockets end abnormally with ErrStreamReset and
// quic-go's error, and the pool lets the connection go.
func TestServerGoesAway(t *testing.T) {
	srv := newServer(t, echoHandler(nil, nil))
	c, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	r := record(c)
	require.NoError(t, srv.srv.Close())
	r.waitClosed(t)
	assert.Equal(t, wsconn.CloseAbnormal, c.CloseStatus().Code)
	err = r.err(t)
	assert.ErrorIs(t, err, wsconn.ErrStreamReset)
	var h3err *quichttp3.Error
	if assert.True(t, errors.As(err, &h3err), "%v", err) {
		assert.True(t, h3err.Remote)
	}
	var aerr *quic.ApplicationError
	assert.ErrorAs(t, err, &aerr, "the QUIC connection's close is wrapped")
	waitPoolEmpty(t)
}

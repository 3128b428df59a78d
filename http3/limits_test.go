package http3

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// TestServerLimit: a message over the server's MaxIncomingPayloadSize
// gets close 1009 over HTTP/3 as over TCP.
func TestServerLimit(t *testing.T) {
	serverConns := make(chan *wsconn.WebsocketConnection, 1)
	srv := newServer(t, wsconn.Handler(&wsconn.AcceptOptions{
		ConnectionOptions: &wsconn.Options{MaxIncomingPayloadSize: 1024, MaxTotalMessageSize: 1024},
	}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		serverConns <- c
	}))
	c, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	cr := record(c)
	sr := record(<-serverConns)
	require.NoError(t, c.SendBinary(make([]byte, 2048)))
	cr.waitClosed(t)
	sr.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, wsconn.CloseMessageTooBig, st.Code, "%v", st)
	assert.True(t, st.Remote)
	assert.True(t, st.Clean, "%v", st)
	var perr *wsconn.ProtocolError
	err = sr.err(t)
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, wsconn.CloseMessageTooBig, perr.Code)
	assert.ErrorIs(t, err, wsconn.ErrMessageTooBig)
	waitPoolEmpty(t)
}

// TestClientLimit: a message over the client's limit gets close 1009
// from the client.
func TestClientLimit(t *testing.T) {
	serverConns := make(chan *wsconn.WebsocketConnection, 1)
	srv := newServer(t, wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		serverConns <- c
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendBinary(bytes.Repeat(data, 2048)) })
	}))
	opts := dialOptions()
	opts.ConnectionOptions = &wsconn.Options{MaxIncomingPayloadSize: 1024, MaxTotalMessageSize: 1024}
	c, _, err := Dial(dialContext(t), srv.url("/"), opts)
	require.NoError(t, err)
	cr := record(c)
	sc := <-serverConns
	require.NoError(t, c.SendBinary([]byte{1}))
	cr.waitClosed(t)
	<-sc.Done()
	assert.Equal(t, wsconn.CloseMessageTooBig, c.CloseStatus().SentCode)
	assert.ErrorIs(t, cr.err(t), wsconn.ErrMessageTooBig)
	assert.Equal(t, wsconn.CloseMessageTooBig, sc.CloseStatus().Code)
	waitPoolEmpty(t)
}

// TestKeepalive: keepalive pings of both ends are answered over HTTP/3,
// and the connections stay open.
func TestKeepalive(t *testing.T) {
	ka := &wsconn.Options{KeepaliveInterval: 20 * time.Millisecond, KeepalivePongTimeout: 5 * time.Second}
	serverConns := make(chan *wsconn.WebsocketConnection, 1)
	srv := newServer(t, wsconn.Handler(&wsconn.AcceptOptions{ConnectionOptions: ka},
		func(c *wsconn.WebsocketConnection, r *http.Request) { serverConns <- c }))
	opts := dialOptions()
	opts.ConnectionOptions = ka
	c, _, err := Dial(dialContext(t), srv.url("/"), opts)
	require.NoError(t, err)
	cr := record(c)
	sc := <-serverConns
	sr := record(sc)
	for _, r := range []*recorder{cr, sr} {
		for range 3 {
			select {
			case <-r.pongs:
			case err := <-r.errs:
				t.Fatalf("error: %v", err)
			case <-time.After(waitTimeout):
				t.Fatal("no pong")
			}
		}
	}
	assert.Equal(t, wsconn.StateOpen, c.State())
	assert.Equal(t, wsconn.StateOpen, sc.State())
	assert.Positive(t, c.RoundTripTime())
	assert.Positive(t, sc.RoundTripTime())
	closeAndWait(t, c)
	assert.True(t, c.CloseStatus().Clean)
	waitPoolEmpty(t)
}

// TestPongTimeout: a server that accepts the stream and then neither
// reads nor writes is found dead by the client's keepalive, which resets
// the stream.
func TestPongTimeout(t *testing.T) {
	stop := make(chan struct{})
	handlerDone := make(chan error, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			handlerDone <- r.Context().Err()
		case <-stop:
			handlerDone <- nil
		}
	}))
	t.Cleanup(func() { close(stop) }) // before the server closes

	opts := dialOptions()
	opts.ConnectionOptions = &wsconn.Options{KeepaliveInterval: 20 * time.Millisecond, KeepalivePongTimeout: 100 * time.Millisecond}
	c, _, err := Dial(dialContext(t), srv.url("/"), opts)
	require.NoError(t, err)
	cr := record(c)
	cr.waitClosed(t)
	assert.Equal(t, wsconn.CloseAbnormal, c.CloseStatus().Code)
	assert.ErrorIs(t, cr.err(t), wsconn.ErrPongTimeout)
	select {
	case err := <-handlerDone:
		assert.Error(t, err, "the handler's request ends with the reset stream")
	case <-time.After(waitTimeout):
		t.Fatal("the server's request did not end")
	}
	waitPoolEmpty(t)
}

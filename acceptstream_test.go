package wsconn_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
)

// unixPair returns the two ends of a connected unix socket.
func unixPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("unix", t.TempDir()+"/ws.sock")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("unix", ln.Addr().String())
	require.NoError(t, err)
	server = <-accepted
	require.NotNil(t, server)
	return client, server
}

func TestAcceptStreamOverUnixSocket(t *testing.T) {
	a, b := unixPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type accepted struct {
		c   *wsconn.WebsocketConnection
		err error
	}
	done := make(chan accepted, 1)
	go func() {
		c, err := wsconn.AcceptStream(ctx, b, &wsconn.AcceptOptions{
			Protocols:      []string{"chat"},
			ResponseHeader: http.Header{"Set-Cookie": {"session=42"}},
		})
		done <- accepted{c, err}
	}()
	client, resp, err := wsconn.DialStream(ctx, a, "ws://localhost/room?x=1", &wsconn.DialOptions{
		Protocols: []string{"chat"},
		Header:    http.Header{"Cookie": {"user=ann"}},
	})
	require.NoError(t, err)
	defer client.Abort()
	got := <-done
	require.NoError(t, got.err)
	server := got.c
	defer server.Abort()

	assert.Equal(t, "chat", client.Protocol())
	assert.Equal(t, "chat", server.Protocol())
	assert.Equal(t, "session=42", resp.Header.Get("Set-Cookie"))
	req := server.Request()
	require.NotNil(t, req)
	assert.Equal(t, "/room", req.URL.Path)
	assert.Equal(t, "1", req.URL.Query().Get("x"))
	cookie, err := req.Cookie("user")
	require.NoError(t, err)
	assert.Equal(t, "ann", cookie.Value)
	assert.Equal(t, "ws://localhost/room?x=1", server.URI().String())

	require.NoError(t, client.SendText("hello"))
	s, err := server.ReceiveText(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", s)
	require.NoError(t, server.Close(wsconn.CloseNormal, ""))
	_, err = client.ReceiveText(ctx)
	var ce *wsconn.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, wsconn.CloseNormal, ce.Code)
}

func TestAcceptStreamRefusesBadRequest(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	errs := make(chan error, 1)
	go func() {
		_, err := wsconn.AcceptStream(context.Background(), b, nil)
		errs <- err
	}()
	go io.WriteString(a, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(a), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the body ends and the stream is closed")
	assert.Contains(t, string(body), "Sec-WebSocket-Key")
	err = <-errs
	assert.ErrorIs(t, err, handshake.ErrKey)
	var he *handshake.Error
	assert.ErrorAs(t, err, &he)
}

func TestAcceptStreamContext(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := wsconn.AcceptStream(ctx, b, nil) // the client never speaks
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	_, err = b.Write([]byte("x"))
	assert.Error(t, err, "the stream is closed")
}

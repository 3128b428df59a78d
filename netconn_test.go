package wsconn

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"

	"github.com/wsconn/wsconn/iostream"
)

// netConnPair returns two net.Conns over a WebSocket over real TCP, with
// a stop function that closes both.
func netConnPair() (c1, c2 net.Conn, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, nil, err
	}
	b := <-accepted
	if b == nil {
		a.Close()
		return nil, nil, nil, errors.New("accept failed")
	}
	// A small queue bound, so that writes to a peer that does not read
	// soon wait, as the deadline tests need.
	opts := &Options{MaxQueuedBytes: 256 << 10}
	client := NewWebsocketConnection(iostream.NewConn(a), testURI, ConnectionClient, "", "", nil, opts)
	server := NewWebsocketConnection(iostream.NewConn(b), testURI, ConnectionServer, "", "", nil, opts)
	c1, c2 = NetConn(client), NetConn(server)
	stop = func() {
		c1.Close()
		c2.Close()
		client.Abort()
		server.Abort()
		<-client.Done()
		<-server.Done()
	}
	return c1, c2, stop, nil
}

// TestNetConn runs golang.org/x/net/nettest's conformance tests of
// net.Conn on NetConn.
func TestNetConn(t *testing.T) {
	nettest.TestConn(t, netConnPair)
}

// TestNetConnCarriesHTTP serves HTTP/1.1 over a NetConn, a real protocol
// through the WebSocket.
func TestNetConnCarriesHTTP(t *testing.T) {
	c1, c2, stop, err := netConnPair()
	require.NoError(t, err)
	defer stop()

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Path", r.URL.Path)
		w.Write([]byte(strings.ToUpper(string(body))))
	}), ReadHeaderTimeout: waitTimeout}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(&oneConnListener{conn: c2}) }()

	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return c1, nil }}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: waitTimeout}
	for i := range 3 {
		payload := strings.Repeat("tunnelled ", 10000*(i+1)) // up to 300 KB: several messages
		resp, err := client.Post("http://tunnel/upper", "text/plain", strings.NewReader(payload))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "/upper", resp.Header.Get("X-Path"))
		assert.Equal(t, strings.ToUpper(payload), string(body))
	}
	srv.Close()
	<-served
}

// oneConnListener hands out one connection, then blocks until closed.
type oneConnListener struct {
	conn   net.Conn
	done   chan struct{}
	handed bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.done == nil {
		l.done = make(chan struct{})
	}
	if !l.handed {
		l.handed = true
		return l.conn, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	if l.done != nil {
		select {
		case <-l.done:
		default:
			close(l.done)
		}
	}
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }

func TestNetConnCloseStatus(t *testing.T) {
	t.Run("normal close reads as EOF", func(t *testing.T) {
		client, server, _, _ := tcpPair(t, nil)
		nc := NetConn(client)
		require.NoError(t, server.SendBinary([]byte("last words")))
		require.NoError(t, server.Close(CloseNormal, ""))
		got, err := io.ReadAll(nc)
		require.NoError(t, err) // ReadAll stops at io.EOF
		assert.Equal(t, "last words", string(got))
	})
	t.Run("another close is an error with the status", func(t *testing.T) {
		client, server, _, _ := tcpPair(t, nil)
		nc := NetConn(client)
		require.NoError(t, server.Close(CloseGoingAway, "restarting"))
		_, err := nc.Read(make([]byte, 10))
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, CloseGoingAway, ce.Code)
		assert.Equal(t, "restarting", ce.Reason)
	})
	t.Run("a text message fails the connection with 1003", func(t *testing.T) {
		client, server, _, sr := tcpPair(t, nil)
		nc := NetConn(client)
		require.NoError(t, server.SendText("not bytes"))
		_, err := nc.Read(make([]byte, 10))
		require.Error(t, err)
		sr.waitClosed(t)
		assert.Equal(t, CloseUnsupportedData, server.CloseStatus().Code)
		_, err = nc.Read(make([]byte, 10))
		assert.Error(t, err, "reading stays failed")
	})
	t.Run("local close", func(t *testing.T) {
		client, _, cr, _ := tcpPair(t, nil)
		nc := NetConn(client)
		require.NoError(t, nc.Close())
		_, err := nc.Read(make([]byte, 1))
		assert.ErrorIs(t, err, net.ErrClosed)
		_, err = nc.Write([]byte("x"))
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.ErrorIs(t, nc.Close(), net.ErrClosed)
		cr.waitClosed(t)
		st := client.CloseStatus()
		assert.Equal(t, CloseNormal, st.SentCode, "%+v", st)
		assert.True(t, st.Clean, "%+v", st)
	})
}

func TestNetConnDeadlines(t *testing.T) {
	client, server, _, _ := tcpPair(t, nil)
	nc := NetConn(client)
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err := nc.Read(make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())

	// An extended deadline lets a pending read go on.
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(bufio.NewReader(nc), make([]byte, 5))
		read <- err
	}()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(waitTimeout)))
	require.NoError(t, server.SendBinary([]byte("hello")))
	select {
	case err := <-read:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("read did not return")
	}
}

func TestNetConnAddrs(t *testing.T) {
	client, _, _, _ := tcpPair(t, nil)
	nc := NetConn(client)
	assert.Equal(t, client.LocalAddr(), nc.LocalAddr())
	assert.Equal(t, "tcp", nc.RemoteAddr().Network())

	a, _ := pipePair()
	pc := NewWebsocketConnection(struct{ io.ReadWriteCloser }{a}, testURI, ConnectionClient, "", "", nil, nil)
	defer pc.Abort()
	assert.Equal(t, "websocket", NetConn(pc).RemoteAddr().Network())
}

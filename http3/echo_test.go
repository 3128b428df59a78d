package http3

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"testing"

	quichttp3 "github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// TestEcho echoes text, binary, a 1 MiB message and an empty one over
// HTTP/3 with permessage-deflate and a subprotocol, then the server
// closes with 4001: the close is clean on both ends.
func TestEcho(t *testing.T) {
	big := &wsconn.Options{MaxIncomingPayloadSize: 4 << 20, MaxTotalMessageSize: 4 << 20}
	deflate := func() *extensions.Registry {
		return extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	}
	accepted := make(chan *http.Request, 1)
	serverConns := make(chan *wsconn.WebsocketConnection, 1)
	srv := newServer(t, wsconn.Handler(&wsconn.AcceptOptions{
		Protocols:         []string{"chat"},
		Extensions:        deflate(),
		ConnectionOptions: big,
	}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		accepted <- r
		serverConns <- c
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			if typ == wsconn.DataText && string(data) == "close 4001" {
				c.Close(4001, "asked")
				return
			}
			c.SendMessage(typ, data)
		})
	}))

	opts := dialOptions()
	opts.Protocols = []string{"other", "chat"}
	opts.Extensions = deflate()
	opts.ConnectionOptions = big
	c, resp, err := Dial(dialContext(t), srv.url("/echo?x=1"), opts)
	require.NoError(t, err)
	r := <-accepted
	sc := <-serverConns
	sr := record(sc)

	assert.Equal(t, 3, r.ProtoMajor)
	assert.Equal(t, http.MethodConnect, r.Method)
	assert.Equal(t, "websocket", r.Proto)
	assert.Equal(t, "/echo?x=1", r.URL.RequestURI())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 3, resp.ProtoMajor)
	require.NotNil(t, resp.TLS)
	assert.Equal(t, "h3", resp.TLS.NegotiatedProtocol)
	assert.Equal(t, "chat", c.Protocol())
	assert.Equal(t, "chat", sc.Protocol())
	require.Len(t, c.Extensions(), 1)
	assert.Equal(t, "permessage-deflate", c.Extensions()[0].Name())
	require.Len(t, sc.Extensions(), 1)
	assert.Equal(t, "wss", c.URI().Scheme)
	assert.Equal(t, "wss", sc.URI().Scheme)
	assert.Equal(t, "udp", sc.RemoteAddr().Network(), "the server sees the client's UDP address")

	cr := record(c)
	mib := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	msgs := []message{
		{wsconn.DataText, []byte("hello")},
		{wsconn.DataBinary, []byte{0, 1, 2, 255}},
		{wsconn.DataBinary, mib},
		{wsconn.DataText, []byte("héllo wörld")},
		{wsconn.DataText, []byte{}},
	}
	for _, m := range msgs {
		require.NoError(t, c.SendMessage(m.typ, m.data))
	}
	for _, m := range msgs {
		got := cr.message(t)
		assert.Equal(t, m.typ, got.typ)
		assert.True(t, bytes.Equal(m.data, got.data), "message of %d bytes came back as %d bytes", len(m.data), len(got.data))
	}

	require.NoError(t, c.SendText("close 4001"))
	cr.waitClosed(t)
	sr.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, wsconn.CloseCode(4001), st.Code)
	assert.Equal(t, "asked", st.Reason)
	assert.True(t, st.Remote)
	assert.True(t, st.Clean, "client: %v", st)
	assert.True(t, sc.CloseStatus().Clean, "server: %v", sc.CloseStatus())
	assert.Equal(t, int32(1), srv.conns.Load())
	waitPoolEmpty(t)
}

// TestClientCloses: the client closes with 1000, cleanly on both ends.
func TestClientCloses(t *testing.T) {
	serverConns := make(chan *wsconn.WebsocketConnection, 1)
	srv := newServer(t, wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		serverConns <- c
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
	}))
	c, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	sc := <-serverConns
	sr := record(sc)
	cr := record(c)
	require.NoError(t, c.SendText("x"))
	assert.Equal(t, "x", string(cr.message(t).data))
	require.NoError(t, c.Close(wsconn.CloseNormal, "bye"))
	cr.waitClosed(t)
	sr.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, wsconn.CloseNormal, st.Code)
	assert.Equal(t, "bye", st.Reason)
	assert.False(t, st.Remote)
	assert.True(t, st.Clean, "client: %v", st)
	sst := sc.CloseStatus()
	assert.Equal(t, wsconn.CloseNormal, sst.Code)
	assert.True(t, sst.Clean, "server: %v", sst)
	waitPoolEmpty(t)
}

// TestNewTransport runs wsconn.Dial through NewTransport with a quic-go
// Transport of the test's own: the WebSockets share its QUIC connection,
// which closes after the last one, and the Transport is never used (nor
// needs closing).
func TestNewTransport(t *testing.T) {
	accepted := make(chan *http.Request, 2)
	srv := newServer(t, echoHandler(nil, accepted))
	_, pool := testCert()
	rt := NewTransport(&quichttp3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	opts := &wsconn.DialOptions{Transport: rt}
	var cs []*wsconn.WebsocketConnection
	for _, path := range []string{"/a", "/b"} {
		c, resp, err := wsconn.Dial(dialContext(t), srv.url(path), opts)
		require.NoError(t, err)
		assert.Equal(t, 3, resp.ProtoMajor)
		assert.Equal(t, path, (<-accepted).URL.Path)
		got, err := echoOnce(c, "over "+path)
		require.NoError(t, err)
		assert.Equal(t, "over "+path, got)
		cs = append(cs, c)
	}
	assert.Equal(t, int32(1), srv.conns.Load())
	for _, c := range cs {
		closeAndWait(t, c)
		assert.True(t, c.CloseStatus().Clean)
	}
	waitPoolEmpty(t)
}

package wsconn_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
)

// handshakeHeader returns the headers of a valid client handshake request.
func handshakeHeader() http.Header {
	return http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
	}
}

func TestAcceptRefusals(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		change  func(h http.Header)
		status  int
		wantErr error
		header  string // a header the refusal must carry, as "Name: value"
	}{
		{name: "not an upgrade", change: func(h http.Header) { h.Del("Upgrade") }, status: 400, wantErr: handshake.ErrUpgrade},
		{name: "POST", method: http.MethodPost, status: 400, wantErr: handshake.ErrMethod},
		{name: "bad key", change: func(h http.Header) { h.Set("Sec-WebSocket-Key", "short") }, status: 400, wantErr: handshake.ErrKey},
		{name: "old version", change: func(h http.Header) { h.Set("Sec-WebSocket-Version", "8") }, status: 426,
			wantErr: handshake.ErrVersion, header: "Sec-Websocket-Version: 13"},
		{name: "cross origin", change: func(h http.Header) { h.Set("Origin", "https://evil.example") }, status: 403, wantErr: handshake.ErrOrigin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, serverConfig{})
			h := handshakeHeader()
			if tt.change != nil {
				tt.change(h)
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, s.URL+"/", nil)
			require.NoError(t, err)
			req.Header = h
			resp, err := s.Client().Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.NotEmpty(t, body, "the refusal says why")
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				assert.Equal(t, value, resp.Header.Get(name))
			}

			err = s.acceptErr(t)
			var he *handshake.Error
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tt.status, he.Status)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "wsconn: accept: "), "error %q", err)
		})
	}
}

// TestAcceptRefusesGETOverHTTP2: over HTTP/2 a WebSocket opens with an
// extended CONNECT; a GET is refused with 400, without a Connection header
// (which would shut the HTTP/2 connection down).
func TestAcceptRefusesGETOverHTTP2(t *testing.T) {
	s := httptest.NewUnstartedServer(nil)
	errs := make(chan error, 1)
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Accept(w, r, nil)
		if c != nil {
			c.Abort()
		}
		errs <- err
	})
	s.EnableHTTP2 = true
	s.StartTLS()
	defer s.Close()

	resp, err := s.Client().Get(s.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, resp.Header.Values("Connection"))
	assert.Contains(t, string(body), "over HTTP/2 a WebSocket opens with CONNECT and :protocol websocket")
	err = <-errs
	require.ErrorIs(t, err, handshake.ErrMethod)
	assert.Contains(t, err.Error(), "wsconn: accept: ")
}

// noHijack is a ResponseWriter that cannot hand its connection over.
type noHijack struct{ http.ResponseWriter }

func TestAcceptWithoutHijacker(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	r.Header = handshakeHeader()
	rec := httptest.NewRecorder()
	c, err := wsconn.Accept(noHijack{rec}, r, nil)
	assert.Nil(t, c)
	require.ErrorIs(t, err, http.ErrNotSupported)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Empty(t, rec.Header().Get("Sec-WebSocket-Accept"), "no handshake answer leaked")
}

// rawClient sends a handshake request for path to addr and, in the same
// write, a masked text frame of first. It returns the connection and a
// reader past the 101 response.
func rawClient(t *testing.T, addr, path, first string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(testWait))

	var b bytes.Buffer
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	handshakeHeader().Write(&b)
	b.WriteString("\r\n")
	key := [4]byte{1, 2, 3, 4}
	b.Write([]byte{0x81, 0x80 | byte(len(first))}) // text, masked
	b.Write(key[:])
	for i := 0; i < len(first); i++ {
		b.WriteByte(first[i] ^ key[i%4])
	}
	_, err = conn.Write(b.Bytes())
	require.NoError(t, err)

	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), resp.Header.Get("Sec-WebSocket-Accept"))
	assert.Empty(t, resp.Header.Get("Content-Length"))
	assert.Empty(t, resp.Header.Get("Transfer-Encoding"))
	return conn, br
}

// expectEcho reads an unmasked text frame of text from br.
func expectEcho(t *testing.T, br *bufio.Reader, text string) {
	t.Helper()
	got := make([]byte, 2+len(text))
	_, err := io.ReadFull(br, got)
	require.NoError(t, err)
	assert.Equal(t, append([]byte{0x81, byte(len(text))}, text...), got)
}

// closeFromServer closes server and answers its close frame over the raw
// client connection.
func closeFromServer(t *testing.T, server *wsconn.WebsocketConnection, conn net.Conn, br *bufio.Reader) {
	t.Helper()
	require.NoError(t, server.Close(wsconn.CloseNormal, ""))
	closeFrame := make([]byte, 4)
	_, err := io.ReadFull(br, closeFrame)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x88, 2, 0x03, 0xe8}, closeFrame)
	_, err = conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}) // masked with a zero key
	require.NoError(t, err)
}

func TestAcceptKeepsBytesReadWithTheRequest(t *testing.T) {
	// A client that sends its first frame in the same write as its
	// request: the HTTP server reads some of it with the head.
	s := newTestServer(t, serverConfig{})
	conn, br := rawClient(t, s.Listener.Addr().String(), "/early", "early bird")
	server := s.peer(t)
	assert.Equal(t, received{wsconn.DataText, []byte("early bird")}, server.message(t))
	expectEcho(t, br, "early bird")
	closeFromServer(t, server.c, conn, br)
	server.waitClosed(t)
	assert.True(t, server.c.CloseStatus().Clean)
}

func TestHandlerSeesWhatTheClientSentAtOnce(t *testing.T) {
	closed := make(chan *wsconn.WebsocketConnection, 1)
	s := httptest.NewServer(wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		// The client's frame has arrived long before: reading waits
		// until this function returns.
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
		c.OnClosed(func() { closed <- c })
	}))
	defer s.Close()
	addr := s.Listener.Addr().String()

	for i := 0; i < 20; i++ {
		conn, br := rawClient(t, addr, "/", "hi "+strconv.Itoa(i))
		expectEcho(t, br, "hi "+strconv.Itoa(i))
		_, err := conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
		require.NoError(t, err)
		select {
		case c := <-closed:
			assert.True(t, c.CloseStatus().Clean)
		case <-time.After(testWait):
			t.Fatal("the server connection did not close")
		}
		conn.Close()
	}
}

func TestHandlerInServeMux(t *testing.T) {
	type result struct {
		path  string
		state wsconn.State
	}
	returned := make(chan result, 1)
	conns := make(chan *wsconn.WebsocketConnection, 1)
	mux := http.NewServeMux()
	h := wsconn.Handler(&wsconn.AcceptOptions{Protocols: []string{"chat"}}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
		c.SendText("welcome to " + r.URL.Path)
		conns <- c
	})
	mux.Handle("/chat/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		// ServeHTTP returns when fn does; the connection lives on.
		select {
		case c := <-conns:
			returned <- result{r.URL.Path, c.State()}
		default:
		}
	}))
	mux.HandleFunc("/", http.NotFound)
	s := httptest.NewServer(mux)
	defer s.Close()

	client, _ := dialPeer(t, "ws://"+s.Listener.Addr().String()+"/chat/room1", &wsconn.DialOptions{Protocols: []string{"chat"}})
	assert.Equal(t, received{wsconn.DataText, []byte("welcome to /chat/room1")}, client.message(t))
	assert.Equal(t, "chat", client.c.Protocol())
	select {
	case r := <-returned:
		assert.Equal(t, result{"/chat/room1", wsconn.StateOpen}, r)
	case <-time.After(testWait):
		t.Fatal("the handler did not return")
	}
	exchange(t, client)

	// Another path of the mux is not a WebSocket endpoint.
	_, _, err := dialPeerErr(t, "ws://"+s.Listener.Addr().String()+"/other", nil)
	var se *handshake.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusNotFound, se.StatusCode)

	// A plain GET on the WebSocket path is refused by Accept.
	resp, err := s.Client().Get(s.URL + "/chat/room1")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestHandlerPanicsOnNilFunc(t *testing.T) {
	assert.Panics(t, func() { wsconn.Handler(nil, nil) })
}

func TestReadHeaderTimeoutCutsOffSlowHandshake(t *testing.T) {
	called := make(chan struct{}, 1)
	srv := &http.Server{
		ReadHeaderTimeout: 100 * time.Millisecond,
		MaxHeaderBytes:    4 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called <- struct{}{}
			if c, err := wsconn.Accept(w, r, nil); err == nil {
				c.Abort()
			}
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()

	// A slowloris client: the start of a handshake request, then nothing.
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n")
	require.NoError(t, err)

	// The server hangs up on it: the read ends long before our own
	// deadline, with end of stream (or a 408 first, depending on Go).
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(testWait))
	got, err := io.ReadAll(conn)
	require.NoError(t, err, "the server did not close the connection; got %q", got)
	assert.Less(t, time.Since(start), testWait)
	if len(got) > 0 {
		assert.True(t, strings.HasPrefix(string(got), "HTTP/1.1 408"), "got %q", got)
	}
	select {
	case <-called:
		t.Fatal("the handler ran for an incomplete request")
	default:
	}

	// MaxHeaderBytes refuses a huge head at once.
	conn2, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn2.Close()
	conn2.SetDeadline(time.Now().Add(testWait))
	_, err = io.WriteString(conn2, "GET /ws HTTP/1.1\r\nHost: example.com\r\nX-Padding: "+strings.Repeat("a", 16<<10)+"\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn2), nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

func TestAcceptOverTLSReportsWSS(t *testing.T) {
	s := newTestServer(t, serverConfig{tls: true})
	cfg := trustingTLS(t)
	cfg.NextProtos = []string{"h2"} // replaced: the handshake needs HTTP/1.1
	client, _ := dialPeer(t, s.wsURL("/secure"), &wsconn.DialOptions{TLSConfig: cfg})
	server := s.peer(t)
	assert.Equal(t, "wss://"+s.Listener.Addr().String()+"/secure", server.c.URI().String())
	exchange(t, client)

	// A client that does not trust the certificate fails in TLS.
	_, _, err := dialPeerErr(t, s.wsURL("/secure"), &wsconn.DialOptions{TLSConfig: &tls.Config{}})
	var cerr *tls.CertificateVerificationError
	assert.ErrorAs(t, err, &cerr)
	assert.Contains(t, err.Error(), "TLS handshake")
}

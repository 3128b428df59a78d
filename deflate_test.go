package wsconn

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/internal/frame"
)

// negotiate runs the opening handshake's negotiation between a client and
// a server registry and returns the extensions each side configured.
func negotiate(t testing.TB, client, server *extensions.Registry) (cexts, sexts []extensions.Extension) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://example.test/", nil)
	require.NoError(t, handshake.ClientPrepare(req, "", nil, client))
	srv := handshake.Server{Extensions: server}
	h := make(http.Header)
	_, sexts, err := srv.Process(req, h)
	require.NoError(t, err)
	_, cexts, err = handshake.ClientVerify(req, &http.Response{StatusCode: http.StatusSwitchingProtocols, Header: h}, client)
	require.NoError(t, err)
	return cexts, sexts
}

// countingConn counts the bytes written to a stream.
type countingConn struct {
	net.Conn
	written atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

func deflateReg(o extensions.DeflateOptions) *extensions.Registry {
	return extensions.NewRegistry(extensions.NewDeflate(o))
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestDeflateRoundTrips(t *testing.T) {
	type params struct {
		clientNoCtx, serverNoCtx bool
		bits                     int
	}
	var cases []params
	for _, bits := range []int{0, 9, 10, 11, 12, 13, 14, 15} {
		for _, ctx := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			cases = append(cases, params{ctx[0], ctx[1], bits})
		}
	}
	compressible := []byte(strings.Repeat(`{"user":"ada","msg":"hello, world","n":12345}`, 1500)) // ~66 KB
	incompressible := randomBytes(32<<10, 7)
	fragmented := []byte(strings.Repeat("fragment me, fragment me. ", 12000)) // ~300 KB
	for _, p := range cases {
		for _, transport := range []string{"pipe", "tcp"} {
			if transport == "tcp" && p.bits != 0 && p.bits != 9 {
				continue // TCP for a subset; the pipe covers every window
			}
			name := fmt.Sprintf("%s/bits=%d/clientNoCtx=%v/serverNoCtx=%v", transport, p.bits, p.clientNoCtx, p.serverNoCtx)
			t.Run(name, func(t *testing.T) {
				o := extensions.DeflateOptions{
					ClientNoContextTakeover: p.clientNoCtx, ServerNoContextTakeover: p.serverNoCtx,
					ClientMaxWindowBits: p.bits, ServerMaxWindowBits: p.bits,
				}
				cexts, sexts := negotiate(t, deflateReg(o), deflateReg(extensions.DeflateOptions{}))
				require.Len(t, cexts, 1)
				require.Len(t, sexts, 1)

				var a, b net.Conn
				if transport == "tcp" {
					a, b = tcpConns(t)
				} else {
					a, b = pipePair()
				}
				counted := &countingConn{Conn: a}
				opts := &Options{MaxIncomingPayloadSize: -1, MaxTotalMessageSize: -1, FragmentSize: 16 << 10, KeepaliveInterval: time.Millisecond} // pings pass between fragments
				client := NewWebsocketConnection(counted, testURI, ConnectionClient, "", "", cexts, opts)
				server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", sexts, opts)
				cr, sr := record(client), record(server)
				defer func() {
					client.Abort()
					server.Abort()
					cr.waitClosed(t)
					sr.waitClosed(t)
				}()
				server.OnMessage(func(typ DataType, data []byte) { server.SendMessage(typ, data) })

				msgs := []struct {
					typ  DataType
					data []byte
				}{
					{DataText, compressible}, {DataBinary, incompressible}, {DataText, []byte("tiny")},
					{DataText, []byte{}}, {DataText, fragmented}, {DataText, compressible}, {DataBinary, compressible},
				}
				before := counted.written.Load()
				require.NoError(t, client.SendMessage(DataText, compressible))
				got := cr.message(t)
				require.Equal(t, compressible, got.data)
				assert.Less(t, counted.written.Load()-before, int64(len(compressible)/4), "the message went out compressed")

				for _, m := range msgs {
					require.NoError(t, client.SendMessage(m.typ, m.data))
				}
				for i, m := range msgs {
					got := cr.message(t)
					assert.Equal(t, m.typ, got.typ, "message %d", i)
					assert.True(t, bytes.Equal(m.data, got.data), "message %d: %d bytes echoed as %d", i, len(m.data), len(got.data))
				}
				assert.Equal(t, StateOpen, client.State())
			})
		}
	}
}

// rawDeflate compresses p the way RFC 7692 sends a message: raw DEFLATE,
// sync-flushed, without the final 0x00 0x00 0xff 0xff.
func rawDeflate(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(p)
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	out := buf.Bytes()
	require.True(t, bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}))
	return out[:len(out)-4]
}

// deflateServer returns a server connection with permessage-deflate
// negotiated, and a raw client peer.
func deflateServer(t *testing.T, opts *Options) (*WebsocketConnection, *rawPeer, *recorder) {
	t.Helper()
	_, sexts := negotiate(t, deflateReg(extensions.DeflateOptions{}), deflateReg(extensions.DeflateOptions{}))
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", sexts, opts)
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	t.Cleanup(func() {
		c.Abort()
		b.Close()
		rec.waitClosed(t)
	})
	return c, p, rec
}

func TestDeflateRawPeerMessages(t *testing.T) {
	_, p, rec := deflateServer(t, nil)
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText}, rawDeflate(t, []byte("Hello, Hello, Hello!")))
	assert.Equal(t, "Hello, Hello, Hello!", string(rec.message(t).data))

	// A compressed message in three fragments: RSV1 on the first only.
	z := rawDeflate(t, []byte(strings.Repeat("abc", 1000)))
	p.send(frame.Header{RSV: frame.RSV1, Opcode: frame.OpBinary}, z[:5])
	p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("between"))
	p.send(frame.Header{Opcode: frame.OpContinuation}, z[5:10])
	p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, z[10:])
	assert.Equal(t, strings.Repeat("abc", 1000), string(rec.message(t).data))
	h, payload := p.read()
	assert.Equal(t, frame.OpPong, h.Opcode)
	assert.Equal(t, "between", string(payload))

	// Uncompressed messages still pass.
	p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("plain"))
	assert.Equal(t, "plain", string(rec.message(t).data))
}

func TestDeflateBadInput(t *testing.T) {
	bomb := rawDeflate(t, make([]byte, 4<<20)) // 4 MiB of zeros in a few KiB
	tests := []struct {
		name string
		send func(*testing.T, *rawPeer)
		code CloseCode
		err  error
	}{
		{"bomb past the message limit", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpBinary}, bomb)
		}, CloseMessageTooBig, ErrMessageTooBig},
		{"corrupt data", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpBinary}, []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb})
		}, CloseInvalidPayload, nil},
		{"invalid UTF-8 after inflation", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText}, rawDeflate(t, []byte("ok\xff")))
		}, CloseInvalidPayload, ErrInvalidUTF8},
		{"RSV1 on a control frame", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpPing}, nil)
		}, CloseProtocolError, ErrProtocol},
		{"RSV1 on a continuation frame", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{RSV: frame.RSV1, Opcode: frame.OpBinary}, bomb[:10])
			p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpContinuation}, bomb[10:20])
		}, CloseProtocolError, ErrProtocol},
		{"RSV2 is still reserved", func(t *testing.T, p *rawPeer) {
			p.send(frame.Header{Fin: true, RSV: frame.RSV2, Opcode: frame.OpBinary}, nil)
		}, CloseProtocolError, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p, rec := deflateServer(t, &Options{MaxTotalMessageSize: 1 << 20})
			tt.send(t, p)
			code, _, _ := p.readClose()
			assert.Equal(t, tt.code, code)
			err := rec.err(t)
			var perr *ProtocolError
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tt.code, perr.Code)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
}

func TestDeflateNotNegotiatedRefusesRSV1(t *testing.T) {
	_, p, _ := newRaw(t, ConnectionServer, nil)
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText}, rawDeflate(t, []byte("hi")))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseProtocolError, code)
}

func TestDeflateOverDialAndAccept(t *testing.T) {
	reg := deflateReg(extensions.DeflateOptions{})
	srv := httptest.NewServer(Handler(&AcceptOptions{Extensions: reg}, func(c *WebsocketConnection, r *http.Request) {
		c.OnMessage(func(typ DataType, data []byte) { c.SendMessage(typ, data) })
	}))
	defer srv.Close()
	c, resp, err := dialTest(t, srv.URL, &DialOptions{Extensions: reg})
	require.NoError(t, err)
	assert.Contains(t, resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	require.Len(t, c.Extensions(), 1)
	assert.Equal(t, "permessage-deflate", c.Extensions()[0].Name())
	rec := record(c)
	text := strings.Repeat("compress me ", 5000)
	require.NoError(t, c.SendText(text))
	assert.Equal(t, text, string(rec.message(t).data))
	require.NoError(t, c.Close(CloseNormal, ""))
	rec.waitClosed(t)
	assert.True(t, c.CloseStatus().Clean)
}

func dialTest(t *testing.T, url string, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return Dial(ctx, url, opts)
}

// TestDeflateCorruptMessageWrapsErrCorrupt: a compressed message that does
// not inflate fails the connection with 1007, and the error reported wraps
// the extension's ErrCorrupt.
func TestDeflateCorruptMessageWrapsErrCorrupt(t *testing.T) {
	c, p, rec := deflateServer(t, nil)
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpBinary}, []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb})
	code, _, _ := p.readClose()
	assert.Equal(t, CloseInvalidPayload, code)
	err := rec.err(t)
	assert.ErrorIs(t, err, extensions.ErrCorrupt)
	var perr *ProtocolError
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CloseInvalidPayload, perr.Code)
	assert.Equal(t, CloseInvalidPayload, c.CloseStatus().SentCode)
}

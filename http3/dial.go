package http3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	quichttp3 "github.com/quic-go/quic-go/http3"

	"github.com/wsconn/wsconn"
)

// Dial opens a WebSocket over HTTP/3 to rawURL, a wss:// URL (https:// is
// taken as an alias), and returns it with the server's handshake response,
// a 200 over HTTP/3.
//
// Dial is wsconn.Dial with opts.Transport set to a RoundTripper of this
// package, and opts mean what they mean there: Header, Origin, Protocols,
// Extensions, Jar, MaxRedirects (to wss:// and https:// URLs only),
// HandshakeTimeout, which bounds the QUIC handshake too, and
// ConnectionOptions. TLSConfig configures TLS: its ServerName defaults to
// the URL's host, and its NextProtos are replaced by "h3". HTTPProtocols,
// Proxy and NetDial do not apply: QUIC goes to the server over UDP.
// opts.Transport must be nil; to give one, call wsconn.Dial with
// NewTransport.
//
// WebSockets dialed to the same host and port with the same TLSConfig
// (the same pointer, or both nil) share a QUIC connection, up to 100 of
// them, which closes when its last WebSocket closes. Its QUIC settings are
// quic-go's defaults with a keepalive every 10 seconds, so that an idle
// WebSocket outlives QUIC's idle timeout; use NewTransport for others. A
// server that allows fewer concurrent streams on a connection than 100
// (quic-go's MaxIncomingStreams) makes further Dials wait, within their
// context, until one of its WebSockets has closed.
//
// A server whose SETTINGS do not allow extended CONNECT fails the Dial
// with an error that says so; a refusal fails it with a
// *handshake.StatusError, as for wsconn.Dial.
func Dial(ctx context.Context, rawURL string, opts *wsconn.DialOptions) (*wsconn.WebsocketConnection, *http.Response, error) {
	var o wsconn.DialOptions
	if opts != nil {
		o = *opts
	}
	if o.Transport != nil {
		return nil, nil, errors.New("wsconn/http3: Dial: DialOptions.Transport is set: call wsconn.Dial with it")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("wsconn/http3: dial: %w", err)
	}
	if s := strings.ToLower(u.Scheme); s != "wss" && s != "https" {
		return nil, nil, fmt.Errorf("wsconn/http3: dial %s: scheme %q: HTTP/3 needs wss or https", u.Redacted(), u.Scheme)
	}
	o.Transport = &roundTripper{
		t:      &quichttp3.Transport{TLSClientConfig: o.TLSConfig, DisableCompression: true},
		config: o.TLSConfig,
	}
	return wsconn.Dial(ctx, rawURL, &o)
}

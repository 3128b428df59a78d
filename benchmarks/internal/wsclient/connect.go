package wsclient

import (
	"fmt"
	"net/http"
	"net/url"
)

// newConnectRequest returns the extended CONNECT request that opens a
// WebSocket to the wss:// URL rawURL as the stream of an HTTP/2 or HTTP/3
// request (RFC 8441 section 4, RFC 9220 section 3): :method CONNECT,
// :protocol websocket, :scheme https, the path of the URL, and the
// headers of the HTTP/1.1 handshake but Upgrade, Connection and
// Sec-WebSocket-Key, which have no place there. The caller puts the
// :protocol where its HTTP client wants it.
func newConnectRequest(rawURL string, opts Options) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "wss" {
		return nil, fmt.Errorf("wsclient: URL %q: scheme is not wss, which WebSocket over HTTP/2 and HTTP/3 is", rawURL)
	}
	req := &http.Request{
		Method:     http.MethodConnect,
		URL:        &url.URL{Scheme: "https", Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Host:       u.Host,
		Header:     http.Header{"Sec-Websocket-Version": {"13"}},
		ProtoMajor: 1, // the HTTP clients set what they speak
		ProtoMinor: 1,
	}
	if req.URL.Path == "" {
		req.URL.Path = "/"
	}
	if opts.Origin != "" {
		req.Header.Set("Origin", opts.Origin)
	}
	if opts.Deflate {
		req.Header.Set("Sec-WebSocket-Extensions", deflateOffer)
	}
	return req, nil
}

// checkConnectResponse checks the answer to an extended CONNECT request:
// a 2xx status, which opens the stream, and the server's answer to the
// permessage-deflate offer if deflate.
func checkConnectResponse(resp *http.Response, deflate bool) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %q, not 2xx", resp.Status)
	}
	return checkExtensions(resp.Header.Values("Sec-WebSocket-Extensions"), deflate)
}

package wsclient

import (
	"net/http"
	"testing"
)

// TestConnectRequest checks the extended CONNECT request of RFC 8441:
// the headers of the HTTP/1.1 handshake that have a place in it, and none
// of the others.
func TestConnectRequest(t *testing.T) {
	req, err := newConnectRequest("wss://127.0.0.1:8443/echo?x=1", Options{Deflate: true, Origin: "http://o.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodConnect || req.URL.String() != "https://127.0.0.1:8443/echo?x=1" || req.Host != "127.0.0.1:8443" {
		t.Errorf("request %s %s, host %s", req.Method, req.URL, req.Host)
	}
	h := req.Header
	if h.Get("Sec-WebSocket-Version") != "13" || h.Get("Origin") != "http://o.invalid" || h.Get("Sec-WebSocket-Extensions") != deflateOffer {
		t.Errorf("headers %v", h)
	}
	for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Key"} {
		if _, ok := h[http.CanonicalHeaderKey(name)]; ok {
			t.Errorf("header %s is set", name)
		}
	}
	if _, err := newConnectRequest("ws://127.0.0.1/", Options{}); err == nil {
		t.Error("a ws:// URL was taken for an extended CONNECT")
	}
}

func TestCheckConnectResponse(t *testing.T) {
	ok := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{
		"Sec-Websocket-Extensions": {"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}}}
	if err := checkConnectResponse(ok, true); err != nil {
		t.Errorf("200 with deflate: %v", err)
	}
	if err := checkConnectResponse(&http.Response{StatusCode: 200, Header: http.Header{}}, true); err == nil {
		t.Error("deflate not accepted, yet no error")
	}
	if err := checkConnectResponse(&http.Response{StatusCode: 400, Status: "400 Bad Request"}, false); err == nil {
		t.Error("a 400 was taken")
	}
}

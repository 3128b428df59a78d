package handshake

import (
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Header names, as RFC 6455 spells them. http.Header canonicalises them
// ("Sec-Websocket-Key") on access; header names are case-insensitive.
const (
	hUpgrade    = "Upgrade"
	hConnection = "Connection"
	hOrigin     = "Origin"
	hKey        = "Sec-WebSocket-Key"
	hAccept     = "Sec-WebSocket-Accept"
	hVersion    = "Sec-WebSocket-Version"
	hProtocol   = "Sec-WebSocket-Protocol"
	hExtensions = "Sec-WebSocket-Extensions"
)

// single returns the value, without surrounding whitespace, of a header
// that must appear exactly once. When it does not, ok is false and detail says why; value then joins the
// lines present.
func single(h http.Header, name string) (value, detail string, ok bool) {
	vs := h.Values(name)
	switch len(vs) {
	case 0:
		return "", "missing", false
	case 1:
		return trimOWS(vs[0]), "", true
	}
	return strings.Join(vs, ", "), "header repeated", false
}

// parseProtocols parses the Sec-WebSocket-Protocol lines of a header as one
// list of distinct tokens. On failure it returns the offending element and
// why.
func parseProtocols(values []string) (protocols []string, bad, detail string) {
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			p := trimOWS(elem)
			switch {
			case p == "":
				return nil, v, "empty list element"
			case !httpguts.ValidHeaderFieldName(p): // a token, as header names are
				return nil, p, "not a token"
			case slices.Contains(protocols, p):
				return nil, p, "offered twice"
			}
			protocols = append(protocols, p)
		}
	}
	return protocols, "", ""
}

// trimOWS removes the optional whitespace (spaces and tabs) around s.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

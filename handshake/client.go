package handshake

import (
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/wsconn/wsconn/extensions"
)

// ClientPrepare fills req, a handshake request whose URL the caller has set,
// with the headers of RFC 6455 section 4.1: Upgrade: websocket, Connection:
// Upgrade, Sec-WebSocket-Version: 13, a fresh Sec-WebSocket-Key (16 bytes
// from crypto/rand), Origin when origin is not "", Sec-WebSocket-Protocol
// listing protocols when there are any, and Sec-WebSocket-Extensions with
// the RequestParams of a fresh instance of every extension in supported
// (nil offers none).
//
// ClientPrepare replaces any value the caller gave those headers, and
// removes Origin, Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when
// it has nothing to put there, so that the request offers exactly what the
// arguments say; other headers, such as cookies or authorization, are kept.
// An empty Method becomes GET. Method CONNECT prepares the extended
// CONNECT request that opens a WebSocket over HTTP/2 or HTTP/3 (RFC 8441,
// RFC 9220): the request gets a header named ":protocol" with the value
// websocket, standing for the pseudo-header as golang.org/x/net/http2's
// Transport takes it, and no Upgrade, Connection or Sec-WebSocket-Key.
// Other methods are refused with ErrMethod. Protocols must be distinct
// tokens (ErrProtocol), and the extensions' names and parameters must make
// a valid header (ErrExtension).
func ClientPrepare(req *http.Request, origin string, protocols []string, supported *extensions.Registry) error {
	switch req.Method {
	case "":
		req.Method = http.MethodGet
	case http.MethodGet, http.MethodConnect:
	default:
		return &Error{Err: ErrMethod, Value: req.Method, detail: "want GET, or CONNECT over HTTP/2 and HTTP/3"}
	}

	var offers []extensions.Offer
	for _, name := range supported.Names() {
		ext := supported.New(name)
		o := extensions.Offer{Name: ext.Name(), Params: ext.RequestParams()}
		if detail := checkOffer(o); detail != "" {
			return &Error{Header: hExtensions, Value: extensions.FormatHeader([]extensions.Offer{o}), Err: ErrExtension, detail: detail}
		}
		offers = append(offers, o)
	}
	extHeader := extensions.FormatHeader(offers)
	for i, p := range protocols {
		switch {
		case !httpguts.ValidHeaderFieldName(p): // a token, as header names are
			return &Error{Header: hProtocol, Value: p, Err: ErrProtocol, detail: "not a token"}
		case slices.Contains(protocols[:i], p):
			return &Error{Header: hProtocol, Value: p, Err: ErrProtocol, detail: "offered twice"}
		}
	}
	protoHeader := strings.Join(protocols, ", ")

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	h := req.Header
	if isConnectForm(req) {
		h.Del(hUpgrade)
		h.Del(hConnection)
		h.Del(hKey)
		h.Set(protocolHeader, "websocket")
	} else {
		key, err := newKey()
		if err != nil {
			return err
		}
		h.Set(hUpgrade, "websocket")
		h.Set(hConnection, "Upgrade")
		h.Set(hKey, key)
	}
	h.Set(hVersion, "13")
	setOrDelete(h, hOrigin, origin)
	setOrDelete(h, hProtocol, protoHeader)
	setOrDelete(h, hExtensions, extHeader)
	return nil
}

// ClientVerify checks the server's response resp to the handshake request
// req, which ClientPrepare filled with the same supported registry, as RFC
// 6455 section 4.2.2 asks of a client.
//
// A status other than 101 Switching Protocols is reported as a
// *StatusError holding resp. Otherwise Upgrade must hold the token
// websocket and Connection the token upgrade (ErrUpgrade, ErrConnection),
// and Sec-WebSocket-Accept must appear once, equal to AcceptKey of the
// request's key (ErrAccept). Sec-WebSocket-Protocol, if present, must name
// exactly one of the protocols of the request (ErrProtocol); a response
// that names none, when some were offered, is accepted with protocol "".
// Every extension of Sec-WebSocket-Extensions must have been offered, at
// most once, and accept the response's parameters through Configure of a
// fresh instance for the client side; two extensions may not claim the same
// reserved bits (ErrExtension).
//
// For an extended CONNECT request (HTTP/2 and HTTP/3) the response must
// have a 2xx status instead, 200 OK as a rule, and has no Upgrade,
// Connection or Sec-WebSocket-Accept to check; Sec-WebSocket-Protocol and
// Sec-WebSocket-Extensions are checked alike.
//
// ClientVerify returns the protocol chosen by the server and the
// configured extensions in the order of the response, the order in which
// a connection applies them. It does not read resp.Body.
func ClientVerify(req *http.Request, resp *http.Response, supported *extensions.Registry) (protocol string, exts []extensions.Extension, err error) {
	if isConnectForm(req) {
		if resp.StatusCode/100 != 2 {
			return "", nil, &StatusError{StatusCode: resp.StatusCode, Response: resp}
		}
	} else if err := verifyUpgrade(req, resp); err != nil {
		return "", nil, err
	}
	h := resp.Header

	protocol, err = verifyProtocol(req.Header.Values(hProtocol), h.Values(hProtocol))
	if err != nil {
		return "", nil, err
	}
	exts, err = verifyExtensions(req.Header.Values(hExtensions), h.Values(hExtensions), supported)
	if err != nil {
		return "", nil, err
	}
	return protocol, exts, nil
}

// verifyUpgrade checks the parts of an HTTP/1.1 answer that switch the
// connection to WebSocket.
func verifyUpgrade(req *http.Request, resp *http.Response) error {
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return &StatusError{StatusCode: resp.StatusCode, Response: resp}
	}
	h := resp.Header
	if v := h.Values(hUpgrade); !httpguts.HeaderValuesContainsToken(v, "websocket") {
		return &Error{Header: hUpgrade, Value: strings.Join(v, ", "), Err: ErrUpgrade, detail: missingOr(v, `no "websocket" token`)}
	}
	if v := h.Values(hConnection); !httpguts.HeaderValuesContainsToken(v, "upgrade") {
		return &Error{Header: hConnection, Value: strings.Join(v, ", "), Err: ErrConnection, detail: missingOr(v, `no "upgrade" token`)}
	}
	key, detail, ok := single(req.Header, hKey)
	if !ok {
		return &Error{Header: hKey, Value: key, Err: ErrKey, detail: "request: " + detail}
	}
	accept, detail, ok := single(h, hAccept)
	if !ok {
		return &Error{Header: hAccept, Value: accept, Err: ErrAccept, detail: detail}
	}
	if want := AcceptKey(key); accept != want {
		return &Error{Header: hAccept, Value: accept, Err: ErrAccept, detail: "want " + quote(want)}
	}
	return nil
}

// verifyProtocol checks the Sec-WebSocket-Protocol lines of a response
// against those of the request.
func verifyProtocol(offered, answered []string) (string, error) {
	if len(answered) == 0 {
		return "", nil
	}
	value := strings.Join(answered, ", ")
	if len(answered) > 1 {
		return "", &Error{Header: hProtocol, Value: value, Err: ErrProtocol, detail: "header repeated"}
	}
	offers, bad, detail := parseProtocols(offered)
	if detail != "" {
		return "", &Error{Header: hProtocol, Value: bad, Err: ErrProtocol, detail: "request: " + detail}
	}
	p := trimOWS(answered[0])
	switch {
	case len(offers) == 0:
		return "", &Error{Header: hProtocol, Value: value, Err: ErrProtocol, detail: "no protocol was offered"}
	case !slices.Contains(offers, p):
		return "", &Error{Header: hProtocol, Value: value, Err: ErrProtocol, detail: "not one of the protocols offered"}
	}
	return p, nil
}

// verifyExtensions checks the Sec-WebSocket-Extensions lines of a response
// against the offers of the request and configures the accepted
// extensions.
func verifyExtensions(offered, answered []string, supported *extensions.Registry) ([]extensions.Extension, error) {
	if len(answered) == 0 {
		return nil, nil
	}
	value := strings.Join(answered, ", ")
	responses, err := extensions.ParseHeader(answered)
	if err != nil {
		return nil, &Error{Header: hExtensions, Value: value, Err: ErrExtension, cause: err}
	}
	offers, err := extensions.ParseHeader(offered)
	if err != nil {
		return nil, &Error{Header: hExtensions, Value: strings.Join(offered, ", "), Err: ErrExtension, detail: "request", cause: err}
	}
	var exts []extensions.Extension
	var bits byte
	for _, r := range responses {
		fail := func(detail string, cause error) error {
			return &Error{Header: hExtensions, Value: value, Err: ErrExtension, detail: quote(r.Name) + " " + detail, cause: cause}
		}
		if !offeredName(offers, r.Name) {
			return nil, fail("was not offered", nil)
		}
		for _, e := range exts {
			if strings.EqualFold(e.Name(), r.Name) {
				return nil, fail("appears twice", nil)
			}
		}
		ext := supported.New(r.Name)
		if ext == nil {
			return nil, fail("is not supported", nil)
		}
		if err := ext.Configure(extensions.Client, r.Params); err != nil {
			return nil, fail("refused its parameters", err)
		}
		if ext.ReservedBits()&bits != 0 {
			return nil, fail("claims reserved bits already in use", nil)
		}
		bits |= ext.ReservedBits()
		exts = append(exts, ext)
	}
	return exts, nil
}

func offeredName(offers []extensions.Offer, name string) bool {
	for _, o := range offers {
		if strings.EqualFold(o.Name, name) {
			return true
		}
	}
	return false
}

// checkOffer reports why o cannot be written in a Sec-WebSocket-Extensions
// header, or "" if it can: names and values must be tokens, and parameter
// names distinct.
func checkOffer(o extensions.Offer) string {
	if !httpguts.ValidHeaderFieldName(o.Name) {
		return "extension name " + quote(o.Name) + " is not a token"
	}
	for i, p := range o.Params {
		switch {
		case !httpguts.ValidHeaderFieldName(p.Name):
			return "parameter name " + quote(p.Name) + " is not a token"
		case p.HasValue && !httpguts.ValidHeaderFieldName(p.Value):
			return "value " + quote(p.Value) + " of parameter " + p.Name + " is not a token"
		}
		if _, dup := o.Params[:i].Get(p.Name); dup {
			return "parameter " + p.Name + " repeated"
		}
	}
	return ""
}

func setOrDelete(h http.Header, name, value string) {
	if value == "" {
		h.Del(name)
	} else {
		h.Set(name, value)
	}
}

// missingOr returns "missing" for a header without lines, else detail.
func missingOr(values []string, detail string) string {
	if len(values) == 0 {
		return "missing"
	}
	return detail
}

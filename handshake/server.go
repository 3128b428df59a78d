package handshake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/wsconn/wsconn/extensions"
)

// Server is the handshake policy of a WebSocket server: the subprotocols
// and extensions it supports and the origins it accepts. The zero Server
// supports no subprotocol and no extension and accepts same-origin
// requests and requests without Origin. A Server may be used by several
// goroutines at once as long as its fields are not changed.
type Server struct {
	// Protocols lists the subprotocols the server supports. Process
	// selects the first protocol of the client's offer that is in
	// Protocols, so the client's order of preference wins, unless
	// PreferServerProtocols is set. Names compare exactly.
	//
	// When none of the offered protocols is supported, the handshake
	// still succeeds without Sec-WebSocket-Protocol in the response, and
	// clients, browsers included, then connect without a subprotocol,
	// unless RequireProtocol is set. A server that takes whatever the
	// client offers, as a test echo server does, can copy the Server for
	// the request and set Protocols to the request's own
	// Sec-WebSocket-Protocol list.
	Protocols []string

	// PreferServerProtocols makes Process select the first protocol of
	// Protocols that the client offered: the server's order of
	// preference wins, as in libsoup.
	PreferServerProtocols bool

	// RequireProtocol makes Check refuse, with 400 and ErrProtocol, a
	// request that offers subprotocols of which none is in Protocols, as
	// libsoup does. A request that offers no subprotocol at all is still
	// accepted, without one.
	RequireProtocol bool

	// Extensions holds the supported extensions; nil supports none.
	Extensions *extensions.Registry

	// OriginPatterns lists origins accepted besides the request's own
	// host, as path.Match patterns, such as "*.example.com" or
	// "localhost:*". A pattern is matched, ignoring case, against the
	// host of the Origin header with its port, the port left out when it
	// is the default one of the Origin's scheme (80 for http and ws, 443
	// for https and wss). A malformed pattern matches nothing.
	OriginPatterns []string

	// CheckOrigin, if not nil, decides alone whether to accept the
	// request's origin, in place of the default policy; it is called
	// even when the request has no Origin header.
	//
	// The default policy accepts a request without Origin, as sent by
	// clients that are not browsers, and a request whose Origin has the
	// same host and port as the request's Host, ignoring case and the
	// default port of the Origin's scheme, or matches OriginPatterns. It
	// refuses an opaque origin ("null") and a repeated Origin header.
	// Checking the origin protects browser users against cross-site
	// WebSocket hijacking, in which a page of another site uses the
	// user's cookies to open a connection.
	CheckOrigin func(r *http.Request) bool

	// InsecureSkipOriginCheck accepts every origin. It is meant for test
	// servers and for servers that authenticate without cookies or other
	// credentials that browsers send on their own.
	InsecureSkipOriginCheck bool
}

// clientRequest is what check takes out of a valid request.
type clientRequest struct {
	key       string
	protocols []string
	offers    []extensions.Offer
}

// Check validates the handshake request r as RFC 6455 section 4.2.1 asks of
// a server: method GET (ErrMethod), HTTP/1.1 or later (ErrHTTPVersion), a
// Host (ErrMissingHost), an Upgrade header holding the token websocket and
// a Connection header holding the token upgrade, ignoring case
// (ErrUpgrade, ErrConnection), one Sec-WebSocket-Version equal to 13
// (ErrVersion), one Sec-WebSocket-Key that is the base64 encoding of 16
// bytes (ErrKey), an origin accepted by the server's policy (ErrOrigin), a
// Sec-WebSocket-Protocol list of distinct tokens (ErrProtocol) and a
// Sec-WebSocket-Extensions list that parses (ErrExtension). Repeated
// Sec-WebSocket-Protocol and Sec-WebSocket-Extensions lines form one list.
// The parameters of an extension offer are the extension's to judge: an
// offer it refuses, such as one with a repeated parameter, is declined by
// Process, not refused here.
//
// Over HTTP/2 and HTTP/3 a WebSocket opens with an extended CONNECT
// request instead (RFC 8441, RFC 9220): Check then wants method CONNECT
// with :protocol websocket (ErrUpgrade, with Header ":protocol") in place
// of the Upgrade, Connection and Sec-WebSocket-Key checks, and refuses a
// GET with ErrMethod. The :protocol is read from a header named ":protocol",
// as net/http's server gives it, or from r.Proto, as quic-go's http3 server
// gives it. A CONNECT over HTTP/1.1 is refused with ErrMethod.
//
// Check returns nil or an *Error whose Status is the HTTP status to answer
// with: 426 for ErrVersion (400 over HTTP/2 and HTTP/3, which have no
// Upgrade), 403 for ErrOrigin and 400 otherwise.
func (s *Server) Check(r *http.Request) error {
	if _, err := s.check(r); err != nil {
		return err
	}
	return nil // not a nil *Error in a non-nil error
}

func (s *Server) check(r *http.Request) (*clientRequest, *Error) {
	h := r.Header
	connect := isConnectForm(r)
	switch {
	case connect:
		if err := checkConnect(r); err != nil {
			return nil, err
		}
	case r.Method != http.MethodGet:
		return nil, &Error{Status: http.StatusBadRequest, Value: r.Method, Err: ErrMethod, detail: "want GET"}
	case overHTTP2(r):
		return nil, &Error{Status: http.StatusBadRequest, Value: r.Method, Err: ErrMethod,
			detail: "over HTTP/" + strconv.Itoa(r.ProtoMajor) + " a WebSocket opens with CONNECT and :protocol websocket (RFC 8441, RFC 9220)"}
	case !r.ProtoAtLeast(1, 1):
		return nil, &Error{Status: http.StatusBadRequest, Value: r.Proto, Err: ErrHTTPVersion}
	}
	if r.Host == "" {
		return nil, &Error{Status: http.StatusBadRequest, Header: "Host", Err: ErrMissingHost}
	}
	if !connect {
		if v := h.Values(hUpgrade); !httpguts.HeaderValuesContainsToken(v, "websocket") {
			return nil, &Error{Status: http.StatusBadRequest, Header: hUpgrade, Value: strings.Join(v, ", "), Err: ErrUpgrade, detail: missingOr(v, `no "websocket" token`)}
		}
		if v := h.Values(hConnection); !httpguts.HeaderValuesContainsToken(v, "upgrade") {
			return nil, &Error{Status: http.StatusBadRequest, Header: hConnection, Value: strings.Join(v, ", "), Err: ErrConnection, detail: missingOr(v, `no "upgrade" token`)}
		}
	}

	version, detail, ok := single(h, hVersion)
	if ok && version != "13" {
		detail = "want 13"
	}
	if detail != "" {
		return nil, &Error{Status: versionStatus(r), Header: hVersion, Value: version, Err: ErrVersion, detail: detail}
	}

	var key string
	if !connect {
		key, detail, ok = single(h, hKey)
		if ok {
			detail = checkKey(key)
		}
		if detail != "" {
			return nil, &Error{Status: http.StatusBadRequest, Header: hKey, Value: key, Err: ErrKey, detail: detail}
		}
	}

	if err := s.checkOrigin(r); err != nil {
		return nil, err
	}

	protocols, bad, detail := parseProtocols(h.Values(hProtocol))
	if detail != "" {
		return nil, &Error{Status: http.StatusBadRequest, Header: hProtocol, Value: bad, Err: ErrProtocol, detail: detail}
	}
	if s.RequireProtocol && len(protocols) > 0 && s.selectProtocol(protocols) == "" {
		return nil, &Error{Status: http.StatusBadRequest, Header: hProtocol, Value: strings.Join(protocols, ", "), Err: ErrProtocol,
			detail: "none of the offered subprotocols is supported"}
	}
	offers, err := extensions.ParseHeader(h.Values(hExtensions))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Header: hExtensions, Value: strings.Join(h.Values(hExtensions), ", "), Err: ErrExtension, cause: err}
	}
	return &clientRequest{key: key, protocols: protocols, offers: offers}, nil
}

// Process runs Check on r and, when r passes, fills h, the header of the
// 101 Switching Protocols response to send, with Upgrade, Connection,
// Sec-WebSocket-Accept, the chosen subprotocol if any (see Protocols), and
// the negotiated extensions. For an extended CONNECT request (HTTP/2 and
// HTTP/3) h is the header of a 200 response, and gets only the
// subprotocol and the extensions.
//
// Extensions are negotiated as RFC 7692 section 5 describes: Process takes
// the client's offers in order, ignores those of unsupported extensions and
// of extensions already accepted, and configures a fresh instance of the
// extension with Configure(extensions.Server, params); an offer it refuses
// is skipped, so that the next offer of the same extension is tried. An
// extension whose reserved bits are already claimed by an accepted one is
// skipped too. The response lists the ResponseParams of each accepted
// extension in the order of the client's offers, and Process returns the
// configured extensions in that same order, the order in which a
// connection applies them.
//
// When r fails, Process returns the *Error of Check; for a 426 it fills h
// with Upgrade, Connection and Sec-WebSocket-Version: 13, as the refusal
// must carry them. An extension whose ResponseParams cannot be written in a
// header fails the handshake with ErrExtension and status 500.
func (s *Server) Process(r *http.Request, h http.Header) (protocol string, exts []extensions.Extension, err error) {
	req, cerr := s.check(r)
	if cerr != nil {
		if cerr.Err == ErrVersion {
			setVersionRequired(h, r)
		}
		return "", nil, cerr
	}

	protocol = s.selectProtocol(req.protocols)

	var answers []extensions.Offer
	var bits byte
	for _, o := range req.offers {
		if accepted(exts, o.Name) {
			continue
		}
		ext := s.Extensions.New(o.Name)
		if ext == nil || ext.ReservedBits()&bits != 0 {
			continue
		}
		if ext.Configure(extensions.Server, o.Params) != nil {
			continue
		}
		answer := extensions.Offer{Name: ext.Name(), Params: ext.ResponseParams()}
		if detail := checkOffer(answer); detail != "" {
			return "", nil, &Error{Status: http.StatusInternalServerError, Header: hExtensions,
				Value: extensions.FormatHeader([]extensions.Offer{answer}), Err: ErrExtension, detail: "response: " + detail}
		}
		bits |= ext.ReservedBits()
		exts = append(exts, ext)
		answers = append(answers, answer)
	}

	if !isConnectForm(r) {
		h.Set(hUpgrade, "websocket")
		h.Set(hConnection, "Upgrade")
		h.Set(hAccept, AcceptKey(req.key))
	}
	setOrDelete(h, hProtocol, protocol)
	setOrDelete(h, hExtensions, extensions.FormatHeader(answers))
	return protocol, exts, nil
}

// selectProtocol returns the subprotocol to answer an offer with, or "".
func (s *Server) selectProtocol(offered []string) string {
	first, other := offered, s.Protocols
	if s.PreferServerProtocols {
		first, other = s.Protocols, offered
	}
	for _, p := range first {
		if slices.Contains(other, p) {
			return p
		}
	}
	return ""
}

// accepted reports whether exts holds an extension called name.
func accepted(exts []extensions.Extension, name string) bool {
	for _, e := range exts {
		if strings.EqualFold(e.Name(), name) {
			return true
		}
	}
	return false
}

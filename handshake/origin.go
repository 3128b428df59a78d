package handshake

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// checkOrigin applies the server's origin policy to r; see
// Server.CheckOrigin for the default one.
func (s *Server) checkOrigin(r *http.Request) *Error {
	if s.InsecureSkipOriginCheck {
		return nil
	}
	values := r.Header.Values(hOrigin)
	refuse := func(detail string) *Error {
		return &Error{Status: http.StatusForbidden, Header: hOrigin, Value: strings.Join(values, ", "), Err: ErrOrigin, detail: detail}
	}
	if s.CheckOrigin != nil {
		if s.CheckOrigin(r) {
			return nil
		}
		return refuse("refused by CheckOrigin")
	}
	switch len(values) {
	case 0:
		return nil
	case 1:
	default:
		return refuse("header repeated")
	}

	scheme, host, ok := parseOrigin(values[0])
	if !ok {
		return refuse("not a scheme://host origin")
	}
	def := defaultPort(scheme)
	host = stripPort(host, def)
	if host == stripPort(strings.ToLower(r.Host), def) {
		return nil
	}
	for _, pattern := range s.OriginPatterns {
		if ok, err := path.Match(strings.ToLower(pattern), host); ok && err == nil {
			return nil
		}
	}
	return refuse("host " + quote(host) + " is not the request's Host " + quote(r.Host) + " and matches no OriginPatterns")
}

// parseOrigin splits an Origin header value, such as
// "https://example.com:8443", into its scheme and its host with port, both
// lower case. It refuses opaque origins such as "null".
func parseOrigin(origin string) (scheme, host string, ok bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", "", false
	}
	return strings.ToLower(u.Scheme), strings.ToLower(u.Host), true
}

// defaultPort returns the port that a URL of scheme has when it names none.
func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

// stripPort removes port from the end of hostport, a host or host:port
// (with brackets around an IPv6 address), if it is the port named there.
func stripPort(hostport, port string) string {
	if port == "" || !strings.HasSuffix(hostport, ":"+port) {
		return hostport
	}
	host := hostport[:len(hostport)-len(port)-1]
	if strings.Contains(host, ":") && !(strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]")) {
		return hostport // an unbracketed IPv6 address, not a port
	}
	return host
}

// Package xconnect turns on net/http's support for extended CONNECT over
// HTTP/2 (RFC 8441), which WebSocket over HTTP/2 needs on a server. Import
// it for its side effect, in any package of the program:
//
//	import _ "github.com/wsconn/wsconn/xconnect"
//
// Go's HTTP/2 server (net/http's, and golang.org/x/net/http2's) advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL and passes extended CONNECT requests to
// handlers only when the environment variable GODEBUG holds
// http2xconnect=1 as the program starts; a //go:debug directive does not
// reach it, as Go reads this setting from the environment. The package
// adds http2xconnect=1 to GODEBUG in its init function, which Go's rules
// for the order of package initialization run before net/http's: this
// package imports only os and strings, and its import path sorts before
// net/http and golang.org/x/net/http2. A GODEBUG that already sets
// http2xconnect, to 0 or 1, is left as it is. Child processes inherit the
// setting.
//
// Without it, or GODEBUG=http2xconnect=1 in the environment, browsers
// reach a wsconn server over HTTP/1.1 only, and clients that require
// HTTP/2 are refused.
package xconnect

import (
	"os"
	"strings"
)

func init() {
	v := os.Getenv("GODEBUG")
	if strings.Contains(v, "http2xconnect=") {
		return
	}
	if v != "" {
		v += ","
	}
	os.Setenv("GODEBUG", v+"http2xconnect=1")
}

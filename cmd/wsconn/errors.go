package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/quic-go/quic-go"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
)

// The exit statuses. Scripts tell the failures apart by them, so each kind
// of failure a user acts on differently has its own.
const (
	exitOK          = 0 // normal close; listen stopped by a signal
	exitFailure     = 1 // any other close, a lost connection, another error
	exitUsage       = 2 // bad command line
	exitBadURL      = 3 // a URL that cannot be dialed
	exitUnreachable = 4 // refused connection, unknown host, no route, timeout
	exitTLS         = 5 // certificate not trusted or not valid, not TLS
	exitRefused     = 6 // the server answered the handshake with no WebSocket
)

// exitStatusHelp documents the exit statuses in -h.
const exitStatusHelp = `Exit status:
  0  normal close: the server sent 1000, 1001 or no code (listen: stopped by a signal)
  1  any other close (its code and reason on stderr), a lost connection, another error
  2  bad command line
  3  bad URL
  4  server unreachable: connection refused, host not found, no route, timeout
  5  TLS failure: certificate not trusted or not valid for the host, or not a TLS server
  6  handshake refused: an HTTP status other than 101 (printed with the first lines
     of the body), or an answer that is not a valid WebSocket handshake
`

// refusalLines and refusalLineWidth bound what is printed of the body of a
// refused handshake: enough for "401 token expired", not a whole page.
const (
	refusalLines     = 8
	refusalLineWidth = 200
)

// checkURL parses a URL to dial and returns it, or an error that says in
// one line what is wrong with it. It accepts what wsconn.Dial accepts:
// ws, wss, and http and https as their aliases, with a host.
func checkURL(raw string, needTLS bool) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		// Also "localhost:8080", which url.Parse takes for a scheme.
		return nil, fmt.Errorf("bad URL %q: no scheme; did you mean ws://%s?", raw, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return nil, fmt.Errorf("bad URL %q: %v", raw, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		if needTLS {
			return nil, fmt.Errorf("bad URL %q: -http3 needs a wss:// URL (HTTP/3 runs over QUIC with TLS)", raw)
		}
	case "wss", "https":
	default:
		return nil, fmt.Errorf("bad URL %q: the scheme must be ws, wss, http or https", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("bad URL %q: no host", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return nil, fmt.Errorf("bad URL %q: invalid port %s", raw, port)
		}
	}
	return u, nil
}

// describeDialError returns the exit status of a failed dial and the one
// line that says why it failed. A refused handshake has more to say: see
// printRefusal.
func describeDialError(err error) (int, string) {
	what := strings.TrimPrefix(err.Error(), "wsconn: ")
	var (
		status     *handshake.StatusError
		invalid    *handshake.Error
		dnsErr     *net.DNSError
		netErr     net.Error
		quicIdle   *quic.IdleTimeoutError
		quicHS     *quic.HandshakeTimeoutError
		quicTrans  *quic.TransportError
		verify     *tls.CertificateVerificationError
		authority  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalidCrt x509.CertificateInvalidError
		record     tls.RecordHeaderError
		alert      tls.AlertError
	)
	switch {
	case errors.As(err, &status):
		return exitRefused, fmt.Sprintf("the server refused the WebSocket handshake: %s", status.Response.Status)
	case errors.As(err, &invalid):
		return exitRefused, "the server's answer is not a valid WebSocket handshake: " + what
	case errors.Is(err, context.Canceled):
		return exitFailure, "interrupted: " + what
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalidCrt):
		return exitTLS, "TLS failure: " + what + " (-insecure skips the certificate's verification)"
	case errors.As(err, &record):
		return exitTLS, "TLS failure, is it a TLS server? " + what
	case errors.As(err, &alert), errors.As(err, &quicTrans) && quicTrans.ErrorCode.IsCryptoError():
		return exitTLS, "TLS failure: " + what
	case errors.As(err, &dnsErr):
		return exitUnreachable, "host not found: " + what
	case errors.Is(err, syscall.ECONNREFUSED):
		return exitUnreachable, "connection refused: " + what
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return exitUnreachable, "no route to the server: " + what
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &quicIdle), errors.As(err, &quicHS),
		errors.As(err, &netErr) && netErr.Timeout():
		return exitUnreachable, "timed out: " + what
	}
	return exitFailure, what
}

// printRefusal prints the status of a refused handshake, then the first
// lines of the body the server sent with it, which usually say why, such
// as an expired token. Control characters are escaped: a body is not
// always text.
func printRefusal(con *console, se *handshake.StatusError) {
	con.info("wsconn: the server refused the WebSocket handshake: %s %s", se.Response.Proto, se.Response.Status)
	if se.Response.Body == nil {
		return
	}
	defer se.Response.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(se.Response.Body, 64<<10))
	sc.Buffer(nil, 64<<10)
	var lines []string
	more := 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if len(lines) == 0 && line == "" {
			continue // blank lines before the text
		}
		if len(lines) == refusalLines {
			more++
			continue
		}
		lines = append(lines, line)
	}
	for _, line := range lines {
		con.info("  %s", clip(escapeControls(line), refusalLineWidth))
	}
	if more > 0 {
		con.info("  (%d more lines)", more)
	}
}

// clip cuts s to at most n characters, with "..." at the end when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// isNormalClose reports whether a connection that closed with st closed
// normally: the peer sent 1000 or 1001, or a close frame without a code
// (as Node's ws.close() and others send by default) in a closing
// handshake that completed, which says nothing went wrong either.
func isNormalClose(st wsconn.CloseStatus) bool {
	switch st.Code {
	case wsconn.CloseNormal, wsconn.CloseGoingAway:
		return true
	case wsconn.CloseNoStatus:
		return st.Clean
	}
	return false
}

// describeClose returns the exit status of a connection that closed with
// st, and a line about the close for standard error, or "" when there is
// nothing to say: this side closed normally and the peer agreed. cause is
// what made the connection close (nil for a closing handshake that either
// side started on purpose); peer names the other side, "server" or
// "client".
func describeClose(st wsconn.CloseStatus, cause error, peer string) (int, string) {
	status := exitFailure
	if isNormalClose(st) {
		status = exitOK
	}
	switch {
	case st.Code == wsconn.CloseAbnormal:
		line := "connection lost without a closing handshake (1006)"
		if cause != nil {
			line += ": " + strings.TrimPrefix(cause.Error(), "wsconn: ")
		}
		return status, line
	case st.Remote:
		return status, fmt.Sprintf("the %s closed the connection: %s", peer, codeAndReason(st.Code, st.Reason))
	case status != exitOK:
		line := fmt.Sprintf("closed with %s", codeAndReason(st.SentCode, st.SentReason))
		if cause != nil {
			line += " because " + strings.TrimPrefix(cause.Error(), "wsconn: ")
		}
		return status, line + fmt.Sprintf("; the %s sent %s", peer, codeAndReason(st.Code, st.Reason))
	}
	return status, ""
}

// codeAndReason formats a close code and its reason, such as
// `4001 (private) "session expired"`.
func codeAndReason(code wsconn.CloseCode, reason string) string {
	if reason == "" {
		return code.String()
	}
	return fmt.Sprintf("%s %q", code, reason)
}

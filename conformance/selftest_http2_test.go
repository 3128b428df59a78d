package conformance

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn/internal/frame"
)

// The tests in this file check the suite over HTTP/2 (RFC 8441): the test
// server of selftest_test.go, with its faults, serves each WebSocket on
// the stream of an extended CONNECT over cleartext HTTP/2 (h2c).

// startTestServerHTTP2 runs the test server with faults f over h2c and
// returns its ws:// URL.
func startTestServerHTTP2(t *testing.T, f faults) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Protocols: &protocols, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exts, bad := checkConnect(r)
		if bad != "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(10 * time.Second))
		c := &testConn{nc: flushWriter{w, rc}, br: bufio.NewReader(r.Body), f: &f}
		if answer := c.negotiate(exts); answer != "" {
			w.Header().Set("Sec-WebSocket-Extensions", answer)
		}
		w.WriteHeader(http.StatusOK)
		if rc.Flush() != nil {
			return
		}
		c.run()
		if f.resetStream {
			// A write deadline in the past makes Go's server reset the
			// stream (RST_STREAM INTERNAL_ERROR) instead of ending it.
			rc.SetWriteDeadline(time.Unix(1, 0))
		}
		// Returning ends the stream (END_STREAM).
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return "ws://" + ln.Addr().String() + "/"
}

// flushWriter writes to a ResponseWriter and flushes each write.
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

func runAgainstHTTP2(t *testing.T, f faults, ids ...string) map[string]Result {
	t.Helper()
	return runCases(t, &FuzzingClient{URL: startTestServerHTTP2(t, f), HTTP2: true}, ids...)
}

func TestGradesGoodServerHTTP2(t *testing.T) {
	ids := []string{"1.1.2", "1.3.5", "2.4", "2.5", "2.10", "3.1", "4.1.1", "5.6", "5.9", "6.4.1", "6.24.1", "7.3.1", "7.7.1", "7.9.3", "12.5.4", "13.1.1", "13.4.20"}
	want := map[string]Grade{}
	for _, id := range ids {
		want[id] = OK
	}
	expectGrades(t, runAgainstHTTP2(t, faults{}, ids...), want, nil)
}

func TestGradesFaultsHTTP2(t *testing.T) {
	tests := []struct {
		name  string
		f     faults
		want  map[string]Grade
		words map[string]string
	}{
		{"late UTF-8", faults{lateUTF8: true},
			map[string]Grade{"6.3.1": OK, "6.4.1": NonStrict},
			map[string]string{"6.4.1": "fail fast"}},
		{"drops the connection", faults{dropOnFail: true},
			map[string]Grade{"4.1.1": NonStrict},
			map[string]string{"4.1.1": "without a close frame"}},
		// The stream stays open after the closing handshake, as the TCP
		// connection of keepTCP does.
		{"keeps the stream open", faults{keepTCP: true},
			map[string]Grade{"1.1.2": NonStrict, "7.1.1": NonStrict},
			map[string]string{"1.1.2": "END_STREAM", "7.1.1": "END_STREAM"}},
		// A reset after the closing handshake is an abortive close.
		{"resets the stream", faults{resetStream: true},
			map[string]Grade{"1.1.2": NonStrict, "4.1.1": NonStrict, "7.3.1": NonStrict},
			map[string]string{"1.1.2": "abortively", "4.1.1": "INTERNAL_ERROR", "7.3.1": "END_STREAM"}},
		{"corrupt echo", faults{corruptEcho: true},
			map[string]Grade{"1.1.2": Failed, "13.1.1": Failed},
			map[string]string{"1.1.2": "echo 1"}},
		{"no deflate", faults{noDeflate: true},
			map[string]Grade{"12.1.1": Unimplemented, "1.1.2": OK}, nil},
		{"masked frames", faults{maskFrames: true},
			map[string]Grade{"1.1.2": Failed},
			map[string]string{"1.1.2": "masked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for id := range tt.want {
				ids = append(ids, id)
			}
			expectGrades(t, runAgainstHTTP2(t, tt.f, ids...), tt.want, tt.words)
		})
	}
}

// Over HTTP/2 a server that refuses the extended CONNECT, or that does
// not allow it in its SETTINGS, fails the case in its opening handshake.
func TestGradesRefusedHTTP2(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Protocols: &protocols, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	fc := &FuzzingClient{URL: "ws://" + ln.Addr().String() + "/", HTTP2: true,
		Options: Options{Match: func(id string) bool { return id == "1.1.1" }}}
	rs, err := fc.Run(context.Background(), Cases())
	if err != nil || len(rs) != 1 || rs[0].Grade != Failed || !strings.Contains(rs[0].Detail, "501") {
		t.Errorf("Run = %+v, %v; want one FAILED handshake with 501", rs, err)
	}
	// A server of HTTP/1.1 only does not speak HTTP/2 at all.
	fc.URL = startTestServer(t, faults{})
	rs, err = fc.Run(context.Background(), Cases())
	if err != nil || len(rs) != 1 || rs[0].Grade != Failed || !strings.Contains(rs[0].Detail, "handshake") {
		t.Errorf("Run against HTTP/1.1 = %+v, %v; want one FAILED handshake", rs, err)
	}
}

// The fuzzing server over HTTP/2 answers the case count, refuses unknown
// paths and cases and requests that are no extended CONNECT, and ends
// with /updateReports.
func TestFuzzingServerProtocolHTTP2(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "ws://" + ln.Addr().String()
	fs := &FuzzingServer{HTTP2: true, Options: Options{Match: func(id string) bool { return strings.HasPrefix(id, "2.") }}}
	type served struct {
		rs  []Result
		err error
	}
	done := make(chan served, 1)
	go func() {
		rs, err := fs.Serve(context.Background(), ln, Cases())
		done <- served{rs, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connect := func(path string) (*h2ClientStream, []byte, error) {
		u, _ := url.Parse(base + path)
		s, br, _, err := dialHTTP2(ctx, u, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		h, p, err := frame.ReadFrame(br, 1000)
		if err == nil && h.Opcode != frame.OpText {
			p = nil
		}
		return s, p, err
	}
	s, p, err := connect("/getCaseCount")
	if err != nil || string(p) != "16" {
		t.Errorf("/getCaseCount: %q, %v; want \"16\"", p, err)
	}
	if s != nil {
		s.Close()
	}
	for _, path := range []string{"/runCase?case=17&agent=x", "/runCase?case=0", "/nowhere"} {
		if _, _, err := connect(path); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("%s: %v, want a 404", path, err)
		}
	}
	// A plain GET over HTTP/2 is no WebSocket.
	resp, err := h2Get(ctx, base+"/getCaseCount")
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET over HTTP/2: %v, %v; want 400", resp, err)
	}
	s, _, err = connect("/updateReports?agent=x")
	if err != nil {
		t.Errorf("/updateReports: %v", err)
	} else {
		s.Close()
	}
	select {
	case s := <-done:
		if s.err != nil || len(s.rs) != 0 {
			t.Errorf("Serve = %v, %v; want no results and no error", s.rs, s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after /updateReports")
	}
	if _, _, err := connect("/getCaseCount"); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after Serve: %v, want a refused connection", err)
	}
}

// h2Get sends a GET over h2c to u, an http:// URL written ws://.
func h2Get(ctx context.Context, u string) (*http.Response, error) {
	target := "http" + strings.TrimPrefix(u, "ws")
	pu, _ := url.Parse(target)
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", pu.Host)
	if err != nil {
		return nil, err
	}
	cc, err := h2Transport.NewClientConn(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	defer cc.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	resp, err := cc.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// Serve over HTTP/2 returns when its context is done, also in the middle
// of a case.
func TestFuzzingServerHTTP2Canceled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := &FuzzingServer{HTTP2: true, Options: Options{Match: func(id string) bool { return id == "1.1.1" }}}
	done := make(chan error, 1)
	go func() {
		_, err := fs.Serve(ctx, ln, Cases())
		done <- err
	}()
	// A client that connects to the case and never answers.
	u, _ := url.Parse("ws://" + ln.Addr().String() + "/runCase?case=1&agent=x")
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	s, br, _, err := dialHTTP2(dctx, u, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := frame.ReadFrame(br, 1000); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was canceled")
	}
}

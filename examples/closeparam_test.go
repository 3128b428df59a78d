package examples_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/internal/echotest"
)

// TestCloseParam checks echoserver's close=CODE: the server echoes the
// first message and then closes with CODE, over HTTP/1.1 and HTTP/2; a
// code that is not 1000 or from 3000 to 4999 is refused with 400.
func TestCloseParam(t *testing.T) {
	server, _ := echotest.Build(t, raceEnabled)
	srv := startEcho(t, server, "-tls", "-v")
	for _, tt := range []struct {
		name  string
		proto string
		set   func(*http.Protocols)
	}{
		{"HTTP/1.1", "HTTP/1.1", func(p *http.Protocols) { p.SetHTTP1(true) }},
		{"HTTP/2", "HTTP/2.0", func(p *http.Protocols) { p.SetHTTP2(true) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
			defer cancel()
			opts := &wsconn.DialOptions{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
			tt.set(&opts.HTTPProtocols)
			c, _, err := wsconn.Dial(ctx, srv.URL+"closing?close=4001", opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			if err := c.SendText("first"); err != nil {
				t.Fatal(err)
			}
			typ, data, err := c.Receive(ctx)
			if err != nil || typ != wsconn.DataText || string(data) != "first" {
				t.Errorf("echo %s %q, %v; want text %q", typ, data, err, "first")
			}
			select {
			case <-c.Done():
			case <-time.After(echotest.Wait):
				t.Fatal("the server did not close")
			}
			st := c.CloseStatus()
			if st.Code != 4001 || st.Reason != "close=4001 asked for it" || !st.Remote || !st.Clean {
				t.Errorf("close status %+v, want 4001 %q from the server, clean", st, "close=4001 asked for it")
			}
			srv.waitAccepted(t, tt.proto, "/closing")
		})
	}
	for _, v := range []string{"999", "1001", "2999", "5000", "x", ""} {
		t.Run("refused close="+v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
			defer cancel()
			opts := &wsconn.DialOptions{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
			_, _, err := wsconn.Dial(ctx, srv.URL+"?close="+v, opts)
			var refused *handshake.StatusError
			if !errors.As(err, &refused) || refused.StatusCode != http.StatusBadRequest {
				t.Fatalf("Dial: %v, want a 400 refusal", err)
			}
			if !strings.Contains(err.Error(), "400") {
				t.Errorf("error %q", err)
			}
		})
	}
}

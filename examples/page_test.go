package examples_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	quichttp3 "github.com/quic-go/quic-go/http3"

	"github.com/wsconn/wsconn/internal/echotest"
)

// getPage sends a request for url with client and returns the response
// and its body.
func getPage(t *testing.T, client *http.Client, method, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// checkPage checks that resp and body are the page, its script opening
// a WebSocket to the page's own origin.
func checkPage(t *testing.T, resp *http.Response, body, proto string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %s, want 200", resp.Status)
	}
	if resp.Proto != proto {
		t.Errorf("served over %s, want %s", resp.Proto, proto)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	for _, want := range []string{"<!doctype html>", "new WebSocket(url)", "location.host", "'wss://'", "/echo"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not hold %q:\n%s", want, body)
		}
	}
}

// TestEchoserverPage checks the page that a plain GET gets: over HTTPS
// with HTTP/2 and HTTP/1.1, over HTTP/3 with -http3 (which the other two
// advertise with Alt-Svc), over plain HTTP, for HEAD, and that it does
// not count as a WebSocket in the -v lines.
func TestEchoserverPage(t *testing.T) {
	server, client := echotest.Build(t, raceEnabled)
	tlsSrv := startEcho(t, server, "-tls", "-v")
	plain := startEcho(t, server, "-v")
	https := "https://" + tlsSrv.Addr + "/"
	// A tls.Config each: a Transport adds its ALPN protocols to it.
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	h1Only := new(http.Protocols)
	h1Only.SetHTTP1(true)
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Protocols: h1Only}}
	defer h2.CloseIdleConnections()
	defer h1.CloseIdleConnections()

	t.Run("HTTPS over HTTP/2", func(t *testing.T) {
		resp, body := getPage(t, h2, http.MethodGet, https)
		checkPage(t, resp, body, "HTTP/2.0")
		if v := resp.Header.Get("Alt-Svc"); v != "" {
			t.Errorf("Alt-Svc %q without -http3", v)
		}
	})
	t.Run("HTTPS over HTTP/1.1, any path", func(t *testing.T) {
		resp, body := getPage(t, h1, http.MethodGet, https+"some/path?q=1")
		checkPage(t, resp, body, "HTTP/1.1")
	})
	t.Run("HTTP", func(t *testing.T) {
		resp, body := getPage(t, http.DefaultClient, http.MethodGet, "http://"+plain.Addr+"/")
		checkPage(t, resp, body, "HTTP/1.1")
	})
	t.Run("HEAD", func(t *testing.T) {
		resp, body := getPage(t, h2, http.MethodHead, https)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || body != "" {
			t.Errorf("HEAD: %s, Content-Type %q, body %q", resp.Status, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("POST is no page", func(t *testing.T) {
		resp, _ := getPage(t, h2, http.MethodPost, https)
		if resp.StatusCode == http.StatusOK {
			t.Errorf("POST got %s, want a refusal", resp.Status)
		}
	})
	t.Run("HTTP/3 and Alt-Svc", func(t *testing.T) {
		h3Srv := startEcho(t, server, "-tls", "-http3", "-v")
		_, port, _ := net.SplitHostPort(h3Srv.Addr)
		want := `h3=":` + port + `"; ma=86400`
		for _, c := range []*http.Client{h1, h2} {
			resp, body := getPage(t, c, http.MethodGet, "https://"+h3Srv.Addr+"/")
			checkPage(t, resp, body, resp.Proto)
			if v := resp.Header.Get("Alt-Svc"); v != want {
				t.Errorf("Alt-Svc over %s: %q, want %q", resp.Proto, v, want)
			}
		}
		tr := &quichttp3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		defer tr.Close()
		resp, body := getPage(t, &http.Client{Transport: tr}, http.MethodGet, "https://"+h3Srv.Addr+"/")
		checkPage(t, resp, body, "HTTP/3.0")
		if v := resp.Header.Get("Alt-Svc"); v != "" {
			t.Errorf("Alt-Svc over HTTP/3: %q", v)
		}
	})
	t.Run("no accepted line for the page", func(t *testing.T) {
		// A WebSocket after the pages: its line is the first one.
		if _, stderr, code := runClient(t, client, nil, "-url", tlsSrv.URL+"after-pages", "-insecure", "-count", "1"); code != 0 {
			t.Fatalf("echoclient: exit status %d: %s", code, stderr)
		}
		m := tlsSrv.waitLine(t, acceptedLine)
		if m[0] != "accepted HTTP/1.1 /after-pages" {
			t.Errorf("first line after the pages %q, want the WebSocket's", m[0])
		}
	})
}

package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// get sends a request and returns the response and its body.
func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
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

// externalRef matches a reference to another origin in markup or CSS.
var externalRef = regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import`)

// checkPage checks the chat page at / of the server at addr: served as
// HTML with its Content-Security-Policy, self-contained, opening a
// WebSocket to its own origin's /room/NAME and showing messages as text.
func checkPage(t *testing.T, addr string) {
	resp, body := get(t, http.MethodGet, "http://"+addr+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /: Content-Type %q", ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}
	for _, want := range []string{"<!doctype html>", "new WebSocket(", "location.host + '/room/' + encodeURIComponent(room)", ".textContent = ev.data", "location.hash", "'lobby'"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not hold %q", want)
		}
	}
	if strings.Contains(body, "innerHTML") {
		t.Error("the page uses innerHTML")
	}
	if m := externalRef.FindString(body); m != "" {
		t.Errorf("the page refers to another origin: %q", m)
	}

	resp, body = get(t, http.MethodHead, "http://"+addr+"/")
	if resp.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /: %s, body %q", resp.Status, body)
	}
	for path, status := range map[string]int{"/nothing": 404, "/room": 404} {
		if resp, _ := get(t, http.MethodGet, "http://"+addr+path); resp.StatusCode != status {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, status)
		}
	}
	if resp, _ := get(t, http.MethodPost, "http://"+addr+"/"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %s, want 405", resp.Status)
	}
}

// joinedLine matches the -v line of a client joining room.
func joinedLine(room string) *regexp.Regexp {
	return regexp.MustCompile(` joined room ` + regexp.QuoteMeta(strconv.Quote(room)) + `$`)
}

package handshake_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

// FuzzServerCheck feeds raw requests to Check and Process. They must never
// panic and must agree; a refusal is an *Error with a status a server may
// send, and an accepted request gets the accept value of its key, a
// protocol it offered and a valid extension header.
func FuzzServerCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		s := &handshake.Server{
			Protocols:      []string{"chat", "superchat"},
			Extensions:     testRegistry(),
			OriginPatterns: []string{"*.example.com"},
		}
		checkErr := s.Check(r)
		h := http.Header{}
		proto, exts, err := s.Process(r, h)
		if (checkErr == nil) != (err == nil) {
			t.Fatalf("Check: %v, Process: %v", checkErr, err)
		}
		if err != nil {
			var e *handshake.Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error with a sentinel", err)
			}
			switch e.Status {
			case http.StatusBadRequest, http.StatusForbidden:
			case http.StatusUpgradeRequired:
				if h.Get("Sec-WebSocket-Version") != "13" {
					t.Fatalf("426 without Sec-WebSocket-Version: 13: %v", h)
				}
			default:
				t.Fatalf("status %d for %v", e.Status, err)
			}
			return
		}

		keys := r.Header.Values("Sec-WebSocket-Key")
		if len(keys) != 1 {
			t.Fatalf("accepted %d keys", len(keys))
		}
		key := strings.Trim(keys[0], " \t")
		if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
			t.Fatalf("accepted key %q", key)
		}
		if got := h.Values("Sec-WebSocket-Accept"); len(got) != 1 || got[0] != handshake.AcceptKey(key) {
			t.Fatalf("accept %q for key %q", got, key)
		}
		if proto != "" {
			var offered []string
			for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
				for _, p := range strings.Split(v, ",") {
					offered = append(offered, strings.Trim(p, " \t"))
				}
			}
			if !slices.Contains(s.Protocols, proto) || !slices.Contains(offered, proto) {
				t.Fatalf("protocol %q not offered or not supported", proto)
			}
			if h.Get("Sec-WebSocket-Protocol") != proto {
				t.Fatalf("response protocol %q, returned %q", h.Get("Sec-WebSocket-Protocol"), proto)
			}
		}
		answers, err := extensions.ParseHeader(h.Values("Sec-WebSocket-Extensions"))
		if err != nil {
			t.Fatalf("response extensions: %v", err)
		}
		if len(answers) != len(exts) {
			t.Fatalf("%d extensions, response lists %d", len(exts), len(answers))
		}
		seen := map[string]bool{}
		for i, e := range exts {
			if seen[e.Name()] || answers[i].Name != e.Name() {
				t.Fatalf("extensions %v, response %v", describe(exts), answers)
			}
			seen[e.Name()] = true
		}
	})
}

// FuzzClientVerify feeds raw responses to ClientVerify for a request that
// offers chat and superchat and the test extensions, with the key of RFC
// 6455 section 1.3. It must never panic, and a success means a 101 whose
// accept value is right and whose choices were offered.
func FuzzClientVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		req := preparedRequest(t, "chat", "superchat")
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
		if err != nil {
			return
		}
		proto, exts, err := handshake.ClientVerify(req, resp, testRegistry())
		if err != nil {
			var e *handshake.Error
			var se *handshake.StatusError
			switch {
			case errors.As(err, &se):
				if se.StatusCode == http.StatusSwitchingProtocols || se.Response != resp {
					t.Fatalf("bad StatusError %v", err)
				}
			case errors.As(err, &e):
				if e.Err == nil || e.Status != 0 {
					t.Fatalf("bad Error %#v", e)
				}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("accepted status %d", resp.StatusCode)
		}
		if got := resp.Header.Values("Sec-WebSocket-Accept"); len(got) != 1 || strings.Trim(got[0], " \t") != rfcAccept {
			t.Fatalf("accepted Sec-WebSocket-Accept %q", got)
		}
		if proto != "" && proto != "chat" && proto != "superchat" {
			t.Fatalf("accepted protocol %q", proto)
		}
		seen := map[string]bool{}
		for _, e := range exts {
			name := strings.ToLower(e.Name())
			if seen[name] {
				t.Fatalf("extension %s twice", name)
			}
			seen[name] = true
		}
	})
}

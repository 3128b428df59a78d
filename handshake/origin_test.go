package handshake_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/handshake"
)

func TestOriginPolicy(t *testing.T) {
	allowEvil := func(r *http.Request) bool { return r.Header.Get("Origin") == "https://evil.example" }
	tests := []struct {
		name    string
		host    string
		origins []string // Origin lines
		server  handshake.Server
		allowed bool
	}{
		{name: "no Origin", host: "example.com", allowed: true},
		{name: "same origin", host: "example.com", origins: []string{"http://example.com"}, allowed: true},
		{name: "same origin https", host: "example.com", origins: []string{"https://example.com"}, allowed: true},
		{name: "case-insensitive", host: "Example.COM", origins: []string{"HTTPS://EXAMPLE.com"}, allowed: true},
		{name: "trailing slash", host: "example.com", origins: []string{"https://example.com/"}, allowed: true},
		{name: "explicit default port in Origin", host: "example.com", origins: []string{"https://example.com:443"}, allowed: true},
		{name: "explicit default port in Host", host: "example.com:443", origins: []string{"wss://example.com"}, allowed: true},
		{name: "http default port in Host", host: "example.com:80", origins: []string{"http://example.com"}, allowed: true},
		{name: "other scheme's default port", host: "example.com:80", origins: []string{"https://example.com"}},
		{name: "same port", host: "example.com:8080", origins: []string{"http://example.com:8080"}, allowed: true},
		{name: "different port", host: "example.com:8080", origins: []string{"http://example.com:9090"}},
		{name: "port only in Origin", host: "example.com", origins: []string{"http://example.com:8080"}},
		{name: "port only in Host", host: "example.com:8080", origins: []string{"http://example.com"}},
		{name: "IPv6", host: "[::1]:8080", origins: []string{"http://[::1]:8080"}, allowed: true},
		{name: "IPv6 default port", host: "[::1]", origins: []string{"http://[::1]:80"}, allowed: true},
		{name: "IPv6 different port", host: "[::1]:8080", origins: []string{"http://[::1]:8081"}},
		{name: "other host", host: "example.com", origins: []string{"https://evil.example"}},
		{name: "suffix", host: "example.com", origins: []string{"https://example.com.evil.example"}},
		{name: "subdomain without pattern", host: "example.com", origins: []string{"https://api.example.com"}},
		{name: "null", host: "example.com", origins: []string{"null"}},
		{name: "no scheme", host: "example.com", origins: []string{"example.com"}},
		{name: "empty", host: "example.com", origins: []string{""}},
		{name: "repeated", host: "example.com", origins: []string{"https://example.com", "https://example.com"}},
		{name: "pattern", host: "example.com", origins: []string{"https://api.example.com"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com"}}, allowed: true},
		{name: "pattern case", host: "example.com", origins: []string{"https://API.example.com"},
			server: handshake.Server{OriginPatterns: []string{"*.EXAMPLE.com"}}, allowed: true},
		{name: "pattern not matching the bare domain", host: "other.example", origins: []string{"https://example.com"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com"}}},
		{name: "pattern without port", host: "example.com", origins: []string{"https://api.example.com:8443"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com"}}},
		{name: "pattern with port", host: "example.com", origins: []string{"https://api.example.com:8443"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com:*"}}, allowed: true},
		{name: "pattern default port left out", host: "example.com", origins: []string{"https://api.example.com:443"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com"}}, allowed: true},
		{name: "second pattern", host: "example.com", origins: []string{"http://localhost:3000"},
			server: handshake.Server{OriginPatterns: []string{"*.example.com", "localhost:*"}}, allowed: true},
		{name: "pattern does not match null", host: "example.com", origins: []string{"null"},
			server: handshake.Server{OriginPatterns: []string{"*"}}},
		{name: "malformed pattern", host: "example.com", origins: []string{"https://a.example"},
			server: handshake.Server{OriginPatterns: []string{"[", "a.example"}}, allowed: true},
		{name: "malformed pattern matches nothing", host: "example.com", origins: []string{"https://a.example"},
			server: handshake.Server{OriginPatterns: []string{"["}}},
		{name: "CheckOrigin allows", host: "example.com", origins: []string{"https://evil.example"},
			server: handshake.Server{CheckOrigin: allowEvil}, allowed: true},
		{name: "CheckOrigin refuses same origin", host: "example.com", origins: []string{"https://example.com"},
			server: handshake.Server{CheckOrigin: allowEvil}},
		{name: "CheckOrigin refuses no Origin", host: "example.com",
			server: handshake.Server{CheckOrigin: allowEvil}},
		{name: "CheckOrigin replaces patterns", host: "example.com", origins: []string{"https://api.example.com"},
			server: handshake.Server{CheckOrigin: allowEvil, OriginPatterns: []string{"*"}}},
		{name: "insecure skip", host: "example.com", origins: []string{"null"},
			server: handshake.Server{InsecureSkipOriginCheck: true}, allowed: true},
		{name: "insecure skip over CheckOrigin", host: "example.com", origins: []string{"https://other.example"},
			server: handshake.Server{InsecureSkipOriginCheck: true, CheckOrigin: allowEvil}, allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest()
			r.Host = tt.host
			for _, o := range tt.origins {
				r.Header.Add("Origin", o)
			}
			err := tt.server.Check(r)
			if tt.allowed {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, handshake.ErrOrigin)
			var e *handshake.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusForbidden, e.Status)
			assert.Equal(t, "Origin", e.Header)
		})
	}
}

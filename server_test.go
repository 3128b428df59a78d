package wsconn

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/handshake"
)

// TestAcceptedConnectionKnowsItsRequest covers what wsocket and MicroPie
// handlers read from a connection: path, query, headers, cookies, remote
// address, origin, version and protocol.
func TestAcceptedConnectionKnowsItsRequest(t *testing.T) {
	got := make(chan *WebsocketConnection, 1)
	srv := httptest.NewServer(Handler(&AcceptOptions{Protocols: []string{"chat"}, InsecureSkipOriginCheck: true},
		func(c *WebsocketConnection, r *http.Request) { got <- c }))
	defer srv.Close()
	c, _, err := dialTest(t, srv.URL+"/room/7?user=ada", &DialOptions{
		Origin:    "http://app.example",
		Protocols: []string{"chat"},
		Header:    http.Header{"Cookie": {"session=s3cr3t"}, "X-Trace": {"abc"}},
	})
	require.NoError(t, err)
	defer c.Abort()
	s := <-got
	defer s.Abort()
	r := s.Request()
	require.NotNil(t, r)
	assert.Equal(t, "/room/7", r.URL.Path)
	assert.Equal(t, "ada", r.URL.Query().Get("user"))
	assert.Equal(t, "abc", r.Header.Get("X-Trace"))
	cookie, err := r.Cookie("session")
	require.NoError(t, err)
	assert.Equal(t, "s3cr3t", cookie.Value)
	assert.True(t, strings.HasPrefix(r.RemoteAddr, "127.0.0.1:"))
	assert.Equal(t, "http://app.example", s.Origin())
	assert.Equal(t, "13", r.Header.Get("Sec-WebSocket-Version"))
	assert.Equal(t, "chat", s.Protocol())
	assert.Equal(t, "/room/7", s.URI().Path)
	assert.Equal(t, "/room/7", c.Request().URL.Path, "a client knows the request it sent")
}

// TestAcceptWithSessionCookie is MicroPie's accept(subprotocol, session_id):
// the 101 carries the chosen subprotocol and a session cookie, which the
// client's jar keeps.
func TestAcceptWithSessionCookie(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, &AcceptOptions{
			Protocols:      []string{"v2.chat"},
			ResponseHeader: http.Header{"Set-Cookie": {(&http.Cookie{Name: "session_id", Value: "42", HttpOnly: true}).String()}},
		})
		if err == nil {
			c.Close(CloseNormal, "")
		}
	}))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c, resp, err := dialTest(t, srv.URL, &DialOptions{Protocols: []string{"v1.chat", "v2.chat"}, Jar: jar})
	require.NoError(t, err)
	defer c.Abort()
	assert.Equal(t, "v2.chat", c.Protocol())
	assert.Contains(t, resp.Header.Get("Set-Cookie"), "session_id=42")
	u := *c.URI()
	u.Scheme = "http"
	cookies := jar.Cookies(&u)
	require.Len(t, cookies, 1)
	assert.Equal(t, "42", cookies[0].Value)
}

// TestRefuseBeforeUpgrade: a middleware or router answers before Accept, and
// the client reads the status and body.
func TestRefuseBeforeUpgrade(t *testing.T) {
	mux := http.NewServeMux()
	requireToken := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("token") != "ok" {
				http.Error(w, "no token", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	mux.Handle("/ws", requireToken(Handler(nil, func(c *WebsocketConnection, r *http.Request) { c.Close(CloseNormal, "") })))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/ws", http.StatusForbidden, "no token"},
		{"/nowhere?token=ok", http.StatusNotFound, "404 page not found"},
	} {
		_, resp, err := dialTest(t, srv.URL+tt.path, nil)
		var se *handshake.StatusError
		require.ErrorAs(t, err, &se, tt.path)
		assert.Equal(t, tt.status, se.StatusCode)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, tt.body, strings.TrimSpace(string(body)))
	}
	c, _, err := dialTest(t, srv.URL+"/ws?token=ok", nil)
	require.NoError(t, err)
	c.Abort()
}

// TestDialFollowsRedirects follows each redirect status to the WebSocket
// endpoint, keeps cookies set on the way, and stops at the limit.
func TestDialFollowsRedirects(t *testing.T) {
	var target string
	mux := http.NewServeMux()
	mux.Handle("/ws", Handler(nil, func(c *WebsocketConnection, r *http.Request) {
		if ck, err := r.Cookie("hop"); err == nil {
			c.SendText(ck.Value)
		}
	}))
	for _, code := range []int{301, 302, 303, 307, 308} {
		code := code
		mux.HandleFunc(fmt.Sprintf("/r%d", code), func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: "hop", Value: "seen", Path: "/"})
			http.Redirect(w, r, target, code)
		})
	}
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	target = srv.URL + "/ws"
	for _, code := range []int{301, 302, 303, 307, 308} {
		jar, _ := cookiejar.New(nil)
		c, _, err := dialTest(t, fmt.Sprintf("%s/r%d", srv.URL, code), &DialOptions{Jar: jar})
		require.NoError(t, err, "status %d", code)
		assert.Equal(t, "/ws", c.URI().Path)
		s, err := c.ReceiveText(testCtx(t))
		require.NoError(t, err)
		assert.Equal(t, "seen", s, "the redirect's cookie went to the jar and on")
		c.Abort()
	}
	_, _, err := dialTest(t, srv.URL+"/loop", &DialOptions{MaxRedirects: 3})
	assert.ErrorContains(t, err, "stopped after 3 redirects")
	_, resp, err := dialTest(t, srv.URL+"/r301", &DialOptions{MaxRedirects: -1})
	require.Error(t, err)
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
}

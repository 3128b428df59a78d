package main

import (
	"net/http"
	"strings"
)

// pagePath is the path the page's script opens its WebSocket on. The
// server echoes on every path; this one only names the page's connection
// in the -v lines.
const pagePath = "/echo"

// page is what a GET that is not a WebSocket handshake gets: a browser
// loads it, and its script opens a WebSocket to the page's own origin
// (wss:// when the page came over HTTPS), sends a message and shows the
// echoes, and the form sends more. Browsers run a WebSocket over HTTP/2
// only on an HTTP/2 connection they already have to its origin, which
// loading the page opens; the line "page loaded over ..." shows which
// protocol the browser used for the page.
const page = `<!doctype html>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<link rel="icon" href="data:,">
<title>wsconn echoserver</title>
<h1>wsconn echoserver</h1>
<p>This page's script opens a WebSocket to its own origin, path ` + pagePath + `; the server sends every message back.
<form id="form"><input id="msg" value="hello" autocomplete="off"> <button>send</button></form>
<pre id="log"></pre>
<script>
'use strict';
(() => {
  const out = document.getElementById('log');
  const log = (line) => { out.textContent += line + '\n'; };
  const nav = performance.getEntriesByType('navigation')[0];
  log('page loaded over ' + ((nav && nav.nextHopProtocol) || 'an unknown protocol'));
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '` + pagePath + `';
  const ws = new WebSocket(url);
  ws.onopen = () => {
    log('open ' + url + (ws.extensions ? ' with ' + ws.extensions : ''));
    ws.send('hello from the page');
  };
  ws.onmessage = (ev) => log('echo: ' + ev.data);
  ws.onerror = () => log('error');
  ws.onclose = (ev) => log('closed: ' + ev.code + ' ' + ev.reason);
  document.getElementById('form').onsubmit = (ev) => {
    ev.preventDefault();
    if (ws.readyState === WebSocket.OPEN) ws.send(document.getElementById('msg').value);
  };
})();
</script>
`

// isPageRequest reports whether r asks for the page: a GET or HEAD that
// is not a WebSocket handshake. Over HTTP/1.1 a handshake is a GET with
// Upgrade: websocket; over HTTP/2 and HTTP/3 it is an extended CONNECT,
// so every GET asks for the page. Anything else goes to the WebSocket
// handler, which refuses what is not a handshake, as before the page
// existed.
func isPageRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.ProtoMajor >= 2 || !hasToken(r.Header.Values("Upgrade"), "websocket")
}

// hasToken reports whether the comma-separated header values hold token,
// in any case.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// servePage writes the page.
func servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte(page))
}

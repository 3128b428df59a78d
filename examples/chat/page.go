package main

import "net/http"

// pageCSP is the page's Content-Security-Policy: its own inline script
// and style, WebSockets to its own origin, and nothing from elsewhere.
const pageCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"

// page is the chat page. Its script joins the room of the URL's fragment
// (#NAME), or "lobby", when it loads, and the room in the Room field when
// Join is pressed: it opens a WebSocket to /room/NAME on the page's own
// origin (wss:// when the page came over HTTPS) and adds each message it
// receives to the list, as text (textContent, never markup: a message is
// whatever another client sent). What the user sends appears when the
// server relays it back, as it does to everyone in the room. The status
// line tells whether the page is in the room, and why it left it; its
// data-state attribute is "connecting", "open" or "closed", for tests.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>wsconn chat</title>
<style>
  body { margin: 0 auto; max-width: 44em; padding: 1em; background: #fff; color: #111;
         font: 16px/1.4 system-ui, sans-serif; }
  h1 { font-size: 1.4em; margin: 0 0 .5em; }
  form { display: flex; align-items: center; gap: .5em; margin: .5em 0; }
  input { flex: 1; font: inherit; padding: .3em .4em; border: 1px solid #888; border-radius: 3px; }
  button { font: inherit; padding: .3em 1em; }
  #status { color: #444; margin: .3em 0; }
  #status[data-state="closed"] { color: #a00; }
  #messages { list-style: none; margin: .5em 0; padding: 0; min-height: 8em; border: 1px solid #bbb; }
  #messages li { padding: .3em .6em; border-bottom: 1px solid #eee; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>wsconn chat</h1>
<form id="join-form">
  <label for="room">Room</label>
  <input id="room" autocomplete="off" required maxlength="200">
  <button id="join">Join</button>
</form>
<p id="status" data-state="closed">not in a room</p>
<form id="send-form">
  <input id="message" autocomplete="off" placeholder="Message" aria-label="Message">
  <button id="send">Send</button>
</form>
<ul id="messages" aria-live="polite"></ul>
<script>
'use strict';
(() => {
  const byId = (id) => document.getElementById(id);
  const roomField = byId('room'), messageField = byId('message');
  const status = byId('status'), list = byId('messages');
  let ws = null;

  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const roomOfHash = () => {
    try {
      return decodeURIComponent(location.hash.slice(1));
    } catch (err) {
      return '';
    }
  };

  const join = (room) => {
    if (ws) {
      ws.onclose = null;
      ws.close(1000, 'left the room');
    }
    list.replaceChildren();
    history.replaceState(null, '', '#' + encodeURIComponent(room));
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const sock = new WebSocket(scheme + location.host + '/room/' + encodeURIComponent(room));
    ws = sock;
    setStatus('connecting', 'joining ' + room + '...');
    sock.onopen = () => setStatus('open', 'in room ' + room);
    sock.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return; // the server relays text only
      const item = document.createElement('li');
      item.textContent = ev.data;
      list.append(item);
      item.scrollIntoView({ block: 'nearest' });
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      setStatus('closed', 'left room ' + room + ' (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ')');
    };
  };

  byId('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (roomField.value !== '') join(roomField.value);
  });
  byId('send-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!ws || ws.readyState !== WebSocket.OPEN || messageField.value === '') return;
    ws.send(messageField.value);
    messageField.value = '';
    messageField.focus();
  });
  window.addEventListener('hashchange', () => {
    const room = roomOfHash();
    if (room !== '' && room !== roomField.value) {
      roomField.value = room;
      join(room);
    }
  });

  roomField.value = roomOfHash() || 'lobby';
  join(roomField.value);
})();
</script>
</body>
</html>
`

// servePage writes the page, for GET and HEAD /.
func servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte(page))
}

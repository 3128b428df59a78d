// Package interop is wsconn's interoperability suite: it pairs wsconn with
// the WebSocket implementations its users meet, in both roles, with and
// without permessage-deflate, and prints a table of what worked. The
// package has no code of its own besides its tests.
//
// # Running it
//
// The suite is a module of its own, github.com/wsconn/wsconn/interop,
// which requires wsconn and, in this repository, replaces it with ../: a
// go test ./... in wsconn's root does not run it. In interop/:
//
//	go test -count=1 -v -run TestInterop ./...
//
// The peers are Chromium (its own WebSocket, from a page served by
// wsconn's server, driven by playwright-core), Node's ws, Python's
// websocket-client, libsoup 3 (from Python) and Python's websockets. They
// install with
//
//	apt-get install -y --no-install-recommends chromium python3-websocket python3-gi gir1.2-soup-3.0 python3-websockets
//	cd interop && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci
//
// (package.json and package-lock.json pin the npm packages). A peer that
// is not installed is skipped, with the command that installs it; with
// WSCONN_INTEROP_REQUIRED=1, as CI sets, it fails the test instead.
// WSCONN_INTEROP=skip skips the whole suite, and WSCONN_INTEROP_REPORT=FILE
// writes the table as Markdown to FILE.
//
// # Chromium and the echoserver program
//
// The rows "Chromium, echoserver HTTP/2" and "Chromium, echoserver
// HTTP/1.1 TLS" pair Chromium with examples/echoserver (built with
// internal/echotest, with the race detector when the suite has it) rather
// than with the suite's own server: the echoserver runs with -tls -v (and
// -http2=false for the second row) and a self-signed certificate, the
// browser (--ignore-https-errors: Chromium's --ignore-certificate-errors
// and playwright's ignoreHTTPSErrors) loads its page over HTTPS and opens
// its WebSockets to the same origin, and each WebSocket, the page's own
// included, must appear in the echoserver's "accepted PROTO PATH" lines
// with the row's HTTP version: Chromium runs a WebSocket over HTTP/2 (RFC
// 8441) only on the HTTP/2 connection of its page. The echo checks are the
// others'; the echoserver selects the first subprotocol offered, closes
// on its own after the first echo when asked with ?close=4001, and cannot
// ping or be watched on the wire, so those checks are n/a. The echoserver
// must exit 0 on SIGTERM at the end, without a data race.
//
// # Agents
//
// Each peer is driven by an agent, a small program in peers/ that runs one
// implementation as client or as server on 127.0.0.1 and speaks a line
// protocol with the test: commands as JSON objects, one a line, on its
// stdin; events as JSON objects, one a line, on its stdout.
//
// Commands ("op"), each about the connection named "id":
//
//	connect  {id, url, protocols, page, ping_interval, ping_timeout}: open a
//	         client connection; page is the page the browser opens it from,
//	         ping_* turn on the peer's own keepalive where it has one
//	send     {id, type: "text"|"binary", data}: send a message (binary
//	         data in base64)
//	burst    {id, prefix, count}: send count text messages prefix0,
//	         prefix1, ... as fast as the peer can
//	ping     {id, data}: send a ping with payload data
//	close    {id, code, reason}: start the closing handshake
//	quit     close everything and exit
//
// Events ("event"):
//
//	ready    {version, port}: the agent runs; a server listens on port
//	open     {id, protocol, extensions, extension_names}: a connection is
//	         open; extensions is the Sec-WebSocket-Extensions answer as the
//	         peer reports it
//	message  {id, type, data}: a client connection received a message
//	ping     {id, data}, pong {id, data}: control frames, where the peer
//	         reports them
//	closed   {id, code, reason, clean}: the connection ended; code and
//	         reason are those the peer received; clean is null when the
//	         peer cannot tell
//	error    {id, message}: something failed
//
// An agent in server mode listens on a free port, names each connection by
// the last segment of its path (/c/ID), chooses the first offered
// subprotocol it supports (wsconn.interop.v2 or wsconn.interop.v1) and
// echoes every message with its type.
package interop

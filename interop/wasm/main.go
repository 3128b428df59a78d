//go:build js && wasm

// Command wasm is the browser program of the interop suite's TestWasm: built
// with GOOS=js GOARCH=wasm and run by Go's wasm_exec.js in Chromium, it dials
// the test's wsconn server with wsconn.Dial, which uses the browser's own
// WebSocket, and checks what a program sees there: echoes through the pull
// API and the signals, a 1 MiB message, BufferedAmount, the subprotocol,
// what the browser cannot do (Ping, custom headers, an Origin of its own),
// and the closing handshake both ways.
//
// The page sets window.wasmEchoURL and window.wasmCloseURL before it runs
// the program. The program reports its checks as a JSON object in
// window.wasmResult (a string) and logs each check on the console, then
// waits for the page to close. It never stops without a result: a panic is
// reported as a failed check.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"syscall/js"
	"time"

	"github.com/wsconn/wsconn"
)

// The protocol between the program and the test (see wasm_test.go).
const (
	protocol     = "echo.v1"
	clientCode   = 4000
	clientReason = "bye"
	serverCode   = 4001
	serverReason = "server says bye"
	serverHello  = "hello from the server"
	bigSize      = 1 << 20
	maxMessage   = 4 << 20
)

// stepTimeout bounds every wait of the program.
const stepTimeout = 15 * time.Second

// A check is the outcome of one check.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// result is what the program reports to the page.
type result struct {
	Done       bool              `json:"done"` // every step ran
	Checks     []check           `json:"checks"`
	Protocol   string            `json:"protocol"`
	Extensions string            `json:"extensions"`
	Buffered   map[string]int64  `json:"buffered"` // BufferedAmount at points of the run
	Status     map[string]string `json:"status"`   // CloseStatus of each connection
	Panic      string            `json:"panic,omitempty"`
}

func (r *result) add(name string, ok bool, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	r.Checks = append(r.Checks, check{Name: name, OK: ok, Detail: detail})
	state := "ok"
	if !ok {
		state = "FAIL"
	}
	js.Global().Get("console").Call("log", fmt.Sprintf("wasm: %s %s: %s", state, name, detail))
}

func main() {
	r := &result{Buffered: map[string]int64{}, Status: map[string]string{}}
	defer func() {
		if p := recover(); p != nil {
			r.Panic = fmt.Sprintf("%v\n%s", p, debug.Stack())
			r.add("no_panic", false, "panic: %v", p)
		}
		b, err := json.Marshal(r)
		if err != nil {
			b = []byte(fmt.Sprintf(`{"done":false,"panic":%q}`, err.Error()))
		}
		js.Global().Set("wasmResult", string(b))
		js.Global().Get("console").Call("log", "wasm: result "+string(b))
		// Stay: wasm_page.js closes the page. A program that exits while
		// the runtime has a timer scheduled makes wasm_exec.js throw "Go
		// program has already exited" when the timer fires.
		select {}
	}()
	echoURL := js.Global().Get("wasmEchoURL")
	closeURL := js.Global().Get("wasmCloseURL")
	if echoURL.Type() != js.TypeString || closeURL.Type() != js.TypeString {
		r.add("page", false, "window.wasmEchoURL and window.wasmCloseURL must be strings")
		return
	}
	unsupported(r, echoURL.String())
	if echo(r, echoURL.String()) && serverCloses(r, closeURL.String()) {
		r.Done = true
	}
}

// options are the connection options of the program: 1 MiB messages pass.
func options() *wsconn.Options {
	return &wsconn.Options{
		MaxIncomingPayloadSize: maxMessage,
		MaxTotalMessageSize:    maxMessage,
		ReceiveBufferSize:      maxMessage,
	}
}

// unsupported checks that Dial refuses what the browser cannot do, before
// it opens anything.
func unsupported(r *result, url string) {
	for _, tc := range []struct {
		name string
		opts *wsconn.DialOptions
	}{
		{"dial_header_unsupported", &wsconn.DialOptions{Header: http.Header{"X-Wsconn": {"1"}}}},
		{"dial_origin_unsupported", &wsconn.DialOptions{Origin: "http://example.com"}},
		{"dial_keepalive_unsupported", &wsconn.DialOptions{ConnectionOptions: &wsconn.Options{KeepaliveInterval: time.Second}}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		c, _, err := wsconn.Dial(ctx, url, tc.opts)
		cancel()
		if c != nil {
			c.Abort()
		}
		r.add(tc.name, c == nil && errors.Is(err, errors.ErrUnsupported), "err=%v", err)
	}
}

// echo runs the checks of the echo connection and closes it with 4000 "bye".
// It reports whether it got to the end.
func echo(r *result, url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	c, resp, err := wsconn.Dial(ctx, url, &wsconn.DialOptions{
		Protocols:         []string{"wsconn.unknown", protocol},
		ConnectionOptions: options(),
	})
	r.add("dial", err == nil, "err=%v", err)
	if err != nil {
		return false
	}
	defer c.Abort() // only if something failed before the close

	r.Protocol = c.Protocol()
	r.Extensions = resp.Header.Get("Sec-WebSocket-Extensions")
	r.add("protocol", c.Protocol() == protocol && resp.Header.Get("Sec-WebSocket-Protocol") == protocol,
		"Protocol()=%q, response header %q", c.Protocol(), resp.Header.Get("Sec-WebSocket-Protocol"))
	r.add("response_status", resp.StatusCode == http.StatusSwitchingProtocols, "status %d", resp.StatusCode)

	perr := c.Ping([]byte("p"))
	r.add("ping_unsupported", errors.Is(perr, errors.ErrUnsupported), "err=%v", perr)
	r.Buffered["idle"] = c.BufferedAmount()
	r.add("buffered_amount_idle", r.Buffered["idle"] == 0, "BufferedAmount()=%d", r.Buffered["idle"])

	// A text echo through the pull API alone: no handler is connected yet,
	// so the first Receive gets the held events.
	const text = "héllo, wasm ✓"
	if err := c.SendText(text); err != nil {
		r.add("text_echo_pull", false, "SendText: %v", err)
		return false
	}
	got, err := c.ReceiveText(ctx)
	r.add("text_echo_pull", err == nil && got == text, "ReceiveText=%q err=%v", got, err)
	if err != nil {
		return false
	}

	// From now on a message handler sees every message too.
	type msg struct {
		typ  wsconn.DataType
		data []byte
	}
	msgs := make(chan msg, 16)
	c.OnMessage(func(typ wsconn.DataType, data []byte) { msgs <- msg{typ, data} })
	onMessage := func() (msg, error) {
		select {
		case m := <-msgs:
			return m, nil
		case <-ctx.Done():
			return msg{}, fmt.Errorf("no message signal: %w", ctx.Err())
		}
	}

	small := []byte{0, 1, 2, 0x80, 0xfe, 0xff}
	if err := c.SendBinary(small); err != nil {
		r.add("binary_echo_signal", false, "SendBinary: %v", err)
		return false
	}
	m, err := onMessage()
	r.add("binary_echo_signal", err == nil && m.typ == wsconn.DataBinary && bytes.Equal(m.data, small),
		"OnMessage %s %x err=%v", m.typ, m.data, err)
	b, err := c.ReceiveBinary(ctx)
	r.add("binary_echo_pull", err == nil && bytes.Equal(b, small), "ReceiveBinary %x err=%v", b, err)
	if err != nil {
		return false
	}

	big := make([]byte, bigSize)
	for i := range big {
		big[i] = byte(i*7 + i>>11)
	}
	start := time.Now()
	if err := c.SendBinary(big); err != nil {
		r.add("big_echo", false, "SendBinary: %v", err)
		return false
	}
	r.Buffered["after_send"] = c.BufferedAmount()
	r.add("buffered_amount_after_send", r.Buffered["after_send"] > 0,
		"BufferedAmount()=%d right after sending %d bytes", r.Buffered["after_send"], bigSize)
	typ, b, err := c.Receive(ctx)
	r.add("big_echo_pull", err == nil && typ == wsconn.DataBinary && bytes.Equal(b, big),
		"Receive %s of %d bytes (want %d) in %v, err=%v", typ, len(b), bigSize, time.Since(start).Round(time.Millisecond), err)
	m, err = onMessage()
	r.add("big_echo_signal", err == nil && m.typ == wsconn.DataBinary && bytes.Equal(m.data, big),
		"OnMessage %s of %d bytes, err=%v", m.typ, len(m.data), err)
	// Once the echo is back, the browser has sent everything; it may tell
	// so a little later.
	n := c.BufferedAmount()
	for n != 0 && ctx.Err() == nil {
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
		}
		n = c.BufferedAmount()
	}
	r.Buffered["after_echo"] = n
	r.add("buffered_amount_drained", n == 0, "BufferedAmount()=%d after the echo", n)

	// The client closes: 4000 "bye".
	if err := c.Close(clientCode, clientReason); err != nil {
		r.add("client_close", false, "Close: %v", err)
		return false
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		r.add("client_close", false, "Done not closed in %v, state %s", stepTimeout, c.State())
		return false
	}
	st := c.CloseStatus()
	r.Status["echo"] = st.String()
	r.add("client_close", st.SentCode == clientCode && st.SentReason == clientReason && !st.Remote &&
		st.Code == clientCode && st.Reason == clientReason && st.Clean, "%s", st)
	_, _, err = c.Receive(ctx)
	var ce *wsconn.CloseError
	r.add("receive_after_close", errors.As(err, &ce) && ce.Code == clientCode, "err=%v", err)
	sendErr := c.SendText("late")
	r.add("send_after_close", errors.Is(sendErr, wsconn.ErrNotOpen), "err=%v", sendErr)
	return true
}

// serverCloses runs the second connection: the server sends a text message,
// then closes with 4001 "server says bye". Only the signals are used.
func serverCloses(r *result, url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	c, _, err := wsconn.Dial(ctx, url, &wsconn.DialOptions{Protocols: []string{protocol}, ConnectionOptions: options()})
	r.add("dial_server_close", err == nil, "err=%v", err)
	if err != nil {
		return false
	}
	defer c.Abort()
	texts := make(chan string, 4)
	closing := make(chan struct{})
	closed := make(chan struct{})
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		if typ == wsconn.DataText {
			texts <- string(data)
		}
	})
	c.OnClosing(func() { close(closing) })
	c.OnClosed(func() { close(closed) })

	select {
	case s := <-texts:
		r.add("server_message", s == serverHello, "OnMessage %q", s)
	case <-ctx.Done():
		r.add("server_message", false, "no message in %v", stepTimeout)
	}
	for _, w := range []struct {
		name string
		ch   <-chan struct{}
	}{{"closing", closing}, {"closed", closed}, {"done", c.Done()}} {
		select {
		case <-w.ch:
		case <-ctx.Done():
			r.add("server_close", false, "no %s in %v, state %s", w.name, stepTimeout, c.State())
			return false
		}
	}
	st := c.CloseStatus()
	r.Status["server_close"] = st.String()
	r.add("server_close", st.Code == serverCode && st.Reason == serverReason && st.Remote &&
		c.CloseCode() == serverCode && c.CloseData() == serverReason,
		"%s; CloseCode()=%d CloseData()=%q", st, c.CloseCode(), c.CloseData())
	// The browser answered the server's close frame and saw the TCP
	// connection end in order: the closing handshake completed.
	r.add("server_close_clean", st.Clean, "Clean=%v SentCode=%d", st.Clean, st.SentCode)
	return true
}

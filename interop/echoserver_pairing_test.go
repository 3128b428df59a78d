//go:build linux

package interop

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wsconn/wsconn"
)

// The echoserver's close=CODE (see examples/echoserver): it closes with
// CODE and this reason once it has echoed the first message.
const (
	echoserverCloseCode   = 4001
	echoserverCloseReason = "close=4001 asked for it"
)

// echoserverNA says why the checks that need wsconn's end of the
// connection in the test's hands, or a relay on it, do not apply to the
// echoserver's rows.
var echoserverNA = map[string]string{
	chkWire:        "the echoserver's connections are in TLS (over HTTP/2, streams of a shared connection): a counting relay cannot see a message's bytes",
	chkPeerPing:    "the browser's WebSocket API cannot send a ping",
	chkWsconnPing:  "the echoserver program does not ping on command",
	chkWsconnAlive: "the echoserver program has no keepalive to turn on",
	chkPeerAlive:   "the browser's WebSocket API has no keepalive",
}

// runEchoserver runs the checks of a pairing whose server is
// examples/echoserver: the browser loads the echoserver's page and opens
// its WebSockets to the same origin, and every connection must reach the
// echoserver over the HTTP version of the spec, as its -v lines show.
func (p *pairing) runEchoserver() {
	ctx := context.Background()
	setup := p.spec.echoserver
	es, err := startEchoserver(ctx, p.echoserverPath, setup, p.deflate)
	if err != nil {
		p.failAll(err)
		return
	}
	defer func() {
		if err := es.stop(); err != nil {
			p.t.Error(err)
		}
	}()
	ag, err := p.agent(ctx, "--ignore-https-errors")
	if err != nil {
		p.failAll(err)
		return
	}
	defer func() {
		ag.stop()
		if note := ag.stderrNote(); p.t.Failed() && note != "" {
			p.t.Log(note)
		}
	}()

	// checkProto waits for the echoserver's line of the WebSocket at path
	// and checks its HTTP version.
	checkProto := func(ctx context.Context, path string) error {
		proto, err := es.accepted(ctx, path)
		if err != nil {
			return err
		}
		if proto != setup.proto {
			return fmt.Errorf("the echoserver accepted %s over %s, want %s", path, proto, setup.proto)
		}
		return nil
	}
	// open has the browser open the WebSocket /c/ID?QUERY from the
	// echoserver's page and returns its open event once the echoserver
	// has reported it over the right HTTP version.
	open := func(ctx context.Context, id, query string, protocols []string) (event, error) {
		path := "/c/" + id
		cmd := command{Op: "connect", ID: id, URL: es.wsBase + path + query, Page: es.origin + "/", Protocols: protocols}
		if err := ag.send(cmd); err != nil {
			return event{}, err
		}
		ev, err := ag.wait(ctx, id, []string{"open"}, "closed", "error")
		if err != nil {
			return ev, fmt.Errorf("%w%s", err, es.stderrNote())
		}
		return ev, checkProto(ctx, path)
	}
	noNote := func() string { return "" }
	// notHere stands for the checks of echoserverNA, which check records
	// as n/a without running them.
	notHere := func(context.Context) outcome { return fail("not a check of the echoserver's rows") }

	// Connection a, without subprotocol, carries the data checks.
	var opened event
	aOpen := false
	p.check(chkOpen, func(ctx context.Context) outcome {
		ev, err := open(ctx, "a", "", nil)
		if err != nil {
			return fail("%v", err)
		}
		opened, aOpen = ev, true
		if ev.Protocol != "" {
			return fail("no subprotocol was offered, yet the peer reports %q", ev.Protocol)
		}
		// The page's own script opens a WebSocket to the same origin
		// as it loads.
		if err := checkProto(ctx, "/echo"); err != nil {
			return fail("the page's own WebSocket: %v", err)
		}
		return pass("page %s and its WebSockets over %s", es.origin, setup.proto)
	})
	onA := func(f func(ctx context.Context) outcome) func(ctx context.Context) outcome {
		return func(ctx context.Context) outcome {
			if !aOpen {
				return fail("connection a did not open")
			}
			return f(ctx)
		}
	}
	p.check(chkExtensions, onA(func(ctx context.Context) outcome {
		p.row.offered, p.row.agreed = "(Chromium's; the echoserver does not show it)", opened.Extensions
		theirs, err := parseExtensions(opened.Extensions)
		if err != nil {
			return fail("the peer's extensions %q: %v", opened.Extensions, err)
		}
		if !p.deflate {
			if len(theirs) > 0 {
				return fail("the echoserver runs with -deflate=false, yet the peer reports %q", opened.Extensions)
			}
			return pass("none")
		}
		if len(theirs) != 1 || theirs[0].Name != "permessage-deflate" || len(opened.ExtensionNames) > 0 && !slices.Equal(opened.ExtensionNames, []string{"permessage-deflate"}) {
			return fail("want permessage-deflate alone; the peer reports %q %v", opened.Extensions, opened.ExtensionNames)
		}
		return pass("%s", opened.Extensions)
	}))
	echoes := func(msgs []message) func(ctx context.Context) outcome {
		return func(ctx context.Context) outcome {
			var bad []string
			for _, m := range msgs {
				mctx, cancel := context.WithTimeout(ctx, messageTimeout)
				err := agentEcho(mctx, ag, "a", m, noNote)
				cancel()
				if err != nil {
					bad = append(bad, fmt.Sprintf("%s %s: %v", m.label, m.typ, err))
					if ctx.Err() != nil || ag.events.find(func(e event) bool { return e.ID == "a" && e.Event == "closed" }) {
						break
					}
				}
			}
			if len(bad) > 0 {
				return fail("%s", strings.Join(bad, "; "))
			}
			return pass("%d sizes, %s to %s", len(msgs), msgs[0].label, msgs[len(msgs)-1].label)
		}
	}
	var text, utf8, binary []message
	for _, n := range sizes {
		text = append(text, message{wsconn.DataText, []byte(asciiText(n)), size(int64(n))})
		binary = append(binary, message{wsconn.DataBinary, binaryData(n), size(int64(n))})
	}
	for _, n := range utf8Sizes {
		utf8 = append(utf8, message{wsconn.DataText, []byte(utf8Text(n)), size(int64(n))})
	}
	p.check(chkText, onA(echoes(text)))
	p.check(chkUTF8, onA(echoes(utf8)))
	p.check(chkBinary, onA(echoes(binary)))
	p.check(chkBurst, onA(func(ctx context.Context) outcome { return agentBurst(ctx, ag, "a") }))
	p.check(chkPeerPing, notHere)
	p.check(chkWsconnPing, notHere)

	// Connection s asks the echoserver to close it after the first echo.
	p.check(chkCloseByWsconn, func(ctx context.Context) outcome {
		if _, err := open(ctx, "s", fmt.Sprintf("?close=%d", echoserverCloseCode), nil); err != nil {
			return fail("%v", err)
		}
		if err := agentEcho(ctx, ag, "s", message{wsconn.DataText, []byte("last words ✓"), "last words"}, noNote); err != nil {
			return fail("%v", err)
		}
		ev, err := ag.wait(ctx, "s", []string{"closed"})
		if err != nil {
			return fail("%v", err)
		}
		if ev.Code != echoserverCloseCode || ev.Reason != echoserverCloseReason || ev.Clean == nil || !*ev.Clean {
			return fail("the peer saw %s, want %d %q, clean", ev, echoserverCloseCode, echoserverCloseReason)
		}
		return pass("the echoserver closed with %d %q after the first echo; the peer saw it, clean", ev.Code, ev.Reason)
	})

	// Connection p offers subprotocols and ends with the peer closing it.
	pOpen := false
	p.check(chkSubprotocol, func(ctx context.Context) outcome {
		ev, err := open(ctx, "p", "", offeredProtocols)
		if err != nil {
			return fail("%v", err)
		}
		pOpen = true
		// The echoserver selects the first subprotocol offered.
		if want := offeredProtocols[0]; ev.Protocol != want {
			return fail("the peer reports %q, want %q, the first one offered", ev.Protocol, want)
		}
		return pass("%s, the first one offered", ev.Protocol)
	})
	p.check(chkCloseByPeer, func(ctx context.Context) outcome {
		if !pOpen {
			return fail("connection p did not open")
		}
		reason := "bye from " + p.spec.key + " ✓"
		if err := ag.send(command{Op: "close", ID: "p", Code: 4000, Reason: reason}); err != nil {
			return fail("%v", err)
		}
		ev, err := ag.wait(ctx, "p", []string{"closed"})
		if err != nil {
			return fail("%v", err)
		}
		// The browser reports the code of the echoserver's answer, which
		// is the one it received.
		if ev.Code != 4000 || ev.Clean == nil || !*ev.Clean {
			return fail("the peer closed with 4000 %q and saw %s, want the echoserver's answer 4000, clean", reason, ev)
		}
		return pass("the echoserver answered %d %q; clean", ev.Code, ev.Reason)
	})
	p.check(chkWire, notHere)
	p.check(chkWsconnAlive, notHere)
	p.check(chkPeerAlive, notHere)
}

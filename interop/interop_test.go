//go:build linux

package interop

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/echotest"
)

// Timing of the checks.
const (
	// checkTimeout bounds every check.
	checkTimeout = 90 * time.Second
	// messageTimeout bounds the wait for one echo.
	messageTimeout = 30 * time.Second
	// slack is the scheduling delay allowed on top of a keepalive's
	// bound: processes to stop, timers to fire, on a busy machine.
	slack = 2 * time.Second
	// wsconn's keepalive in the wsconn keepalive check.
	keepaliveInterval    = 250 * time.Millisecond
	keepalivePongTimeout = 500 * time.Millisecond
)

// The subprotocols of the subprotocol check: an unknown one first, so
// that the server must skip it.
var offeredProtocols = []string{"wsconn.unknown", "wsconn.interop.v2", "wsconn.interop.v1"}

const agreedProtocol = "wsconn.interop.v2"

// TestInterop pairs wsconn with every installed peer, in both roles and
// with and without compression where the peer has them, runs every check
// of each pairing and prints the table of outcomes. A peer that is not
// installed is skipped with the command that installs it, or fails the
// test when WSCONN_INTEROP_REQUIRED=1 (as CI sets).
func TestInterop(t *testing.T) {
	if os.Getenv("WSCONN_INTEROP") == "skip" {
		t.Skip("WSCONN_INTEROP=skip")
	}
	if testing.Short() {
		t.Skip("the interoperability suite starts browsers and interpreters; skipped in -short mode")
	}
	required := os.Getenv("WSCONN_INTEROP_REQUIRED") == "1"
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rep := newReport()
	rep.required = required
	for _, spec := range peers {
		t.Run(spec.key, func(t *testing.T) {
			version, prefix, err := spec.probe(dir)
			if err != nil {
				note := fmt.Sprintf("%s is not installed (%v): install it with `%s`", spec.name, err, spec.install)
				rep.missing(note)
				if required {
					t.Fatal(note + " (WSCONN_INTEROP_REQUIRED=1)")
				}
				t.Skip(note)
			}
			rep.setVersion(spec, version)
			var echoserver string
			if spec.echoserver != nil {
				echoserver, _ = echotest.Build(t, raceEnabled)
			}
			for _, r := range spec.roles {
				for _, deflate := range spec.deflate {
					name := fmt.Sprintf("wsconn_%s/deflate_%s", r, onOff(deflate))
					t.Run(name, func(t *testing.T) {
						p := &pairing{
							t: t, spec: spec, role: r, deflate: deflate, dir: dir, prefix: prefix,
							row: rep.newRow(spec, r, deflate), echoserverPath: echoserver,
						}
						if spec.echoserver != nil {
							p.runEchoserver()
							return
						}
						p.run()
					})
				}
			}
		})
	}
	fmt.Print("\n" + rep.text())
	if path := os.Getenv("WSCONN_INTEROP_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(rep.markdown()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// A pairing is one row of the table: a peer, the role wsconn plays, and
// compression on or off.
type pairing struct {
	t       *testing.T
	spec    *peerSpec
	role    role
	deflate bool
	dir     string
	prefix  []string // the agent's interpreter and script
	row     *row

	srv *wsServer   // wsconn's server, when wsconn is the server
	eps []*endpoint // wsconn's client connections, aborted at the end

	echoserverPath string // the echoserver program, for a spec with echoserver
}

// run runs every check of the pairing.
func (p *pairing) run() {
	ctx := context.Background()
	if p.role == wsconnServer {
		srv, err := startServer(p.deflate)
		if err != nil {
			p.failAll(err)
			return
		}
		p.srv = srv
		defer srv.close()
	}
	defer func() {
		for _, ep := range p.eps {
			ep.c.Abort()
		}
	}()

	ag, err := p.agent(ctx)
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

	// Connection a, without subprotocol, carries the data checks and
	// ends with wsconn closing it.
	var a *endpoint
	var opened event
	p.check(chkOpen, func(ctx context.Context) outcome {
		var err error
		a, opened, err = p.open(ctx, ag, "a", nil, nil, nil)
		if err != nil {
			return fail("%v", err)
		}
		if a.c.Protocol() != "" || opened.Protocol != "" {
			return fail("no subprotocol was offered, yet wsconn reports %q and the peer %q", a.c.Protocol(), opened.Protocol)
		}
		return pass("")
	})
	onA := func(f func(ctx context.Context) outcome) func(ctx context.Context) outcome {
		return func(ctx context.Context) outcome {
			if a == nil {
				return fail("connection a did not open")
			}
			return f(ctx)
		}
	}
	p.check(chkExtensions, onA(func(ctx context.Context) outcome { return p.checkExtensions(a, opened) }))
	p.check(chkText, onA(func(ctx context.Context) outcome {
		var msgs []message
		for _, n := range sizes {
			msgs = append(msgs, message{wsconn.DataText, []byte(asciiText(n)), size(int64(n))})
		}
		return p.checkEchoes(ctx, ag, a, msgs)
	}))
	p.check(chkUTF8, onA(func(ctx context.Context) outcome {
		var msgs []message
		for _, n := range utf8Sizes {
			msgs = append(msgs, message{wsconn.DataText, []byte(utf8Text(n)), size(int64(n))})
		}
		return p.checkEchoes(ctx, ag, a, msgs)
	}))
	p.check(chkBinary, onA(func(ctx context.Context) outcome {
		var msgs []message
		for _, n := range sizes {
			msgs = append(msgs, message{wsconn.DataBinary, binaryData(n), size(int64(n))})
		}
		return p.checkEchoes(ctx, ag, a, msgs)
	}))
	p.check(chkBurst, onA(func(ctx context.Context) outcome { return p.checkBurst(ctx, ag, a) }))
	p.check(chkPeerPing, onA(func(ctx context.Context) outcome { return p.checkPeerPing(ctx, ag, a) }))
	p.check(chkWsconnPing, onA(func(ctx context.Context) outcome { return p.checkWsconnPing(ctx, ag, a) }))
	p.check(chkCloseByWsconn, onA(func(ctx context.Context) outcome { return p.checkCloseByWsconn(ctx, ag, a) }))

	// Connection p offers subprotocols and ends with the peer closing it.
	var pc *endpoint
	p.check(chkSubprotocol, func(ctx context.Context) outcome {
		var ev event
		var err error
		pc, ev, err = p.open(ctx, ag, "p", offeredProtocols, nil, nil)
		if err != nil {
			return fail("%v", err)
		}
		if pc.c.Protocol() != agreedProtocol || ev.Protocol != agreedProtocol {
			return fail("wsconn reports %q, the peer %q; want %q", pc.c.Protocol(), ev.Protocol, agreedProtocol)
		}
		return pass("%s", agreedProtocol)
	})
	p.check(chkCloseByPeer, func(ctx context.Context) outcome {
		if pc == nil {
			return fail("connection p did not open")
		}
		return p.checkCloseByPeer(ctx, ag, pc)
	})
	p.check(chkWire, func(ctx context.Context) outcome { return p.checkWire(ctx, ag) })
	ag.stop()

	// The keepalive checks end their peers: each has an agent of its own.
	p.check(chkWsconnAlive, p.checkWsconnKeepalive)
	p.check(chkPeerAlive, p.checkPeerKeepalive)
}

// check runs one check with a deadline and records its outcome, or
// records n/a when the peer cannot do it.
func (p *pairing) check(key string, f func(ctx context.Context) outcome) {
	if reason, ok := p.spec.na[key]; ok {
		p.row.set(key, notApplicable(reason))
		p.t.Logf("%s: n/a: %s", key, reason)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	start := time.Now()
	o := f(ctx)
	p.row.set(key, o)
	if o.status == statusFail {
		p.t.Errorf("%s: %s", key, o.detail)
		return
	}
	p.t.Logf("%s: %s in %.2f s %s", key, o.status, time.Since(start).Seconds(), o.detail)
}

// failAll records err as the outcome of every check the peer can do.
func (p *pairing) failAll(err error) {
	for _, c := range checks {
		p.check(c.key, func(context.Context) outcome { return fail("%v", err) })
	}
}

// agent starts an agent of the peer for the pairing; it is stopped when
// the test ends, whatever happens.
func (p *pairing) agent(ctx context.Context, extra ...string) (*agent, error) {
	profile := ""
	if p.spec.browser {
		profile = p.t.TempDir() // a fresh profile for every browser
	}
	argv := p.spec.argv(p.prefix, p.role.agentMode(), p.deflate, profile, extra...)
	// Temporary files (playwright's, the browser's) go where the test
	// removes them, even when the agent is killed. The directory's path
	// is short, not named after the test as t.TempDir's: Chromium makes
	// its singleton socket in it, and a unix socket's path has at most
	// 107 bytes.
	tmp, err := os.MkdirTemp("", "interop")
	if err != nil {
		return nil, err
	}
	p.t.Cleanup(func() { os.RemoveAll(tmp) })
	a, err := startAgent(ctx, p.spec.name, p.dir, argv, "TMPDIR="+tmp)
	if err != nil {
		return nil, err
	}
	p.t.Cleanup(a.stop)
	return a, nil
}

// target returns the address wsconn or the agent listens on, whichever is
// the server.
func (p *pairing) target(ag *agent) string {
	if p.role == wsconnServer {
		return p.srv.addr()
	}
	return fmt.Sprintf("127.0.0.1:%d", ag.port)
}

// open opens the connection named id between the agent and wsconn, with
// the client offering protocols, through relay when it is not nil, and
// with the peer's keepalive ka when it is not nil and the peer is the
// client. It returns wsconn's end and the peer's open event.
func (p *pairing) open(ctx context.Context, ag *agent, id string, protocols []string, relay *tap, ka *peerKeepalive) (*endpoint, event, error) {
	host := p.target(ag)
	if relay != nil {
		host = relay.addr()
	}
	wsURL := "ws://" + host + "/c/" + id
	if p.role == wsconnClient {
		ep, err := dial(ctx, wsURL, id, protocols, p.deflate)
		if err != nil {
			return nil, event{}, err
		}
		p.eps = append(p.eps, ep)
		ev, err := ag.wait(ctx, id, []string{"open"}, "closed", "error")
		return ep, ev, err
	}
	cmd := command{Op: "connect", ID: id, URL: wsURL, Page: "http://" + host + "/", Protocols: protocols}
	if ka != nil {
		cmd.PingInterval, cmd.PingTimeout = ka.interval.Seconds(), ka.timeout.Seconds()
	}
	if err := ag.send(cmd); err != nil {
		return nil, event{}, err
	}
	ev, err := ag.wait(ctx, id, []string{"open"}, "closed", "error")
	if err != nil {
		// When wsconn refused the handshake, its error says why.
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, aerr := p.srv.accepted(short, id); aerr != nil {
			err = fmt.Errorf("%w; %v", err, aerr)
		}
		return nil, ev, err
	}
	ep, err := p.srv.accepted(ctx, id)
	return ep, ev, err
}

// checkExtensions compares the extensions wsconn reports with those the
// peer reports.
func (p *pairing) checkExtensions(ep *endpoint, opened event) outcome {
	p.row.agreed = opened.Extensions
	if req := ep.c.Request(); req != nil {
		p.row.offered = strings.Join(req.Header.Values("Sec-WebSocket-Extensions"), ", ")
	}
	both := fmt.Sprintf("wsconn reports %q %v, the peer %q %v", ep.ext, ep.names, opened.Extensions, opened.ExtensionNames)
	mine, err := parseExtensions(ep.ext)
	if err != nil {
		return fail("wsconn's extensions: %v (%s)", err, both)
	}
	theirs, err := parseExtensions(opened.Extensions)
	if err != nil {
		return fail("the peer's extensions: %v (%s)", err, both)
	}
	if !p.deflate {
		if len(mine)+len(theirs)+len(ep.names)+len(opened.ExtensionNames) > 0 {
			return fail("compression is off, yet %s", both)
		}
		return pass("none")
	}
	const pmd = "permessage-deflate"
	if len(mine) != 1 || mine[0].Name != pmd || len(theirs) != 1 || theirs[0].Name != pmd {
		return fail("want %s alone on both sides: %s", pmd, both)
	}
	if !slices.Equal(ep.names, []string{pmd}) {
		return fail("wsconn applies %v: %s", ep.names, both)
	}
	if len(opened.ExtensionNames) > 0 && !slices.Equal(opened.ExtensionNames, []string{pmd}) {
		return fail("the peer applies %v: %s", opened.ExtensionNames, both)
	}
	if !sameParams(mine[0].Params, theirs[0].Params) {
		return fail("the parameters differ: %s", both)
	}
	return pass("%s", opened.Extensions)
}

// parseExtensions parses one Sec-WebSocket-Extensions value; "" is none.
func parseExtensions(v string) ([]extensions.Offer, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	return extensions.ParseHeader([]string{v})
}

// sameParams reports whether a and b hold the same parameters, in any
// order.
func sameParams(a, b extensions.Params) bool {
	norm := func(ps extensions.Params) []string {
		var s []string
		for _, p := range ps {
			s = append(s, strings.ToLower(p.Name)+"="+p.Value+fmt.Sprint(p.HasValue))
		}
		slices.Sort(s)
		return s
	}
	return slices.Equal(norm(a), norm(b))
}

// A message is one message of an echo check.
type message struct {
	typ   wsconn.DataType
	data  []byte
	label string
}

// checkEchoes sends every message from the client side of connection ep
// through the echoing side and compares what comes back.
func (p *pairing) checkEchoes(ctx context.Context, ag *agent, ep *endpoint, msgs []message) outcome {
	var bad []string
	for _, m := range msgs {
		if err := p.echo(ctx, ag, ep, m); err != nil {
			bad = append(bad, fmt.Sprintf("%s %s: %v", m.label, m.typ, err))
			if ctx.Err() != nil || ep.c.State() != wsconn.StateOpen {
				break
			}
		}
	}
	if len(bad) > 0 {
		return fail("%s", strings.Join(bad, "; "))
	}
	return pass("%d sizes, %s to %s", len(msgs), msgs[0].label, msgs[len(msgs)-1].label)
}

// echo sends m and waits for its echo: from the agent, echoed by wsconn,
// when wsconn is the server; from wsconn, echoed by the agent, when it is
// the client.
func (p *pairing) echo(ctx context.Context, ag *agent, ep *endpoint, m message) error {
	ctx, cancel := context.WithTimeout(ctx, messageTimeout)
	defer cancel()
	if p.role == wsconnClient {
		if err := ep.c.SendMessage(m.typ, m.data); err != nil {
			return err
		}
		ev, err := ep.wait(ctx, "message")
		if err != nil {
			return err
		}
		if ev.typ != m.typ {
			return fmt.Errorf("came back as %s", ev.typ)
		}
		if d := diff(m.data, ev.data); d != "" {
			return errors.New(d)
		}
		return nil
	}
	return agentEcho(ctx, ag, ep.id, m, ep.errorsNote)
}

// agentEcho has the agent send m on its client connection id and waits
// for the server's echo. note adds what the server side knows to a
// failure.
func agentEcho(ctx context.Context, ag *agent, id string, m message, note func() string) error {
	cmd := command{Op: "send", ID: id, Type: m.typ.String(), Data: string(m.data)}
	if m.typ == wsconn.DataBinary {
		cmd.Data = base64.StdEncoding.EncodeToString(m.data)
	}
	if err := ag.send(cmd); err != nil {
		return err
	}
	ev, err := ag.wait(ctx, id, []string{"message"}, "closed", "error")
	if err != nil {
		return fmt.Errorf("%w%s", err, note())
	}
	if ev.Type != m.typ.String() {
		return fmt.Errorf("came back as %s", ev.Type)
	}
	got := []byte(ev.Data)
	if m.typ == wsconn.DataBinary {
		if got, err = base64.StdEncoding.DecodeString(ev.Data); err != nil {
			return err
		}
	}
	if d := diff(m.data, got); d != "" {
		return errors.New(d)
	}
	return nil
}

// burstCount is the number of messages of the burst check.
const burstCount = 1000

// checkBurst sends burstCount small messages at once from the client side
// and checks that their echoes come back complete and in order.
func (p *pairing) checkBurst(ctx context.Context, ag *agent, ep *endpoint) outcome {
	start := time.Now()
	want := func(i int) string { return fmt.Sprintf("burst-%d", i) }
	if p.role == wsconnClient {
		for i := 0; i < burstCount; i++ {
			if err := ep.c.SendText(want(i)); err != nil {
				return fail("sending message %d: %v", i, err)
			}
		}
		for i := 0; i < burstCount; i++ {
			ev, err := ep.wait(ctx, "message")
			if err != nil {
				return fail("message %d: %v", i, err)
			}
			if ev.typ != wsconn.DataText || string(ev.data) != want(i) {
				return fail("message %d: got %s %q, want text %q", i, ev.typ, ev.data, want(i))
			}
		}
	} else if o := agentBurst(ctx, ag, ep.id); o.status != statusPass {
		return o
	}
	return pass("%d messages in order in %d ms", burstCount, time.Since(start).Milliseconds())
}

// agentBurst has the agent send burstCount messages at once on its client
// connection id and checks that the server's echoes come back complete
// and in order.
func agentBurst(ctx context.Context, ag *agent, id string) outcome {
	start := time.Now()
	want := func(i int) string { return fmt.Sprintf("burst-%d", i) }
	if err := ag.send(command{Op: "burst", ID: id, Prefix: "burst-", Count: burstCount}); err != nil {
		return fail("%v", err)
	}
	for i := 0; i < burstCount; i++ {
		ev, err := ag.wait(ctx, id, []string{"message"}, "closed", "error")
		if err != nil {
			return fail("message %d: %v", i, err)
		}
		if ev.Type != "text" || ev.Data != want(i) {
			return fail("message %d: got %s %q, want text %q", i, ev.Type, ev.Data, want(i))
		}
	}
	return pass("%d messages in order in %d ms", burstCount, time.Since(start).Milliseconds())
}

// checkPeerPing has the peer ping and checks that wsconn saw the ping and
// the peer got a pong with its payload.
func (p *pairing) checkPeerPing(ctx context.Context, ag *agent, ep *endpoint) outcome {
	payload := "interop ping from " + p.spec.key
	if err := ag.send(command{Op: "ping", ID: ep.id, Data: payload}); err != nil {
		return fail("%v", err)
	}
	pong, err := ag.wait(ctx, ep.id, []string{"pong"}, "closed")
	if err != nil {
		return fail("%v", err)
	}
	seen, err := ep.wait(ctx, "ping")
	if err != nil {
		return fail("the peer got a pong, but %v", err)
	}
	if p.spec.keepalivePings {
		// The peer chose the payload: the pong must carry what wsconn saw.
		if pong.Data != string(seen.data) {
			return fail("wsconn saw a ping with %q, the peer got a pong with %q", seen.data, pong.Data)
		}
		return pass("keepalive ping with %q answered", pong.Data)
	}
	if string(seen.data) != payload || pong.Data != payload {
		return fail("pinged with %q: wsconn saw %q, the peer got a pong with %q", payload, seen.data, pong.Data)
	}
	return pass("%q answered", payload)
}

// checkWsconnPing has wsconn ping and checks the peer's pong.
func (p *pairing) checkWsconnPing(ctx context.Context, ag *agent, ep *endpoint) outcome {
	payload := []byte("interop ping from wsconn")
	if err := ep.c.Ping(payload); err != nil {
		return fail("Ping: %v", err)
	}
	ev, err := ep.wait(ctx, "pong")
	if err != nil {
		return fail("%v", err)
	}
	if string(ev.data) != string(payload) {
		return fail("pinged with %q, the pong carried %q", payload, ev.data)
	}
	note := ""
	if ag.events.find(func(e event) bool { return e.Event == "ping" && e.ID == ep.id && e.Data == string(payload) }) {
		note = "; the peer reported the ping"
	}
	return pass("%q answered%s", payload, note)
}

// describeClean tells what a peer said about the closing handshake.
func describeClean(clean *bool) string {
	if clean == nil {
		return "the peer does not tell"
	}
	return fmt.Sprint(*clean)
}

// checkCloseByWsconn has wsconn close with 4000 and a reason, and checks
// what the peer saw and that the close was clean.
func (p *pairing) checkCloseByWsconn(ctx context.Context, ag *agent, ep *endpoint) outcome {
	const reason = "bye from wsconn ✓"
	if err := ep.c.Close(4000, reason); err != nil {
		return fail("Close: %v", err)
	}
	ev, err := ag.wait(ctx, ep.id, []string{"closed"})
	if err != nil {
		return fail("%v", err)
	}
	if err := ep.waitClosed(ctx); err != nil {
		return fail("the peer saw %s, but %v", ev, err)
	}
	st := ep.c.CloseStatus()
	var bad []string
	if ev.Code != 4000 || ev.Reason != reason {
		bad = append(bad, fmt.Sprintf("the peer saw %d %q, want 4000 %q", ev.Code, ev.Reason, reason))
	}
	if ev.Clean != nil && !*ev.Clean {
		bad = append(bad, "the peer saw an unclean close")
	}
	if st.SentCode != 4000 || st.SentReason != reason || st.Remote || !st.Clean {
		bad = append(bad, fmt.Sprintf("wsconn's close status is %+v%s", st, ep.errorsNote()))
	}
	if len(bad) > 0 {
		return fail("%s", strings.Join(bad, "; "))
	}
	return pass("the peer saw 4000 %q and answered %d; clean (wsconn: true, peer: %s)", ev.Reason, st.Code, describeClean(ev.Clean))
}

// checkCloseByPeer has the peer close with 4000 and a reason, and checks
// what wsconn saw and that the close was clean.
func (p *pairing) checkCloseByPeer(ctx context.Context, ag *agent, ep *endpoint) outcome {
	reason := "bye from " + p.spec.key + " ✓"
	if err := ag.send(command{Op: "close", ID: ep.id, Code: 4000, Reason: reason}); err != nil {
		return fail("%v", err)
	}
	if err := ep.waitClosed(ctx); err != nil {
		return fail("%v", err)
	}
	ev, err := ag.wait(ctx, ep.id, []string{"closed"})
	if err != nil {
		return fail("%v", err)
	}
	st := ep.c.CloseStatus()
	var bad []string
	if st.Code != 4000 || st.Reason != reason || !st.Remote || !st.Clean {
		bad = append(bad, fmt.Sprintf("wsconn's close status is %+v, want code 4000 %q, remote, clean%s", st, reason, ep.errorsNote()))
	}
	if ev.Clean != nil && !*ev.Clean {
		bad = append(bad, fmt.Sprintf("the peer saw an unclean close: %s", ev))
	}
	if len(bad) > 0 {
		return fail("%s", strings.Join(bad, "; "))
	}
	return pass("wsconn saw 4000 %q and answered %d; clean (wsconn: true, peer: %s)", st.Reason, st.SentCode, describeClean(ev.Clean))
}

// wireSize is the size of the wire check's message.
const wireSize = 256 << 10

// checkWire sends a compressible text through a counting relay and checks
// that it crossed compressed both ways exactly when permessage-deflate was
// agreed.
func (p *pairing) checkWire(ctx context.Context, ag *agent) outcome {
	relay, err := newTap(p.target(ag))
	if err != nil {
		return fail("%v", err)
	}
	defer relay.close()
	ep, _, err := p.open(ctx, ag, "w", nil, relay, nil)
	if err != nil {
		return fail("%v", err)
	}
	defer ep.c.Abort()
	tc := relay.conn(ep.addr)
	if tc == nil {
		return fail("the relay does not know wsconn's connection %s", ep.addr)
	}
	text := compressibleText(wireSize)
	up, down := tc.up.Load(), tc.down.Load()
	if err := p.echo(ctx, ag, ep, message{wsconn.DataText, []byte(text), size(wireSize)}); err != nil {
		return fail("echo: %v", err)
	}
	up, down = tc.up.Load()-up, tc.down.Load()-down
	toWsconn, fromWsconn := up, down // the peer is the relay's client
	if p.role == wsconnClient {
		toWsconn, fromWsconn = down, up
	}
	seen := fmt.Sprintf("%s text: peer to wsconn %s, wsconn to peer %s on the wire", size(wireSize), size(toWsconn), size(fromWsconn))
	if p.deflate {
		if toWsconn >= wireSize/2 || fromWsconn >= wireSize/2 {
			return fail("permessage-deflate was agreed, yet %s", seen)
		}
	} else if toWsconn < wireSize || fromWsconn < wireSize {
		return fail("no compression was agreed, yet %s", seen)
	}
	return pass("%s", seen)
}

// checkWsconnKeepalive stops every process of a fresh peer and checks that
// wsconn's keepalive ends the connection within interval + pong timeout.
func (p *pairing) checkWsconnKeepalive(ctx context.Context) outcome {
	ag, err := p.agent(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer ag.kill()
	ep, _, err := p.open(ctx, ag, "k", nil, nil, nil)
	if err != nil {
		return fail("%v", err)
	}
	ep.c.SetKeepalivePongTimeout(keepalivePongTimeout)
	ep.c.SetKeepaliveInterval(keepaliveInterval)
	if _, err := ep.wait(ctx, "pong"); err != nil {
		return fail("no pong to wsconn's keepalive ping while the peer ran: %v", err)
	}
	ag.freeze()
	frozen := time.Now()
	bound := keepaliveInterval + keepalivePongTimeout
	wctx, cancel := context.WithTimeout(ctx, bound+slack+10*time.Second)
	defer cancel()
	if err := ep.waitClosed(wctx); err != nil {
		return fail("the peer was stopped, %v", err)
	}
	took := ep.closeAt.Sub(frozen)
	st := ep.c.CloseStatus()
	errs := ep.errors()
	timedOut := slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, wsconn.ErrPongTimeout) })
	switch {
	case !timedOut:
		return fail("closed %.2f s after the peer stopped, without ErrPongTimeout: errors %v, status %+v", took.Seconds(), errs, st)
	case st.Code != wsconn.CloseAbnormal:
		return fail("close code %d, want %d", st.Code, wsconn.CloseAbnormal)
	case took > bound+slack:
		return fail("the keepalive ended the connection %.2f s after the peer stopped, over interval %v + pong timeout %v (+%v slack)",
			took.Seconds(), keepaliveInterval, keepalivePongTimeout, slack)
	}
	return pass("ended %.2f s after the peer stopped (interval %v, pong timeout %v)", took.Seconds(), keepaliveInterval, keepalivePongTimeout)
}

// checkPeerKeepalive turns the peer's own keepalive on, lets a relay
// between the two stop forwarding, and checks that the peer ends the
// connection within its bound. wsconn's keepalive pings (without pong
// timeout) run on the same connection, so both keepalives answer each
// other before the relay stops.
func (p *pairing) checkPeerKeepalive(ctx context.Context) outcome {
	ka := p.spec.keepalive
	if ka == nil {
		return fail("the peer has no keepalive settings")
	}
	var extra []string
	if p.role == wsconnClient {
		if !ka.serverFlags {
			return fail("the peer's server has no keepalive settings")
		}
		extra = []string{"--ping-interval", fmt.Sprint(ka.interval.Seconds()), "--ping-timeout", fmt.Sprint(ka.timeout.Seconds())}
	}
	ag, err := p.agent(ctx, extra...)
	if err != nil {
		return fail("%v", err)
	}
	defer ag.kill()
	relay, err := newTap(p.target(ag))
	if err != nil {
		return fail("%v", err)
	}
	defer relay.close()
	var clientKA *peerKeepalive
	if p.role == wsconnServer {
		clientKA = ka
	}
	ep, _, err := p.open(ctx, ag, "kp", nil, relay, clientKA)
	if err != nil {
		return fail("%v", err)
	}
	defer ep.c.Abort()
	ep.c.SetKeepaliveInterval(keepaliveInterval)
	// A second keepalive ping shows that the first one was answered in
	// time: the peer would have ended the connection otherwise.
	for i := 0; i < 2; i++ {
		if _, err := ep.wait(ctx, "ping"); err != nil {
			return fail("wsconn saw %d keepalive pings from the peer, want 2: %v", i, err)
		}
	}
	if ka.reportsPongs {
		if _, err := ag.wait(ctx, "kp", []string{"pong"}, "closed"); err != nil {
			return fail("the peer reported no pong to its keepalive: %v", err)
		}
	}
	for {
		if _, err := ep.events.take(expired, func(e wsEvent) bool { return e.kind == "pong" }); err != nil {
			break // older pongs are gone
		}
	}
	if _, err := ep.wait(ctx, "pong"); err != nil {
		return fail("no pong to wsconn's keepalive ping: %v", err)
	}
	relay.freeze()
	frozen := time.Now()
	wctx, cancel := context.WithTimeout(ctx, ka.bound()+slack+10*time.Second)
	defer cancel()
	ev, err := ag.wait(wctx, "kp", []string{"error", "closed"})
	if err != nil {
		return fail("the relay stopped, but %v", err)
	}
	took := ev.at.Sub(frozen)
	msg := strings.ToLower(ev.Message)
	switch {
	case ev.Event != "error" || !strings.Contains(msg, "timed out") && !strings.Contains(msg, "timeout"):
		return fail("the peer reported %s %.2f s after the relay stopped, not a keepalive timeout", ev, took.Seconds())
	case took > ka.bound()+slack:
		return fail("the peer's keepalive noticed %.2f s after the relay stopped, over its bound %v (+%v slack)", took.Seconds(), ka.bound(), slack)
	}
	return pass("%q %.2f s after the relay stopped (ping interval %v, timeout %v)", ev.Message, took.Seconds(), ka.interval, ka.timeout)
}

//go:build linux

package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Where the peers are, as shared/peers.md says.
const (
	chromiumPath = "/usr/bin/chromium"
	pythonPath   = "/usr/bin/python3" // Debian's, which sees Debian's packages
)

// A role is the part wsconn plays in a pairing; the peer plays the other.
type role int

const (
	wsconnServer role = iota // wsconn accepts, the peer dials
	wsconnClient             // wsconn dials, the peer accepts
)

func (r role) String() string {
	if r == wsconnServer {
		return "server"
	}
	return "client"
}

// agentMode returns the mode of the peer's agent: the other role.
func (r role) agentMode() string {
	if r == wsconnServer {
		return "client"
	}
	return "server"
}

// A peerKeepalive says how a peer's own keepalive is turned on, and how
// fast it must notice that wsconn vanished.
type peerKeepalive struct {
	interval, timeout time.Duration
	// serverFlags: the agent in server mode takes the settings as flags
	// (--ping-interval, --ping-timeout); in client mode they go with the
	// connect command.
	serverFlags bool
	// reportsPongs: the peer reports the pongs its keepalive gets.
	reportsPongs bool
}

// bound returns how long after wsconn vanished the peer must have noticed,
// scheduling slack excluded: a ping at most an interval later, then its
// timeout, which websocket-client checks only every timeout.
func (k *peerKeepalive) bound() time.Duration {
	return k.interval + 2*k.timeout
}

// A peerSpec describes a peer: how to run its agent and what it can do.
type peerSpec struct {
	key     string // the subtest's name
	name    string // the table's name
	roles   []role // the roles wsconn plays against it
	deflate []bool // the compression settings it is paired with
	install string // the command that installs it

	runtime string // "node" or "python"
	script  string // the agent, relative to interop/
	module  string // for node agents: the npm package the agent needs
	browser bool   // the Chromium agent: a profile directory, no mode

	// na holds, by check, why the peer cannot do the check.
	na map[string]string
	// keepalive turns the peer's own keepalive on (nil: it has none).
	keepalive *peerKeepalive
	// keepalivePings: the peer pings only through its keepalive, with a
	// payload of its own, so the peer ping check compares the pong with
	// what wsconn saw.
	keepalivePings bool

	// echoserver, when set, sends the peer's connections to
	// examples/echoserver instead of the suite's own server (see
	// runEchoserver).
	echoserver *echoserverSetup
	// note says, in the report, how the peer's rows differ from others.
	note string
}

// chromiumInstall is the command that installs the Chromium peer.
const chromiumInstall = "apt-get install -y --no-install-recommends chromium && (cd interop && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)"

// peers are the implementations wsconn is paired with.
var peers = []*peerSpec{
	{
		key:     "chromium",
		name:    "Chromium",
		roles:   []role{wsconnServer},
		deflate: []bool{false, true},
		install: chromiumInstall,
		runtime: "node",
		script:  "peers/chromium.js",
		module:  "playwright-core",
		browser: true,
		na: map[string]string{
			chkPeerPing:  "the browser's WebSocket API cannot send a ping",
			chkPeerAlive: "the browser's WebSocket API has no keepalive",
		},
	},
	{
		key:     "chromium-echoserver-h2",
		name:    "Chromium, echoserver HTTP/2",
		roles:   []role{wsconnServer},
		deflate: []bool{false, true},
		install: chromiumInstall,
		runtime: "node",
		script:  "peers/chromium.js",
		module:  "playwright-core",
		browser: true,
		na:      echoserverNA,
		echoserver: &echoserverSetup{
			args:  []string{"-tls"},
			proto: "HTTP/2.0",
		},
		note: echoserverNote("-tls", "HTTP/2.0"),
	},
	{
		key:     "chromium-echoserver-h1",
		name:    "Chromium, echoserver HTTP/1.1 TLS",
		roles:   []role{wsconnServer},
		deflate: []bool{true},
		install: chromiumInstall,
		runtime: "node",
		script:  "peers/chromium.js",
		module:  "playwright-core",
		browser: true,
		na:      echoserverNA,
		echoserver: &echoserverSetup{
			args:  []string{"-tls", "-http2=false"},
			proto: "HTTP/1.1",
		},
		note: echoserverNote("-tls -http2=false", "HTTP/1.1"),
	},
	{
		key:     "ws",
		name:    "Node ws",
		roles:   []role{wsconnServer, wsconnClient},
		deflate: []bool{false, true},
		install: "cd interop && npm ci",
		runtime: "node",
		script:  "peers/ws.js",
		module:  "ws",
		na: map[string]string{
			chkPeerAlive: "ws has no keepalive of its own (it leaves heartbeats to the application)",
		},
	},
	{
		key:     "websocket-client",
		name:    "websocket-client",
		roles:   []role{wsconnServer}, // it has no server
		deflate: []bool{false},        // it has no permessage-deflate
		install: "apt-get install -y python3-websocket",
		runtime: "python",
		script:  "peers/websocket_client.py",
		keepalive: &peerKeepalive{
			interval:     time.Second,
			timeout:      500 * time.Millisecond,
			reportsPongs: true,
		},
	},
	{
		key:     "libsoup",
		name:    "libsoup",
		roles:   []role{wsconnServer, wsconnClient},
		deflate: []bool{false, true},
		install: "apt-get install -y python3-gi gir1.2-soup-3.0",
		runtime: "python",
		script:  "peers/libsoup_peer.py",
		na: map[string]string{
			chkPeerAlive: "libsoup 3.2 has keepalive-interval but no pong timeout (keepalive-pong-timeout came in 3.6)",
		},
		keepalivePings: true,
	},
	{
		key:     "websockets",
		name:    "websockets",
		roles:   []role{wsconnServer, wsconnClient},
		deflate: []bool{false, true},
		install: "apt-get install -y python3-websockets",
		runtime: "python",
		script:  "peers/websockets_peer.py",
		keepalive: &peerKeepalive{
			interval:    500 * time.Millisecond,
			timeout:     500 * time.Millisecond,
			serverFlags: true,
		},
	},
}

// probe checks that the peer is installed and returns its version and the
// start of its agent's command line.
func (p *peerSpec) probe(dir string) (version string, prefix []string, err error) {
	switch p.runtime {
	case "node":
		node, err := exec.LookPath("node")
		if err != nil {
			return "", nil, errors.New("node (Node.js 20 or later) is not on PATH")
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p.module, "package.json")); err != nil {
			return "", nil, fmt.Errorf("the npm package %s is not in interop/node_modules", p.module)
		}
		prefix = []string{node, p.script}
	case "python":
		if _, err := os.Stat(pythonPath); err != nil {
			return "", nil, fmt.Errorf("%s not found", pythonPath)
		}
		prefix = []string{pythonPath, p.script}
	}
	if p.browser {
		if _, err := os.Stat(chromiumPath); err != nil {
			return "", nil, fmt.Errorf("%s not found", chromiumPath)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prefix[0], append(prefix[1:], "--version")...)
	cmd.Dir = dir
	cmd.Env = agentEnv()
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			lines := strings.Split(strings.TrimSpace(string(ee.Stderr)), "\n")
			err = errors.New(lines[len(lines)-1])
		}
		return "", nil, fmt.Errorf("%s --version: %v", p.script, err)
	}
	return strings.TrimSpace(string(out)), prefix, nil
}

// argv returns the agent's command line.
func (p *peerSpec) argv(prefix []string, mode string, deflate bool, profile string, extra ...string) []string {
	argv := append([]string(nil), prefix...)
	if p.browser {
		argv = append(argv, "--user-data-dir", profile)
	} else {
		argv = append(argv, mode)
		if deflate {
			argv = append(argv, "--deflate")
		}
	}
	return append(argv, extra...)
}

// echoserverNote is the report's note on the rows of Chromium with
// examples/echoserver FLAGS.
func echoserverNote(flags, proto string) string {
	return fmt.Sprintf("Chromium loads the page of examples/echoserver %s -v (self-signed certificate; "+
		"--ignore-certificate-errors) and opens its WebSockets to the same origin; the echoserver must report every one, "+
		"the page's own included, as \"accepted %s /PATH\". Subprotocol: the echoserver selects the first one offered "+
		"(wsconn.unknown). wsconn closes: the echoserver closes with %d after the first echo (?close=%d). Peer closes: "+
		"the browser sees the echoserver's answer, 4000, and a clean close", flags, proto, echoserverCloseCode, echoserverCloseCode)
}

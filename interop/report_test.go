//go:build linux

package interop

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// The checks of every pairing, in the order they run and appear in the
// table.
const (
	chkOpen          = "open"
	chkSubprotocol   = "subprotocol"
	chkExtensions    = "extensions"
	chkText          = "text"
	chkUTF8          = "utf-8"
	chkBinary        = "binary"
	chkBurst         = "burst"
	chkWire          = "wire"
	chkPeerPing      = "peer ping"
	chkWsconnPing    = "wsconn ping"
	chkCloseByWsconn = "wsconn closes"
	chkCloseByPeer   = "peer closes"
	chkWsconnAlive   = "wsconn keepalive"
	chkPeerAlive     = "peer keepalive"
)

// A checkInfo names a check and says what it shows.
type checkInfo struct {
	key  string
	what string
}

var checks = []checkInfo{
	{chkOpen, "opening handshake without a subprotocol; neither side reports one"},
	{chkSubprotocol, "the client offers wsconn.unknown, wsconn.interop.v2, wsconn.interop.v1; both sides report wsconn.interop.v2"},
	{chkExtensions, "the extensions each side reports agree: permessage-deflate with the same parameters when compression is on, none when off"},
	{chkText, "text echoes of 0, 1, 125, 126, 65535, 65536 bytes and 1 MiB"},
	{chkUTF8, "echoes of multi-byte UTF-8 text (2-, 3- and 4-byte characters) of 4 bytes to 1 MiB"},
	{chkBinary, "binary echoes of the same sizes as text"},
	{chkBurst, "1,000 messages sent in a burst come back in order"},
	{chkWire, "a 256 KiB text crosses a counting relay compressed both ways when permessage-deflate was agreed, uncompressed when not"},
	{chkPeerPing, "the peer pings, wsconn answers with a pong with the same payload"},
	{chkWsconnPing, "wsconn pings (Ping), the peer answers with a pong with the same payload"},
	{chkCloseByWsconn, "wsconn closes with 4000 and a UTF-8 reason; the peer sees that code and reason; the close is clean"},
	{chkCloseByPeer, "the peer closes with 4000 and a UTF-8 reason; wsconn sees that code and reason; the close is clean"},
	{chkWsconnAlive, "the peer's processes are stopped (SIGSTOP); wsconn's keepalive ends the connection within interval + pong timeout"},
	{chkPeerAlive, "a relay stops forwarding; the peer's own keepalive (ping interval and timeout) ends the connection"},
}

// A status is the result of one check.
type status int

const (
	statusPass status = iota
	statusFail
	statusNA
)

func (s status) String() string {
	switch s {
	case statusPass:
		return "pass"
	case statusFail:
		return "FAIL"
	}
	return "n/a"
}

// An outcome is a status with what was seen.
type outcome struct {
	status status
	detail string
}

func pass(format string, args ...any) outcome {
	return outcome{statusPass, fmt.Sprintf(format, args...)}
}

func fail(format string, args ...any) outcome {
	return outcome{statusFail, fmt.Sprintf(format, args...)}
}

func notApplicable(reason string) outcome { return outcome{statusNA, reason} }

// A row holds the outcomes of one pairing: a peer, the role wsconn plays,
// and whether compression is on.
type row struct {
	peer    *peerSpec
	role    role
	deflate bool
	offered string // the client's Sec-WebSocket-Extensions offer
	agreed  string // the extensions the peer reported as agreed

	mu    sync.Mutex
	cells map[string]outcome
}

func (r *row) set(check string, o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cells[check] = o
}

func (r *row) get(check string) (outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.cells[check]
	return o, ok
}

func (r *row) label() string {
	return fmt.Sprintf("%s, wsconn %s, deflate %s", r.peer.name, r.role, onOff(r.deflate))
}

// A report collects the rows of a run and prints them as a table.
type report struct {
	start    time.Time
	mu       sync.Mutex
	rows     []*row
	versions map[string]string // peer name -> version
	notRun   []string          // peers that were not installed, and why
	required bool              // a peer that was not installed is a failure
}

func newReport() *report {
	return &report{start: time.Now(), versions: make(map[string]string)}
}

func (rep *report) newRow(p *peerSpec, r role, deflate bool) *row {
	rw := &row{peer: p, role: r, deflate: deflate, cells: make(map[string]outcome)}
	rep.mu.Lock()
	rep.rows = append(rep.rows, rw)
	rep.mu.Unlock()
	return rw
}

func (rep *report) setVersion(p *peerSpec, v string) {
	rep.mu.Lock()
	rep.versions[p.name] = v
	rep.mu.Unlock()
}

func (rep *report) missing(note string) {
	rep.mu.Lock()
	rep.notRun = append(rep.notRun, note)
	rep.mu.Unlock()
}

// counts returns the number of cells of each status. A check that has no
// outcome (its pairing broke off) counts as failed, and so does a peer
// that is required and was not installed.
func (rep *report) counts() (passed, failed, na int) {
	if rep.required {
		failed += len(rep.notRun)
	}
	for _, rw := range rep.rows {
		for _, c := range checks {
			o, ok := rw.get(c.key)
			switch {
			case !ok || o.status == statusFail:
				failed++
			case o.status == statusPass:
				passed++
			default:
				na++
			}
		}
	}
	return
}

// cell returns the table cell of a check of rw.
func cell(rw *row, check string) string {
	o, ok := rw.get(check)
	if !ok {
		return "FAIL"
	}
	return o.status.String()
}

// text returns the report as a plain text table with notes, ending with
// the summary line "N passed, M failed".
func (rep *report) text() string {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "wsconn interoperability suite (interop/), %s, %.0f s\n\n", rep.start.UTC().Format("2006-01-02 15:04 MST"), time.Since(rep.start).Seconds())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "peer\twsconn\tdeflate")
	for _, c := range checks {
		fmt.Fprintf(tw, "\t%s", c.key)
	}
	fmt.Fprintln(tw)
	for _, rw := range rep.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s", rw.peer.name, rw.role, onOff(rw.deflate))
		for _, c := range checks {
			fmt.Fprintf(tw, "\t%s", cell(rw, c.key))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	b.WriteString("\n")
	b.WriteString(rep.notes("", "  "))
	passed, failed, na := rep.counts()
	fmt.Fprintf(&b, "\n%d checks not applicable (n/a)\n", na)
	fmt.Fprintf(&b, "%d passed, %d failed\n", passed, failed)
	return b.String()
}

// markdown returns the report as a Markdown table with notes, as the
// README shows it.
func (rep *report) markdown() string {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	var b strings.Builder
	b.WriteString("| peer | wsconn | deflate |")
	for _, c := range checks {
		fmt.Fprintf(&b, " %s |", c.key)
	}
	b.WriteString("\n|---|---|---|")
	for range checks {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, rw := range rep.rows {
		fmt.Fprintf(&b, "| %s | %s | %s |", rw.peer.name, rw.role, onOff(rw.deflate))
		for _, c := range checks {
			fmt.Fprintf(&b, " %s |", cell(rw, c.key))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(rep.notes("- ", "  - "))
	passed, failed, na := rep.counts()
	fmt.Fprintf(&b, "\n%d passed, %d failed (%d n/a), in %.0f s.\n", passed, failed, na, time.Since(rep.start).Seconds())
	return b.String()
}

// notes returns the peers' versions, the agreed extensions, the reasons
// for n/a and the failures, as lists with the given item prefixes. rep.mu
// is held.
func (rep *report) notes(item, sub string) string {
	var b strings.Builder
	var names []string
	for name := range rep.versions {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "%speers:\n", item)
	for _, name := range names {
		fmt.Fprintf(&b, "%s%s: %s\n", sub, name, rep.versions[name])
	}
	for _, note := range rep.notRun {
		fmt.Fprintf(&b, "%snot run: %s\n", sub, note)
	}
	noted := make(map[*peerSpec]bool)
	for _, rw := range rep.rows {
		if rw.peer.note != "" && !noted[rw.peer] {
			noted[rw.peer] = true
			fmt.Fprintf(&b, "%s%s: %s\n", sub, rw.peer.name, rw.peer.note)
		}
	}

	fmt.Fprintf(&b, "%spermessage-deflate negotiation (the client's offer -> the agreement, as the peer reports it):\n", item)
	for _, rw := range rep.rows {
		if rw.offered == "" && rw.agreed == "" {
			continue
		}
		agreed := rw.agreed
		if agreed == "" {
			agreed = "none"
		}
		fmt.Fprintf(&b, "%s%s, wsconn %s, deflate %s: %s -> %s\n", sub, rw.peer.name, rw.role, onOff(rw.deflate), rw.offered, agreed)
	}

	seen := make(map[string]bool)
	var na []string
	var failures []string
	for _, rw := range rep.rows {
		for _, c := range checks {
			o, ok := rw.get(c.key)
			switch {
			case !ok:
				failures = append(failures, fmt.Sprintf("%s%s: %s: not run (the pairing broke off)", sub, rw.label(), c.key))
			case o.status == statusFail:
				failures = append(failures, fmt.Sprintf("%s%s: %s: %s", sub, rw.label(), c.key, o.detail))
			case o.status == statusNA:
				line := fmt.Sprintf("%s%s: %s: %s", sub, rw.peer.name, c.key, o.detail)
				if !seen[line] {
					seen[line] = true
					na = append(na, line)
				}
			}
		}
	}
	if len(na) > 0 {
		fmt.Fprintf(&b, "%sn/a:\n%s\n", item, strings.Join(na, "\n"))
	}
	if len(failures) > 0 {
		fmt.Fprintf(&b, "%sfailures:\n%s\n", item, strings.Join(failures, "\n"))
	}
	fmt.Fprintf(&b, "%schecks:\n", item)
	for _, c := range checks {
		fmt.Fprintf(&b, "%s%s: %s\n", sub, c.key, c.what)
	}
	return b.String()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

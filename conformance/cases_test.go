package conformance

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn/internal/frame"
)

func TestCasesWellFormed(t *testing.T) {
	cs := Cases()
	if len(cs) < 300 {
		t.Errorf("%d cases, want a few hundred", len(cs))
	}
	perCategory := map[string]int{}
	for i, c := range cs {
		if i > 0 && compareIDs(cs[i-1].ID, c.ID) >= 0 {
			t.Errorf("case %s after %s", c.ID, cs[i-1].ID)
		}
		if c.Description == "" || c.Build == nil {
			t.Errorf("case %s has no description or no plan", c.ID)
		}
		if _, ok := categoryNames[category(c.ID)]; !ok {
			t.Errorf("case %s is in no known category", c.ID)
		}
		perCategory[category(c.ID)]++
		if c.Heavy {
			continue // large payloads: built in TestConformance
		}
		for _, role := range []Role{ServerRole, ClientRole} {
			p := c.Build(Env{Role: role, Limit: 1000})
			if len(p.Steps) == 0 {
				t.Errorf("case %s sends nothing", c.ID)
			}
			for _, st := range p.Steps {
				if m, ok := st.(Message); ok && (m.Compress || m.Deflated) && c.Deflate == nil {
					t.Errorf("case %s compresses without permessage-deflate", c.ID)
				}
				if _, ok := st.(Header); ok && len(p.Expect.Fail) == 0 {
					t.Errorf("case %s sends a bare header but expects no failure", c.ID)
				}
			}
		}
	}
	for cat := range categoryNames {
		if perCategory[cat] == 0 {
			t.Errorf("category %s has no case", cat)
		}
	}
	t.Logf("cases per category: %v", perCategory)
}

// Every range of close codes of the IANA registry has a case, which
// expects an echo for the codes that may be sent and 1002 for the others.
func TestCloseCodeRanges(t *testing.T) {
	ranges := []struct {
		lo, hi int
		valid  bool
	}{
		{0, 999, false}, {1000, 1003, true}, {1004, 1006, false}, {1007, 1014, true},
		{1015, 1015, false}, {1016, 2999, false}, {3000, 3999, true}, {4000, 4999, true}, {5000, 65535, false},
	}
	covered := make([]bool, len(ranges))
	for _, c := range Cases() {
		if !strings.HasPrefix(c.ID, "7.") {
			continue
		}
		p := c.Build(Env{Role: ServerRole})
		s, ok := p.Steps[0].(Send)
		if !ok || len(s.Frames) != 1 || s.Frames[0].Opcode != OpClose || len(s.Frames[0].Payload) < 2 {
			continue
		}
		code := int(binary.BigEndian.Uint16(s.Frames[0].Payload))
		for i, r := range ranges {
			if code < r.lo || code > r.hi {
				continue
			}
			covered[i] = true
			if fails := len(p.Expect.Fail) > 0; fails == r.valid && validUTF8(s.Frames[0].Payload[2:]) && len(s.Frames[0].Payload) <= 125 {
				t.Errorf("case %s: code %d expects failure %v", c.ID, code, fails)
			}
		}
	}
	for i, r := range ranges {
		if !covered[i] {
			t.Errorf("no case for close codes %d to %d", r.lo, r.hi)
		}
	}
}

func TestInvalidAt(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1}, {"hello", -1}, {"κόσμε", -1}, {"κό\xcf", -1}, {"\xf4\x8f\xbf", -1},
		{"\x80", 0}, {"a\xc0\xaf", 1}, {"\xe0\x80\xaf", 1}, {"\xed\xa0\x80", 1}, {"\xf4\x90\x80\x80", 1},
		{"\xf0\x8f\xbf\xbf", 1}, {"\xc2 ", 1}, {"\xe1\x80 ", 2}, {"ok\xff", 2}, {"\xf8\x88\x80\x80\x80", 0},
	}
	for _, tt := range tests {
		if got := invalidAt([]byte(tt.in)); got != tt.want {
			t.Errorf("invalidAt(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCompareIDs(t *testing.T) {
	ordered := []string{"1.1.1", "1.1.2", "1.1.10", "1.2", "2.9", "2.10", "9.9.10", "10.1.1", "12.1.1", "13.4.49"}
	for i := 1; i < len(ordered); i++ {
		if compareIDs(ordered[i-1], ordered[i]) >= 0 || compareIDs(ordered[i], ordered[i-1]) <= 0 {
			t.Errorf("%s and %s are not in order", ordered[i-1], ordered[i])
		}
	}
	if compareIDs("5.3", "5.3") != 0 {
		t.Error("an ID is not equal to itself")
	}
}

func TestAcceptAnswer(t *testing.T) {
	d := Deflate{ClientMaxWindowBits: 10, ServerMaxWindowBits: 12, ServerNoContextTakeover: true}
	tests := []struct {
		answer string
		want   agreement
		err    string
	}{
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=12", agreement{ourBits: 10, peerBits: 12, ourTakeover: true}, ""},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9; client_no_context_takeover",
			agreement{ourBits: 9, peerBits: 9}, ""},
		{"permessage-deflate; server_max_window_bits=12", agreement{}, "server_no_context_takeover"},
		{"permessage-deflate; server_no_context_takeover", agreement{}, "lacks server_max_window_bits"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=13", agreement{}, "exceeds"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11", agreement{}, "exceeds"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits", agreement{}, "not from 8 to 15"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=012", agreement{}, "not from 8 to 15"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=12; foo", agreement{}, "unknown"},
		{"permessage-deflate; server_no_context_takeover=1; server_max_window_bits=12", agreement{}, "has a value"},
		{"x-other", agreement{}, "not offered"},
		{"", agreement{}, "did not negotiate"},
	}
	for _, tt := range tests {
		var values []string
		if tt.answer != "" {
			values = []string{tt.answer}
		}
		exts, err := parseExtensions(values)
		if err != nil {
			t.Fatal(err)
		}
		a, err := d.acceptAnswer(exts)
		switch {
		case tt.err == "" && (err != nil || a != tt.want):
			t.Errorf("%q: %+v, %v; want %+v", tt.answer, a, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want one about %q", tt.answer, err, tt.err)
		}
	}
}

func TestAnswerOffers(t *testing.T) {
	tests := []struct {
		d      Deflate
		offers string
		answer string
		want   agreement
		err    string
	}{
		{Deflate{}, "permessage-deflate; client_max_window_bits", "permessage-deflate",
			agreement{ourBits: 15, peerBits: 15, ourTakeover: true, peerTakeover: true}, ""},
		{Deflate{ClientMaxWindowBits: 10, ServerMaxWindowBits: 12, ClientNoContextTakeover: true},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10",
			agreement{ourBits: 12, peerBits: 10, ourTakeover: true}, ""},
		{Deflate{ServerMaxWindowBits: 12}, "permessage-deflate; server_max_window_bits=10; server_no_context_takeover",
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
			agreement{ourBits: 10, peerBits: 15, peerTakeover: true}, ""},
		{Deflate{}, "permessage-deflate; bogus, permessage-deflate", "permessage-deflate",
			agreement{ourBits: 15, peerBits: 15, ourTakeover: true, peerTakeover: true}, ""},
		{Deflate{ClientMaxWindowBits: 10}, "permessage-deflate", "", agreement{}, "without client_max_window_bits"},
		{Deflate{}, "x-webkit-deflate-frame", "", agreement{}, "did not negotiate"},
	}
	for _, tt := range tests {
		exts, err := parseExtensions([]string{tt.offers})
		if err != nil {
			t.Fatal(err)
		}
		answer, a, err := tt.d.answerOffers(exts)
		switch {
		case tt.err == "" && (err != nil || answer != tt.answer || a != tt.want):
			t.Errorf("%+v to %q: %q, %+v, %v; want %q, %+v", tt.d, tt.offers, answer, a, err, tt.answer, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%+v to %q: error %v, want one about %q", tt.d, tt.offers, err, tt.err)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rs := []Result{
		{ID: "1.1.1", Role: ServerRole, Grade: OK, Duration: time.Millisecond},
		{ID: "6.4.1", Role: ServerRole, Grade: NonStrict, Description: "late", Detail: "not fail fast"},
		{ID: "1.1.1", Role: ClientRole, Grade: Failed, Description: "broken", Detail: "no echo"},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"NON-STRICT", "1 Framing", "6 UTF-8 Handling", "server 6.4.1 NON-STRICT: late: not fail fast", "client 1.1.1 FAILED: broken: no echo"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "server 1.1.1") {
		t.Errorf("table lists an OK case:\n%s", out)
	}
}

// The fuzzing server answers the case count, refuses unknown paths and
// cases, and ends with /updateReports.
func TestFuzzingServerProtocol(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "ws://" + ln.Addr().String()
	fs := &FuzzingServer{Options: Options{Match: func(id string) bool { return strings.HasPrefix(id, "2.") }}}
	type served struct {
		rs  []Result
		err error
	}
	done := make(chan served, 1)
	go func() {
		rs, err := fs.Serve(context.Background(), ln, Cases())
		done <- served{rs, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connect := func(path string) (net.Conn, []byte, error) {
		u, _ := url.Parse(base + path)
		nc, br, _, err := dial(ctx, u, nil, "dGhlIHNhbXBsZSBub25jZQ==")
		if err != nil {
			return nil, nil, err
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		h, p, err := frame.ReadFrame(br, 1000)
		if err == nil && h.Opcode != frame.OpText {
			p = nil
		}
		return nc, p, err
	}
	nc, p, err := connect("/getCaseCount")
	if err != nil || string(p) != "16" {
		t.Errorf("/getCaseCount: %q, %v; want \"16\"", p, err)
	}
	if nc != nil {
		nc.Close()
	}
	for _, path := range []string{"/runCase?case=17&agent=x", "/runCase?case=0", "/nowhere"} {
		if _, _, err := connect(path); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("%s: %v, want a 404", path, err)
		}
	}
	nc, _, err = connect("/updateReports?agent=x")
	if err != nil {
		t.Errorf("/updateReports: %v", err)
	} else {
		nc.Close()
	}
	select {
	case s := <-done:
		if s.err != nil || len(s.rs) != 0 {
			t.Errorf("Serve = %v, %v; want no results and no error", s.rs, s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after /updateReports")
	}
	if _, _, err := connect("/getCaseCount"); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after Serve: %v, want a refused connection", err)
	}
}

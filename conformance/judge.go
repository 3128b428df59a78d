package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// verdict collects the findings of one case; its grade is the worst.
type verdict struct {
	grade Grade
	notes []string
}

func (v *verdict) add(g Grade, format string, args ...any) {
	v.grade = max(v.grade, g)
	v.notes = append(v.notes, fmt.Sprintf(format, args...))
}

func (v *verdict) detail() string { return strings.Join(v.notes, "; ") }

// judge grades what the peer did against what the case expected.
func (s *session) judge(e *Expect, o *observed) (Grade, string) {
	var v verdict
	if o.violation != "" {
		v.add(Failed, "the %s %s", s.role, o.violation)
		return v.grade, v.detail()
	}
	judgeMessages(&v, e, o.messages)
	judgePongs(&v, e, o.pongs)
	if len(e.Fail) > 0 {
		s.judgeFailure(&v, e, o)
	} else {
		s.judgeClose(&v, e, o)
	}
	if s.peerEndLate {
		if s.http2 {
			v.add(NonStrict, "the server did not end its stream (END_STREAM, the HTTP/2 form of closing the TCP connection) within %v of the closing handshake", s.opts.failWait())
		} else {
			v.add(NonStrict, "the server did not close the TCP connection within %v of the closing handshake", s.opts.failWait())
		}
	}
	s.judgeStreamEnd(&v, o)
	if o.pings > 0 {
		v.notes = append(v.notes, fmt.Sprintf("the %s sent %d pings", s.role, o.pings))
	}
	if e.Informational && v.grade < Failed {
		// Say what happened rather than how it differs.
		v = verdict{grade: Informational}
		v.add(Informational, "%d of %d echoes and %d of %d pongs came back; the connection ended with %s",
			len(o.messages), len(e.Messages), len(o.pongs), len(e.Pongs), describeEnd(o))
	}
	return v.grade, v.detail()
}

func judgeMessages(v *verdict, e *Expect, got []Echo) {
	want := e.Messages
	for i := range min(len(want), len(got)) {
		if !equalEcho(want[i], got[i]) {
			v.add(Failed, "echo %d of %d is %s, want %s", i+1, len(want), describeEcho(got[i]), describeEcho(want[i]))
			return
		}
	}
	switch {
	case len(got) < len(want) && len(e.Fail) > 0:
		// As in the Autobahn|Testsuite: a peer that fails the connection
		// may drop the echoes it has not sent yet.
		v.add(NonStrict, "%d of %d echoes came back before the peer failed the connection (next missing: %s)",
			len(got), len(want), describeEcho(want[len(got)]))
	case len(got) < len(want):
		v.add(Failed, "%d of %d echoes came back (next missing: %s)", len(got), len(want), describeEcho(want[len(got)]))
	case len(got) > len(want):
		v.add(Failed, "%d messages came back, want %d (first extra: %s)", len(got), len(want), describeEcho(got[len(want)]))
	}
}

func judgePongs(v *verdict, e *Expect, got [][]byte) {
	want := e.Pongs
	if slices.EqualFunc(want, got, bytes.Equal) {
		return
	}
	if e.LatestPong && len(got) > 0 && len(want) > 0 && isSubsequence(got, want) && bytes.Equal(got[len(got)-1], want[len(want)-1]) {
		v.add(NonStrict, "%d pongs came back for %d pings, the last one answered", len(got), len(want))
		return
	}
	v.add(Failed, "pongs %s, want %s", describePayloads(got), describePayloads(want))
}

// isSubsequence reports whether sub is a subsequence of all.
func isSubsequence(sub, all [][]byte) bool {
	i := 0
	for _, a := range all {
		if i < len(sub) && bytes.Equal(sub[i], a) {
			i++
		}
	}
	return i == len(sub)
}

// judgeFailure grades a case in which the peer must fail the connection.
func (s *session) judgeFailure(v *verdict, e *Expect, o *observed) {
	switch {
	case o.close != nil && slices.Contains(e.Fail, o.close.code):
	case o.close != nil && slices.Contains(e.NonStrictFail, o.close.code):
		v.add(NonStrict, "failed the connection with %s, want %s", describeCode(o.close.code), describeCodes(e.Fail))
	case o.close != nil:
		v.add(Failed, "answered with %s, want a failure with %s", describeClose(o.close), describeCodes(e.Fail))
	case o.ended:
		v.add(NonStrict, "dropped the connection without a close frame (%v), want a close frame with %s", o.endErr, describeCodes(e.Fail))
	default:
		v.add(Failed, "did not fail the connection within %v, want a failure with %s", s.opts.failWait(), describeCodes(e.Fail))
	}
	if s.lateFailure && v.grade < Failed && o.done() {
		v.add(NonStrict, "failed the connection only after the rest of the message came, not as soon as it could (fail fast)")
	}
}

// judgeClose grades the closing handshake of a case in which the peer
// must not fail the connection.
func (s *session) judgeClose(v *verdict, e *Expect, o *observed) {
	switch {
	case o.close == nil && o.ended:
		v.add(Failed, "dropped the connection without a close frame: %v", o.endErr)
		return
	case o.close == nil:
		v.add(Failed, "did not answer the close frame within %v", s.opts.failWait())
		return
	case !s.sentClose || s.replied:
		v.add(Failed, "closed the connection by itself with %s", describeClose(o.close))
		return
	}
	ok, nonStrict := e.CloseReply, e.NonStrictReply
	if len(ok) == 0 {
		ok = []int{s.ourCode}
		if len(nonStrict) == 0 {
			nonStrict = []int{CloseNormal, NoStatus}
		}
	}
	switch code := o.close.code; {
	case slices.Contains(ok, code):
	case slices.Contains(nonStrict, code):
		v.add(NonStrict, "answered the close frame with %s, want %s", describeClose(o.close), describeCodes(ok))
	default:
		v.add(Failed, "answered the close frame with %s, want %s", describeClose(o.close), describeCodes(ok))
	}
}

func describeEcho(e Echo) string {
	kind := "text"
	if e.Binary {
		kind = "binary"
	}
	return fmt.Sprintf("%s of %d bytes %s", kind, len(e.Payload), describePayload(e.Payload))
}

// describePayload shows the start of a payload.
func describePayload(p []byte) string {
	const show = 24
	if len(p) > show {
		return fmt.Sprintf("%q...", p[:show])
	}
	return fmt.Sprintf("%q", p)
}

func describePayloads(ps [][]byte) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = describePayload(p)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func describeCode(code int) string {
	if code == NoStatus {
		return "an empty close frame"
	}
	return fmt.Sprintf("close code %d", code)
}

func describeClose(c *peerClose) string {
	s := describeCode(c.code)
	if c.reason != "" {
		s += fmt.Sprintf(" %q", c.reason)
	}
	return s
}

func describeCodes(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = describeCode(c)
	}
	return strings.Join(s, " or ")
}

// describeEnd tells how the peer ended the connection.
func describeEnd(o *observed) string {
	switch {
	case o.close != nil:
		return describeClose(o.close)
	case o.ended:
		return fmt.Sprintf("no close frame (%v)", o.endErr)
	}
	return "no close frame"
}

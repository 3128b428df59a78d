package conformance

import (
	"fmt"
	"time"
)

// A Grade is the verdict on one case, in the Autobahn|Testsuite's words.
// Grades are ordered from best to worst, so that the worst of several
// checks is their maximum.
type Grade int

const (
	// OK: the peer behaved exactly as expected.
	OK Grade = iota
	// Informational: the case only records what the peer did.
	Informational
	// NonStrict: the behaviour is acceptable but not the strict
	// expectation, such as a late failure on invalid UTF-8 or another
	// acceptable close code.
	NonStrict
	// Unimplemented: the peer lacks what the case needs, such as
	// permessage-deflate.
	Unimplemented
	// Failed: the peer broke the protocol or did not do what it must.
	Failed
)

var gradeNames = [...]string{
	OK:            "OK",
	Informational: "INFORMATIONAL",
	NonStrict:     "NON-STRICT",
	Unimplemented: "UNIMPLEMENTED",
	Failed:        "FAILED",
}

// String returns the grade as Autobahn writes it, for example "NON-STRICT".
func (g Grade) String() string {
	if g >= 0 && int(g) < len(gradeNames) {
		return gradeNames[g]
	}
	return fmt.Sprintf("Grade(%d)", int(g))
}

// A Role is the role the implementation under test plays.
type Role int

const (
	// ServerRole: the implementation is a server; the suite connects to
	// it as a fuzzing client.
	ServerRole Role = iota + 1
	// ClientRole: the implementation is a client; the suite accepts its
	// connections as a fuzzing server.
	ClientRole
)

// String returns "server" or "client".
func (r Role) String() string {
	switch r {
	case ServerRole:
		return "server"
	case ClientRole:
		return "client"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// A Result is the outcome of one case in one role.
type Result struct {
	ID          string // the case's ID, such as "5.3"
	Description string
	Role        Role
	Grade       Grade
	// Detail says why the grade is not OK, or what an informational case
	// saw. It is empty for a plain OK.
	Detail string
	// Duration is the time from the start of the opening handshake to
	// the end of the connection.
	Duration time.Duration
}

// Category returns the category of the result's case, such as "5" for
// "5.3".
func (r Result) Category() string { return category(r.ID) }

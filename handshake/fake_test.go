package handshake_test

import (
	"fmt"
	"strconv"

	"github.com/wsconn/wsconn/extensions"
)

// fakeExt is a trivial extension for the tests. It understands one
// parameter, "level", whose value must be a digit from 1 to 9; any other
// parameter, or a bad level, makes Configure refuse the offer or response.
type fakeExt struct {
	name    string
	bits    byte
	request extensions.Params // what a client offers
	badResp bool              // answer with a parameter that is not a token

	side  extensions.Side
	level string // negotiated level, "" if none
}

// fake returns a factory of fakeExt called name that claims bits and
// offers request.
func fake(name string, bits byte, request ...extensions.Param) extensions.Factory {
	return func() extensions.Extension {
		return &fakeExt{name: name, bits: bits, request: request}
	}
}

// level returns the "level" parameter with value v.
func level(v string) extensions.Param {
	return extensions.Param{Name: "level", Value: v, HasValue: true}
}

func (e *fakeExt) Name() string { return e.name }

func (e *fakeExt) Configure(side extensions.Side, params extensions.Params) error {
	e.side = side
	for _, p := range params {
		if p.Name != "level" {
			return fmt.Errorf("%w: %s: unknown parameter %q", extensions.ErrNegotiation, e.name, p.Name)
		}
		if n, err := strconv.Atoi(p.Value); err != nil || n < 1 || n > 9 {
			return fmt.Errorf("%w: %s: bad level %q", extensions.ErrNegotiation, e.name, p.Value)
		}
		e.level = p.Value
	}
	return nil
}

func (e *fakeExt) RequestParams() extensions.Params { return e.request }

func (e *fakeExt) ResponseParams() extensions.Params {
	if e.badResp {
		return extensions.Params{{Name: "bad name"}}
	}
	if e.level == "" {
		return nil
	}
	return extensions.Params{level(e.level)}
}

func (e *fakeExt) ReservedBits() byte { return e.bits }

func (e *fakeExt) ProcessOutgoing(*extensions.Message) error { return nil }

func (e *fakeExt) ProcessIncoming(*extensions.Message, int) error { return nil }

// describe returns "name" or "name/level" for each extension, to compare
// negotiation results.
func describe(exts []extensions.Extension) []string {
	var out []string
	for _, x := range exts {
		e := x.(*fakeExt)
		s := e.name
		if e.level != "" {
			s += "/" + e.level
		}
		out = append(out, s)
	}
	return out
}

// testRegistry supports x-a (RSV1, offering level 5), x-b (RSV2) and x-c
// (RSV1 again, clashing with x-a).
func testRegistry() *extensions.Registry {
	return extensions.NewRegistry(
		fake("x-a", 0x40, level("5")),
		fake("x-b", 0x20),
		fake("x-c", 0x40),
	)
}

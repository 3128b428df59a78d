package extensions

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ErrMalformedHeader is wrapped by the errors of ParseHeader.
var ErrMalformedHeader = errors.New("extensions: malformed Sec-WebSocket-Extensions header")

// Offer is one element of a Sec-WebSocket-Extensions header: an extension
// name and its parameters. A client sends one Offer per extension
// configuration it proposes; a server answers with one Offer per extension
// it accepted.
type Offer struct {
	Name   string
	Params Params
}

// ParseHeader parses the values of all the Sec-WebSocket-Extensions lines of
// a header, in order, as one list, following the grammar of RFC 6455 section
// 9.1:
//
//	extension-list = 1#extension
//	extension      = token *( ";" extension-param )
//	extension-param = token [ "=" ( token / quoted-string ) ]
//
// Spaces and tabs may surround the separators. A quoted parameter value
// must be a token once unquoted. ParseHeader refuses empty list elements
// (including an empty line). It checks the syntax only: a parameter
// repeated within one element is returned as it came, for the extension to
// refuse (RFC 7692 section 7 has a server decline such an offer, not the
// whole handshake). Names are returned as written.
// Errors wrap ErrMalformedHeader and tell what was wrong and at which byte
// of which line.
func ParseHeader(values []string) ([]Offer, error) {
	var offers []Offer
	for _, v := range values {
		p := headerParser{s: v}
		for {
			o, err := p.element()
			if err != nil {
				return nil, err
			}
			offers = append(offers, o)
			p.skipSpace()
			if p.done() {
				break
			}
			if p.s[p.i] != ',' {
				return nil, p.errorf("expected ',' or end of line, found %s", p.found())
			}
			p.i++
		}
	}
	return offers, nil
}

// FormatHeader writes offers as one Sec-WebSocket-Extensions value, such as
// "permessage-deflate; client_max_window_bits=10, x-other". A parameter
// value that is not a token is written as a quoted string. FormatHeader does
// not validate names; ParseHeader of its result returns the same offers when
// every name and value is a token.
func FormatHeader(offers []Offer) string {
	var b strings.Builder
	for i, o := range offers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(o.Name)
		for _, p := range o.Params {
			b.WriteString("; ")
			b.WriteString(p.Name)
			if p.HasValue {
				b.WriteByte('=')
				if httpguts.ValidHeaderFieldName(p.Value) {
					b.WriteString(p.Value)
				} else {
					writeQuoted(&b, p.Value)
				}
			}
		}
	}
	return b.String()
}

// headerParser scans one header line.
type headerParser struct {
	s string
	i int
}

func (p *headerParser) done() bool { return p.i >= len(p.s) }

func (p *headerParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// token consumes a possibly empty run of token characters.
func (p *headerParser) token() string {
	start := p.i
	for p.i < len(p.s) && httpguts.IsTokenRune(rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

// element parses one extension with its parameters, stopping before the
// ',' or the end of the line that follows it.
func (p *headerParser) element() (Offer, error) {
	p.skipSpace()
	if p.done() || p.s[p.i] == ',' {
		return Offer{}, p.errorf("empty list element")
	}
	o := Offer{Name: p.token()}
	if o.Name == "" {
		return Offer{}, p.errorf("expected extension name, found %s", p.found())
	}
	for {
		p.skipSpace()
		if p.done() || p.s[p.i] != ';' {
			return o, nil
		}
		p.i++
		p.skipSpace()
		name := p.token()
		if name == "" {
			return Offer{}, p.errorf("expected parameter name, found %s", p.found())
		}
		param := Param{Name: name}
		p.skipSpace()
		if !p.done() && p.s[p.i] == '=' {
			p.i++
			p.skipSpace()
			v, err := p.value()
			if err != nil {
				return Offer{}, err
			}
			param.Value, param.HasValue = v, true
		}
		o.Params = append(o.Params, param)
	}
}

// value parses a parameter value: a token or a quoted string whose content
// is a token.
func (p *headerParser) value() (string, error) {
	if p.done() || p.s[p.i] != '"' {
		v := p.token()
		if v == "" {
			return "", p.errorf("expected parameter value, found %s", p.found())
		}
		return v, nil
	}
	at := p.i
	p.i++
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			v := b.String()
			if !httpguts.ValidHeaderFieldName(v) {
				p.i = at
				return "", p.errorf("quoted value %q is not a token", v)
			}
			return v, nil
		case '\\':
			p.i++
			if p.done() {
				return "", p.errorf("unterminated quoted string")
			}
			c = p.s[p.i]
		}
		b.WriteByte(c)
		p.i++
	}
	p.i = at
	return "", p.errorf("unterminated quoted string")
}

// found describes the byte at the current position for an error message.
func (p *headerParser) found() string {
	if p.done() {
		return "end of line"
	}
	return strconv.QuoteRune(rune(p.s[p.i]))
}

func (p *headerParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at byte %d of %s", ErrMalformedHeader,
		fmt.Sprintf(format, args...), p.i, quoteTruncated(p.s))
}

// quoteTruncated quotes s for an error message, cutting it when it is long.
func quoteTruncated(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

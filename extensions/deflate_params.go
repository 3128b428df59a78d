package extensions

import (
	"fmt"
	"strconv"
	"strings"
)

// Parameters of permessage-deflate, RFC 7692 section 7.1.
const (
	paramServerNoContext = "server_no_context_takeover"
	paramClientNoContext = "client_no_context_takeover"
	paramServerMaxBits   = "server_max_window_bits"
	paramClientMaxBits   = "client_max_window_bits"
)

// deflateParamNames indexes the parameters for deflateParams.parse.
var deflateParamNames = [...]string{paramServerNoContext, paramClientNoContext, paramServerMaxBits, paramClientMaxBits}

// Window bits allowed by RFC 7692 section 7.1.2.
const (
	minWindowBits = 8
	maxWindowBits = 15
)

// deflateParams is a checked permessage-deflate offer or answer. A window
// bits field of 0 stands for a parameter that is absent, or present
// without a value.
type deflateParams struct {
	serverNoCtx, clientNoCtx bool
	serverBits, clientBits   int
	// clientBitsPresent reports client_max_window_bits, with or without
	// a value.
	clientBitsPresent bool
}

// deflateAgreement is what one handshake settled for both directions:
// window bits from 8 to 15 and whether the context is dropped after each
// message.
type deflateAgreement struct {
	clientNoCtx, serverNoCtx bool
	clientBits, serverBits   int
}

// parseDeflateParams checks params as RFC 7692 section 7.1 asks: only the
// four parameters, each at most once, the no_context_takeover ones without
// a value, the max_window_bits ones with a decimal value from 8 to 15
// without leading zeros, except that client_max_window_bits may come
// without a value in an offer. Names compare case-insensitively, as
// Params.Get does.
func parseDeflateParams(params Params, offer bool) (deflateParams, error) {
	var p deflateParams
	var seen [len(deflateParamNames)]bool
	for _, q := range params {
		i := 0
		for i < len(deflateParamNames) && !strings.EqualFold(q.Name, deflateParamNames[i]) {
			i++
		}
		if i == len(deflateParamNames) {
			return p, deflateErrorf("unknown parameter %s", strconv.Quote(q.Name))
		}
		name := deflateParamNames[i]
		if seen[i] {
			return p, deflateErrorf("parameter %s repeated", name)
		}
		seen[i] = true
		switch name {
		case paramServerNoContext, paramClientNoContext:
			if q.HasValue {
				return p, deflateErrorf("parameter %s takes no value, has %s", name, strconv.Quote(q.Value))
			}
			if name == paramServerNoContext {
				p.serverNoCtx = true
			} else {
				p.clientNoCtx = true
			}
		case paramServerMaxBits, paramClientMaxBits:
			bits := 0
			switch {
			case q.HasValue:
				var ok bool
				if bits, ok = parseWindowBits(q.Value); !ok {
					return p, deflateErrorf("parameter %s=%s: want 8 to 15", name, strconv.Quote(q.Value))
				}
			case name == paramServerMaxBits || !offer:
				return p, deflateErrorf("parameter %s needs a value", name)
			}
			if name == paramServerMaxBits {
				p.serverBits = bits
			} else {
				p.clientBits, p.clientBitsPresent = bits, true
			}
		}
	}
	return p, nil
}

// parseWindowBits parses a window bits value: "8" to "15", nothing else.
func parseWindowBits(v string) (int, bool) {
	switch {
	case len(v) == 1 && (v[0] == '8' || v[0] == '9'):
		return int(v[0] - '0'), true
	case len(v) == 2 && v[0] == '1' && '0' <= v[1] && v[1] <= '5':
		return 10 + int(v[1]-'0'), true
	}
	return 0, false
}

// answer is the server's side of the negotiation: it checks a client's
// offer and returns the answer to it. The answer grants what the client
// asked for (server_no_context_takeover, server_max_window_bits) and adds
// what the server's options ask for where it is stricter; it repeats
// client_no_context_takeover and the value of client_max_window_bits
// from the offer, which binds the client to what it said it would do,
// so that the server may keep less for inflating.
func (o *DeflateOptions) answer(offer Params) (deflateParams, error) {
	p, err := parseDeflateParams(offer, true)
	if err != nil {
		return deflateParams{}, err
	}
	a := deflateParams{
		serverNoCtx: p.serverNoCtx || o.ServerNoContextTakeover,
		clientNoCtx: p.clientNoCtx || o.ClientNoContextTakeover,
		serverBits:  minBits(p.serverBits, o.ServerMaxWindowBits),
	}
	// client_max_window_bits may be answered only if it was offered.
	if p.clientBitsPresent {
		a.clientBits = minBits(p.clientBits, o.ClientMaxWindowBits)
		a.clientBitsPresent = a.clientBits != 0
	}
	return a, nil
}

// accept is the client's side of the negotiation: it checks the server's
// answer against what RequestParams offered and returns what the client
// then uses.
func (o *DeflateOptions) accept(answer Params) (deflateAgreement, error) {
	p, err := parseDeflateParams(answer, false)
	if err != nil {
		return deflateAgreement{}, err
	}
	if o.ServerNoContextTakeover && !p.serverNoCtx {
		return deflateAgreement{}, deflateErrorf("answer lacks %s, which was offered", paramServerNoContext)
	}
	if b := o.ServerMaxWindowBits; b != 0 {
		switch {
		case p.serverBits == 0:
			return deflateAgreement{}, deflateErrorf("answer lacks %s, offered as %d", paramServerMaxBits, b)
		case p.serverBits > b:
			return deflateAgreement{}, deflateErrorf("answer %s=%d exceeds the %d offered", paramServerMaxBits, p.serverBits, b)
		}
	}
	// RequestParams always offers client_max_window_bits, so the answer
	// may carry it; it may not ask for a larger window than offered.
	if b := o.ClientMaxWindowBits; b != 0 && p.clientBits > b {
		return deflateAgreement{}, deflateErrorf("answer %s=%d exceeds the %d offered", paramClientMaxBits, p.clientBits, b)
	}
	return deflateAgreement{
		clientNoCtx: p.clientNoCtx || o.ClientNoContextTakeover,
		serverNoCtx: p.serverNoCtx,
		clientBits:  orMaxBits(minBits(p.clientBits, o.ClientMaxWindowBits)),
		serverBits:  orMaxBits(p.serverBits),
	}, nil
}

// agreement returns what a server's answer settles.
func (p deflateParams) agreement() deflateAgreement {
	return deflateAgreement{
		clientNoCtx: p.clientNoCtx,
		serverNoCtx: p.serverNoCtx,
		clientBits:  orMaxBits(p.clientBits),
		serverBits:  orMaxBits(p.serverBits),
	}
}

// params returns p as a parameter list, in the order of RFC 7692's
// sections.
func (p deflateParams) params() Params {
	var ps Params
	if p.serverNoCtx {
		ps = append(ps, Param{Name: paramServerNoContext})
	}
	if p.clientNoCtx {
		ps = append(ps, Param{Name: paramClientNoContext})
	}
	if p.serverBits != 0 {
		ps = append(ps, bitsParam(paramServerMaxBits, p.serverBits))
	}
	if p.clientBitsPresent {
		if p.clientBits != 0 {
			ps = append(ps, bitsParam(paramClientMaxBits, p.clientBits))
		} else {
			ps = append(ps, Param{Name: paramClientMaxBits})
		}
	}
	return ps
}

// minBits returns the smaller of two window bits, 0 standing for none.
func minBits(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// orMaxBits returns bits, or 15 for 0.
func orMaxBits(bits int) int {
	if bits == 0 {
		return maxWindowBits
	}
	return bits
}

func deflateErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNegotiation, deflateName, fmt.Sprintf(format, args...))
}

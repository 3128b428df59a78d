package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
)

// Deflate is the permessage-deflate configuration a case asks for. As a
// fuzzing client the suite offers exactly these parameters; as a fuzzing
// server it answers the client's offer with them, as far as the offer
// allows.
type Deflate struct {
	// ClientMaxWindowBits limits the client's window (9 to 15); 0 leaves
	// it to the other side. A fuzzing client always offers
	// client_max_window_bits, with this value if it is not 0.
	ClientMaxWindowBits int
	// ServerMaxWindowBits limits the server's window (9 to 15); 0 asks
	// for nothing.
	ServerMaxWindowBits int
	// ClientNoContextTakeover and ServerNoContextTakeover ask that the
	// client, or the server, compress each message on its own.
	ClientNoContextTakeover bool
	ServerNoContextTakeover bool
}

// String returns the parameters in the form of an offer.
func (d Deflate) String() string {
	var b strings.Builder
	b.WriteString(deflateToken)
	if d.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if d.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if d.ServerMaxWindowBits != 0 {
		fmt.Fprintf(&b, "; server_max_window_bits=%d", d.ServerMaxWindowBits)
	}
	b.WriteString("; client_max_window_bits")
	if d.ClientMaxWindowBits != 0 {
		fmt.Fprintf(&b, "=%d", d.ClientMaxWindowBits)
	}
	return b.String()
}

const deflateToken = "permessage-deflate"

// agreement is what a handshake settled for one connection: the window
// bits and context takeover of each direction.
type agreement struct {
	ourBits, peerBits         int
	ourTakeover, peerTakeover bool
}

// extension is one element of a Sec-WebSocket-Extensions header.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name, value string
	hasValue    bool
}

// parseExtensions parses Sec-WebSocket-Extensions values. It is lenient
// about the grammar (quoted values are unquoted, without escapes) and
// strict about what matters here: names and parameters.
func parseExtensions(values []string) ([]extension, error) {
	var exts []extension
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			parts := strings.Split(elem, ";")
			name := strings.TrimSpace(parts[0])
			if name == "" {
				if len(parts) == 1 && strings.TrimSpace(elem) == "" {
					continue // empty list element
				}
				return nil, fmt.Errorf("extension without a name in %q", v)
			}
			e := extension{name: name}
			for _, p := range parts[1:] {
				n, val, has := strings.Cut(p, "=")
				n, val = strings.TrimSpace(n), strings.TrimSpace(val)
				if n == "" {
					return nil, fmt.Errorf("empty parameter in %q", v)
				}
				if has && len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				e.params = append(e.params, extParam{name: strings.ToLower(n), value: val, hasValue: has})
			}
			exts = append(exts, e)
		}
	}
	return exts, nil
}

// deflateParams is a checked permessage-deflate offer or answer; a bits
// field is 0 when the parameter is absent or has no value.
type deflateParams struct {
	clientNoCtx, serverNoCtx bool
	clientBits, serverBits   int
	clientBitsPresent        bool
}

// checkDeflateParams checks the parameters of an offer (offer set) or an
// answer as RFC 7692 section 7.1 asks.
func checkDeflateParams(ps []extParam, offer bool) (deflateParams, error) {
	var d deflateParams
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.name] {
			return d, fmt.Errorf("parameter %s repeated", p.name)
		}
		seen[p.name] = true
		switch p.name {
		case "client_no_context_takeover", "server_no_context_takeover":
			if p.hasValue {
				return d, fmt.Errorf("parameter %s has a value", p.name)
			}
			if p.name == "client_no_context_takeover" {
				d.clientNoCtx = true
			} else {
				d.serverNoCtx = true
			}
		case "client_max_window_bits", "server_max_window_bits":
			bits := 0
			if p.hasValue || p.name == "server_max_window_bits" || !offer {
				n, err := strconv.Atoi(p.value)
				if err != nil || n < 8 || n > 15 || p.value != strconv.Itoa(n) {
					return d, fmt.Errorf("parameter %s=%q is not from 8 to 15", p.name, p.value)
				}
				bits = n
			}
			if p.name == "client_max_window_bits" {
				d.clientBits, d.clientBitsPresent = bits, true
			} else {
				d.serverBits = bits
			}
		default:
			return d, fmt.Errorf("unknown parameter %s", p.name)
		}
	}
	return d, nil
}

// orMax returns bits, or 15 for 0.
func orMax(bits int) int {
	if bits == 0 {
		return 15
	}
	return bits
}

// acceptAnswer checks a server's answer to the offer of d, as a client
// must (RFC 7692 section 7.1), and returns the agreement. A nil answer
// (no permessage-deflate) is reported as errDeclined.
func (d Deflate) acceptAnswer(exts []extension) (agreement, error) {
	if len(exts) == 0 {
		return agreement{}, errDeclined
	}
	if len(exts) > 1 || exts[0].name != deflateToken {
		return agreement{}, fmt.Errorf("the server answered extensions that were not offered: %v", extNames(exts))
	}
	a, err := checkDeflateParams(exts[0].params, false)
	if err != nil {
		return agreement{}, fmt.Errorf("answer %s: %v", deflateToken, err)
	}
	switch {
	case d.ServerNoContextTakeover && !a.serverNoCtx:
		return agreement{}, fmt.Errorf("the answer lacks server_no_context_takeover, which was offered")
	case d.ServerMaxWindowBits != 0 && a.serverBits == 0:
		return agreement{}, fmt.Errorf("the answer lacks server_max_window_bits, offered as %d", d.ServerMaxWindowBits)
	case d.ServerMaxWindowBits != 0 && a.serverBits > d.ServerMaxWindowBits:
		return agreement{}, fmt.Errorf("the answer server_max_window_bits=%d exceeds the %d offered", a.serverBits, d.ServerMaxWindowBits)
	case d.ClientMaxWindowBits != 0 && a.clientBits > d.ClientMaxWindowBits:
		return agreement{}, fmt.Errorf("the answer client_max_window_bits=%d exceeds the %d offered", a.clientBits, d.ClientMaxWindowBits)
	}
	ours := orMax(d.ClientMaxWindowBits)
	if a.clientBits != 0 {
		ours = min(ours, a.clientBits)
	}
	return agreement{
		ourBits:      ours,
		ourTakeover:  !d.ClientNoContextTakeover && !a.clientNoCtx,
		peerBits:     orMax(a.serverBits),
		peerTakeover: !a.serverNoCtx,
	}, nil
}

// errDeclined reports a handshake that did not negotiate
// permessage-deflate.
var errDeclined = fmt.Errorf("the peer did not negotiate %s", deflateToken)

func extNames(exts []extension) []string {
	names := make([]string, len(exts))
	for i, e := range exts {
		names[i] = e.name
	}
	return names
}

// answerOffers chooses the first acceptable permessage-deflate offer of a
// client and returns the answer, which asks for d as far as the offer
// allows, and the agreement. It returns errDeclined when the client
// offers no usable permessage-deflate, and a different error when d
// cannot be had from the offer.
func (d Deflate) answerOffers(exts []extension) (string, agreement, error) {
	for _, e := range exts {
		if e.name != deflateToken {
			continue
		}
		o, err := checkDeflateParams(e.params, true)
		if err != nil {
			continue // a server declines a bad offer and tries the next
		}
		if d.ClientMaxWindowBits != 0 && d.ClientMaxWindowBits != 15 && !o.clientBitsPresent {
			return "", agreement{}, fmt.Errorf("the client offers %s without client_max_window_bits, which the case needs", deflateToken)
		}
		a := Deflate{
			ClientNoContextTakeover: d.ClientNoContextTakeover,
			ServerNoContextTakeover: d.ServerNoContextTakeover || o.serverNoCtx,
			ServerMaxWindowBits:     d.ServerMaxWindowBits,
		}
		if o.serverBits != 0 {
			a.ServerMaxWindowBits = min(orMax(a.ServerMaxWindowBits), o.serverBits)
		}
		answer := []string{deflateToken}
		if a.ClientNoContextTakeover {
			answer = append(answer, "client_no_context_takeover")
		}
		if a.ServerNoContextTakeover {
			answer = append(answer, "server_no_context_takeover")
		}
		if a.ServerMaxWindowBits != 0 {
			answer = append(answer, "server_max_window_bits="+strconv.Itoa(a.ServerMaxWindowBits))
		}
		peerBits := 15
		if d.ClientMaxWindowBits != 0 && o.clientBitsPresent {
			peerBits = min(d.ClientMaxWindowBits, orMax(o.clientBits))
			answer = append(answer, "client_max_window_bits="+strconv.Itoa(peerBits))
		}
		return strings.Join(answer, "; "), agreement{
			ourBits:      orMax(a.ServerMaxWindowBits),
			ourTakeover:  !a.ServerNoContextTakeover,
			peerBits:     peerBits,
			peerTakeover: !o.clientNoCtx && !a.ClientNoContextTakeover,
		}, nil
	}
	return "", agreement{}, errDeclined
}

// A compressor compresses the messages that the suite sends, with the
// negotiated window and context takeover, as RFC 7692 section 7.2.1
// describes.
type compressor struct {
	fw       *flate.Writer
	buf      bytes.Buffer
	takeover bool
}

// compressLevel is the level of the 32 KiB window; smaller windows have a
// fixed level in klauspost/compress.
const compressLevel = 6

func newCompressor(bits int, takeover bool) *compressor {
	c := &compressor{takeover: takeover}
	var err error
	if bits >= 15 {
		c.fw, err = flate.NewWriter(&c.buf, compressLevel)
	} else {
		c.fw, err = flate.NewWriterWindow(&c.buf, 1<<bits)
	}
	if err != nil {
		panic(err) // bits and level are the suite's own constants
	}
	return c
}

// compress returns the compressed payload of a message: the DEFLATE
// blocks up to a sync flush, without the flush's final 00 00 ff ff.
func (c *compressor) compress(p []byte) []byte {
	c.buf.Reset()
	c.fw.Write(p) // writes to a bytes.Buffer do not fail
	c.fw.Flush()
	out := bytes.Clone(bytes.TrimSuffix(c.buf.Bytes(), []byte{0x00, 0x00, 0xff, 0xff}))
	if !c.takeover {
		c.buf.Reset()
		c.fw.Reset(&c.buf)
	}
	return out
}

// compressFinal returns the compressed payload of a message that ends
// with a final block (BFINAL set), RFC 7692 section 7.2.3.3, from a fresh
// compressor with a window of 1<<bits bytes.
func compressFinal(p []byte, bits int) []byte {
	c := newCompressor(bits, false)
	c.fw.Write(p)
	c.fw.Close()
	return bytes.Clone(c.buf.Bytes())
}

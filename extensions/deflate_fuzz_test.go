package extensions

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzOptions derives both sides' options from the bits of mode: context
// takeover off, and window bits 8 to 15, for the direction under test.
func fuzzOptions(mode uint8) DeflateOptions {
	bits := minWindowBits + int(mode>>1&7)
	return DeflateOptions{ClientNoContextTakeover: mode&1 != 0, ClientMaxWindowBits: bits}
}

// FuzzInflate feeds data to ProcessIncoming as a compressed message, and
// sends it through ProcessOutgoing first too: inflation must never
// panic nor exceed the limit, and what the compressor made must come back
// exactly.
func FuzzInflate(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint32(0), uint8(0))
	f.Add([]byte{0xf2, 0x00, 0x11, 0x00, 0x00}, uint32(3), uint8(14))
	f.Add(zeroBomb(100000), uint32(5000), uint8(1))
	f.Add([]byte(strings.Repeat("hello, hello, world; ", 30)), uint32(600), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, limit uint32, mode uint8) {
		opts := fuzzOptions(mode)
		lim := int(limit % (1 << 20))

		// As received from the peer.
		_, s := deflatePair(t, opts, DeflateOptions{})
		m := Message{RSV: rsv1, Payload: data}
		err := s.ProcessIncoming(&m, lim)
		switch {
		case err == nil:
			if lim > 0 && len(m.Payload) > lim {
				t.Fatalf("%d bytes out, limit %d", len(m.Payload), lim)
			}
			if m.RSV&rsv1 != 0 {
				t.Fatal("RSV1 left set")
			}
		case !errors.Is(err, ErrTooBig) && !errors.Is(err, ErrCorrupt):
			t.Fatalf("unexpected error %v", err)
		}

		// Compressed by us, twice, to exercise the context.
		c, s := deflatePair(t, opts, DeflateOptions{})
		c.threshold = 0
		for i := 0; i < 2; i++ {
			m := Message{Payload: data}
			if err := c.ProcessOutgoing(&m); err != nil {
				t.Fatal(err)
			}
			err := s.ProcessIncoming(&m, lim)
			if lim > 0 && len(data) > lim {
				if !errors.Is(err, ErrTooBig) {
					t.Fatalf("%d bytes, limit %d: %v", len(data), lim, err)
				}
				return // the context is lost with the message
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Payload, data) {
				t.Fatalf("round trip changed the message")
			}
		}
	})
}

// fuzzParams reads a parameter list from s: parameters separated by ';',
// a value after the first '='. Any byte may appear, unlike in a header.
func fuzzParams(s string) Params {
	if s == "" {
		return nil
	}
	var ps Params
	for _, part := range strings.Split(s, ";") {
		name, value, hasValue := strings.Cut(part, "=")
		ps = append(ps, Param{Name: name, Value: value, HasValue: hasValue})
	}
	return ps
}

// fuzzSideOptions derives one side's options from 16 bits.
func fuzzSideOptions(v uint16) DeflateOptions {
	bits := func(b uint16) int {
		if b &= 15; b >= 1 && b <= 8 {
			return int(b) + 7
		}
		return 0
	}
	return DeflateOptions{
		ClientNoContextTakeover: v&1 != 0,
		ServerNoContextTakeover: v&2 != 0,
		ClientMaxWindowBits:     bits(v >> 2),
		ServerMaxWindowBits:     bits(v >> 6),
	}
}

// FuzzDeflateParams runs random parameter lists through Configure on both
// sides: no panic, only negotiation errors, and an answer that a server
// makes to an offer is accepted by the client that made the offer, with
// the same result on both sides.
func FuzzDeflateParams(f *testing.F) {
	f.Add("client_max_window_bits", "server_max_window_bits=10", uint16(0), uint16(0))
	f.Add("server_no_context_takeover;client_max_window_bits=9", "client_max_window_bits=9", uint16(0x1ff), uint16(3))
	f.Add("server_max_window_bits=08", "client_no_context_takeover=1", uint16(5), uint16(40))
	f.Add("x;client_max_window_bits", "server_max_window_bits", uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, offer, answer string, serverOpts, clientOpts uint16) {
		so := fuzzSideOptions(serverOpts)
		s := newTestDeflate(so)
		err := s.Configure(Server, fuzzParams(offer))
		if err != nil {
			if !errors.Is(err, ErrNegotiation) {
				t.Fatalf("unexpected error %v", err)
			}
		} else {
			resp := s.ResponseParams()
			if _, err := ParseHeader([]string{FormatHeader([]Offer{{Name: deflateName, Params: resp}})}); err != nil {
				t.Fatalf("answer %v does not make a header: %v", resp, err)
			}
			p, _ := parseDeflateParams(fuzzParams(offer), true)
			co := DeflateOptions{
				ClientNoContextTakeover: p.clientNoCtx, ServerNoContextTakeover: p.serverNoCtx,
				ClientMaxWindowBits: p.clientBits, ServerMaxWindowBits: p.serverBits,
			}
			c := newTestDeflate(co)
			if err := c.Configure(Client, resp); err != nil {
				t.Fatalf("offer %q, answer %v refused: %v", offer, resp, err)
			}
			if agreementOf(c) != agreementOf(s) {
				t.Fatalf("client %+v and server %+v disagree", agreementOf(c), agreementOf(s))
			}
		}

		co := fuzzSideOptions(clientOpts)
		c := newTestDeflate(co)
		if err := c.Configure(Client, fuzzParams(answer)); err != nil {
			if !errors.Is(err, ErrNegotiation) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		a := agreementOf(c)
		if co.ServerNoContextTakeover && !a.serverNoCtx || co.ClientNoContextTakeover && !a.clientNoCtx ||
			co.ServerMaxWindowBits != 0 && a.serverBits > co.ServerMaxWindowBits ||
			co.ClientMaxWindowBits != 0 && a.clientBits > co.ClientMaxWindowBits {
			t.Fatalf("options %+v, answer %q: accepted %+v", co, answer, a)
		}
	})
}

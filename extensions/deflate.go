package extensions

import (
	"fmt"
	"strconv"
)

// deflateName is the extension token of RFC 7692.
const deflateName = "permessage-deflate"

// Defaults of DeflateOptions.
const (
	// defaultDeflateLevel is klauspost/compress's level 1: the fastest
	// level and the one with the smallest compressor (see deflate_writer.go).
	defaultDeflateLevel = 1
	// defaultDeflateThreshold leaves shorter messages uncompressed. The
	// fast levels (1 to 6) code a block of fewer than 128 bytes with
	// Huffman codes alone, no LZ77 matches, and start the next message
	// without history: 100-byte JSON-like messages came out at 0.88 to
	// 1.05 times their size at those levels, context takeover or not.
	defaultDeflateThreshold = 128
)

// DeflateOptions configures permessage-deflate (RFC 7692) for one side of
// a connection. The zero value asks for nothing: both sides keep their
// compression context across messages and use 32 KiB windows, which
// compresses best and costs the most memory (see NewDeflate).
type DeflateOptions struct {
	// ClientNoContextTakeover, on a client, offers client_no_context_takeover:
	// the client compresses every message on its own. On a server, it
	// answers client_no_context_takeover to every offer, so that clients
	// must do so.
	ClientNoContextTakeover bool

	// ServerNoContextTakeover, on a client, offers
	// server_no_context_takeover and refuses an answer without it. On a
	// server, it answers server_no_context_takeover to every offer: the
	// server compresses every message on its own.
	ServerNoContextTakeover bool

	// ClientMaxWindowBits limits the LZ77 window of the client's
	// compressor to 1<<ClientMaxWindowBits bytes, from 8 to 15; 0 means
	// 15, no limit. A client offers it as client_max_window_bits (without
	// a value when 0 or 15: a client always tells the server it accepts
	// the parameter). A server answers it, or the smaller value the
	// client offered, to offers that carry client_max_window_bits; RFC
	// 7692 does not let it limit a client that did not offer the
	// parameter.
	ClientMaxWindowBits int

	// ServerMaxWindowBits limits the LZ77 window of the server's
	// compressor to 1<<ServerMaxWindowBits bytes, from 8 to 15; 0 means
	// 15, no limit. A client offers it as server_max_window_bits and
	// refuses an answer with a larger value or none. A server answers it
	// to every offer, or the smaller value the client asked for.
	ServerMaxWindowBits int

	// Level is the compression level, from 1 (fastest) to 9 (smallest
	// output); 0 selects 1. Levels 7 to 9 are several times slower, but
	// with context takeover they also compress short messages well
	// against the previous ones, so a lower Threshold pays there. The
	// level applies to the 32 KiB window; a compressor limited to a
	// smaller window always runs a level close to 5.
	Level int

	// Threshold is the payload size in bytes below which an outgoing
	// message is sent uncompressed; 0 selects 128. Set it to 1 to
	// compress every non-empty message.
	Threshold int
}

// NewDeflate returns a Factory of permessage-deflate (RFC 7692) with the
// given options, for a Registry:
//
//	reg := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
//
// The extensions it makes negotiate all four parameters of RFC 7692
// section 7.1 exactly: a server refuses an offer with an unknown,
// repeated or malformed parameter, so that the handshake tries the
// client's next offer, and answers with its own options where they are
// stricter than the offer; a client refuses an answer that does not fit
// what it offered. Outgoing messages are compressed when they are at
// least Threshold bytes long and Message.NoCompress is not set; an
// outgoing message that compression would not shrink is sent as it is
// when no context is kept. Incoming messages are inflated without ever
// producing more than the connection's size limit.
//
// Memory: with context takeover, one connection keeps its compressor,
// about 800 KiB with the default level, and the last 1<<window bits
// bytes it received, 32 KiB by default, as the dictionary of the next
// message. Without context takeover on a side, that side's state is taken
// from a pool shared by all connections for each message and put back
// after it. The window bits do not shrink the compressor, only the
// dictionary. So a server with many connections sets
// ServerNoContextTakeover: each connection then keeps at most the client's
// dictionary, 32 KiB (1<<ClientMaxWindowBits bytes when the client offers
// that parameter), and nothing with ClientNoContextTakeover too
// (BenchmarkIdleMemory measures each case).
//
// Window bits of 8: zlib cannot compress with a 256-byte window and
// silently uses 512 bytes instead (since zlib 1.2.9 it refuses 8 for raw
// deflate altogether), so peers that negotiated 8 may send references up
// to 512 bytes back. wsconn negotiates 8 as RFC 7692 allows, compresses
// with a true 256-byte window when the peer asked for 8, and keeps a
// 512-byte dictionary when it asked the peer for 8, so that such peers
// work.
//
// NewDeflate panics if a window bits value is neither 0 nor from 8 to
// 15, if Level is not from 0 to 9, or if Threshold is negative.
func NewDeflate(opts DeflateOptions) Factory {
	for _, b := range []struct {
		name string
		bits int
	}{{"ClientMaxWindowBits", opts.ClientMaxWindowBits}, {"ServerMaxWindowBits", opts.ServerMaxWindowBits}} {
		if b.bits != 0 && (b.bits < minWindowBits || b.bits > maxWindowBits) {
			panic(fmt.Sprintf("extensions: DeflateOptions.%s %d not 0 nor in 8..15", b.name, b.bits))
		}
	}
	if opts.Level < 0 || opts.Level > 9 {
		panic(fmt.Sprintf("extensions: DeflateOptions.Level %d not in 0..9", opts.Level))
	}
	if opts.Threshold < 0 {
		panic(fmt.Sprintf("extensions: DeflateOptions.Threshold %d is negative", opts.Threshold))
	}
	if opts.Level == 0 {
		opts.Level = defaultDeflateLevel
	}
	if opts.Threshold == 0 {
		opts.Threshold = defaultDeflateThreshold
	}
	// 15 is no limit at all: the same as 0 on the wire and in use.
	if opts.ClientMaxWindowBits == maxWindowBits {
		opts.ClientMaxWindowBits = 0
	}
	if opts.ServerMaxWindowBits == maxWindowBits {
		opts.ServerMaxWindowBits = 0
	}
	return func() Extension { return &deflate{opts: opts, threshold: opts.Threshold} }
}

// deflate is one permessage-deflate instance. Its compression half is used
// only by ProcessOutgoing and its inflation half only by ProcessIncoming,
// which a connection may call at the same time from two goroutines.
type deflate struct {
	opts DeflateOptions // normalised by NewDeflate
	resp Params         // the server's answer, once configured

	// What Configure agreed on: window bits (8 to 15) and whether the
	// context is dropped after each message, for the messages this side
	// sends (out) and those it receives (in).
	side              Side
	outBits, inBits   int
	outNoCtx, inNoCtx bool
	configured        bool

	threshold int // opts.Threshold; tests lower it to compress anything
	enc       deflateEncoder
	dec       deflateDecoder
}

var _ SharedOutgoing = (*deflate)(nil)

// Name returns "permessage-deflate".
func (d *deflate) Name() string { return deflateName }

// ReservedBits returns RSV1, which marks a compressed message.
func (d *deflate) ReservedBits() byte { return rsv1 }

// rsv1 is the first reserved bit of a frame header.
const rsv1 = 0x40

// RequestParams returns the client's offer: the options that a client
// asks for, and client_max_window_bits always, without a value unless
// ClientMaxWindowBits limits it, to tell the server that it may limit the
// client's window.
func (d *deflate) RequestParams() Params {
	var ps Params
	if d.opts.ClientNoContextTakeover {
		ps = append(ps, Param{Name: paramClientNoContext})
	}
	if d.opts.ServerNoContextTakeover {
		ps = append(ps, Param{Name: paramServerNoContext})
	}
	if b := d.opts.ServerMaxWindowBits; b != 0 {
		ps = append(ps, bitsParam(paramServerMaxBits, b))
	}
	if b := d.opts.ClientMaxWindowBits; b != 0 {
		ps = append(ps, bitsParam(paramClientMaxBits, b))
	} else {
		ps = append(ps, Param{Name: paramClientMaxBits})
	}
	return ps
}

// ResponseParams returns the server's answer to the offer that Configure
// accepted.
func (d *deflate) ResponseParams() Params {
	return append(Params(nil), d.resp...)
}

// Configure checks params, an offer on the server's side or the server's
// answer on the client's side, as RFC 7692 section 7.1 asks, and sets the
// extension up from it.
func (d *deflate) Configure(side Side, params Params) error {
	var a deflateAgreement
	switch side {
	case Server:
		answer, err := d.opts.answer(params)
		if err != nil {
			return err
		}
		d.resp, a = answer.params(), answer.agreement()
	case Client:
		var err error
		if a, err = d.opts.accept(params); err != nil {
			return err
		}
		d.resp = nil
	default:
		return fmt.Errorf("%w: %s: unknown side %d", ErrNegotiation, deflateName, side)
	}
	// Each side compresses with the window and context of its own
	// parameters, and inflates what the other compressed.
	if side == Client {
		d.outBits, d.outNoCtx, d.inBits, d.inNoCtx = a.clientBits, a.clientNoCtx, a.serverBits, a.serverNoCtx
	} else {
		d.outBits, d.outNoCtx, d.inBits, d.inNoCtx = a.serverBits, a.serverNoCtx, a.clientBits, a.clientNoCtx
	}
	d.enc, d.dec = deflateEncoder{}, deflateDecoder{}
	d.side, d.configured = side, true
	return nil
}

// bitsParam returns the parameter name=bits.
func bitsParam(name string, bits int) Param {
	return Param{Name: name, Value: strconv.Itoa(bits), HasValue: true}
}

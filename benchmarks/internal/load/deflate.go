package load

import (
	"bytes"
	"compress/flate"
)

// maxStored is the most bytes one stored deflate block holds.
const maxStored = 0xFFFF

// deflater compresses the messages of a payload for permessage-deflate
// without compressing each one: the part of the template before the
// sequence number (or the publish time, in a timed payload) is
// compressed once, ending with a sync flush, and each message appends the
// rest, sequence number included, in stored blocks.
// Every message is thus a deflate stream of the same bytes as its plain
// form, which the server inflates, but the load generator does not spend
// a compression per message (the servers still do, for their echoes).
// The JSON payload has its sequence number near its end for this; a
// binary payload, random and incompressible anyway, is all stored.
type deflater struct {
	seqAt  int    // where the bytes that vary start
	prefix []byte // the template up to seqAt, compressed
}

// newDeflater returns the deflater of p.
func newDeflater(p *Payload) *deflater {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed) // no error for a valid level
	w.Write(p.tmpl[:p.variableAt()])             // a bytes.Buffer does not fail
	w.Flush()
	return &deflater{seqAt: p.variableAt(), prefix: b.Bytes()}
}

// appendMessage appends msg, a message of the payload, compressed as RFC
// 7692 section 7.2.1 says, to dst.
func (d *deflater) appendMessage(dst, msg []byte) []byte {
	dst = append(dst, d.prefix...)
	for rest := msg[d.seqAt:]; len(rest) > 0; {
		n := min(len(rest), maxStored)
		// A stored block that is not the last one: BFINAL 0 and BTYPE 00
		// in a byte of its own (the stream is byte-aligned here), then
		// LEN and NLEN, little-endian.
		dst = append(dst, 0, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		dst = append(dst, rest[:n]...)
		rest = rest[n:]
	}
	// The message ends with an empty stored block, of which the sender
	// removes LEN and NLEN (0x00 0x00 0xff 0xff): its header byte is left.
	return append(dst, 0)
}

package extensions

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// deflateDecoder is the inflation half of a deflate extension. With
// context takeover it keeps the end of what the peer sent as the
// dictionary of the next message; the decompressor itself comes from a
// pool for each message, as it is reset with that dictionary anyway.
type deflateDecoder struct {
	dict []byte
}

// inflater is a DEFLATE decompressor with its input and output buffers.
type inflater struct {
	fr  io.ReadCloser // a flate.Resetter too
	src bytes.Reader  // the decompressor's fastest input type
	in  []byte
	out []byte
}

var inflaters = sync.Pool{New: func() any {
	f := new(inflater)
	f.fr = flate.NewReader(&f.src)
	return f
}}

// inflateTail follows a message's payload for the decompressor: the empty
// stored block that the sender removed (RFC 7692 section 7.2.2), then an
// empty final block, so that the decompressor ends with io.EOF where the
// message ends.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// ProcessIncoming inflates a message that has RSV1 set, as RFC 7692
// section 7.2.2 asks, and clears the bit; it copies any other message, so
// that the result never shares the input's memory.
//
// Inflation stops as soon as the output would exceed limit bytes (0 is no
// limit), with an error wrapping ErrTooBig, so that a message that would
// inflate to gigabytes costs about the limit in memory, besides one copy
// of the compressed payload (the decompressor's fastest input). Data that
// is not valid DEFLATE, or that goes on after a final block, fails with an
// error wrapping ErrCorrupt.
func (d *deflate) ProcessIncoming(msg *Message, limit int) error {
	if msg.RSV&rsv1 == 0 {
		if limit > 0 && len(msg.Payload) > limit {
			return fmt.Errorf("%w: %s: %d bytes", ErrTooBig, deflateName, len(msg.Payload))
		}
		msg.Payload = append(make([]byte, 0, len(msg.Payload)), msg.Payload...)
		return nil
	}
	if !d.configured {
		return errNotConfigured
	}
	if len(msg.Payload) == 0 {
		// Not DEFLATE data, even with the marker put back, but zlib
		// inflates it to nothing without complaint, and so do we.
		msg.Payload, msg.RSV = []byte{}, msg.RSV&^rsv1
		return nil
	}
	var dict []byte
	if !d.inNoCtx {
		dict = d.dec.dict
	}
	out, err := inflate(msg.Payload, dict, limit)
	if err != nil {
		return err
	}
	if !d.inNoCtx {
		d.dec.remember(out, d.inBits)
	}
	msg.Payload = out
	msg.RSV &^= rsv1
	return nil
}

// inflate returns payload inflated after dict, in a slice of its own.
func inflate(payload, dict []byte, limit int) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer f.put()
	f.in = append(append(f.in[:0], payload...), inflateTail...)
	f.src.Reset(f.in)
	if err := f.fr.(flate.Resetter).Reset(&f.src, dict); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, deflateName, err)
	}
	out, err := f.read(limit, len(payload))
	if err != nil {
		return nil, err
	}
	// The decompressor reads a few bytes ahead at most, within the tail.
	if f.src.Len() > len(inflateTail) {
		return nil, fmt.Errorf("%w: %s: data after the final block", ErrCorrupt, deflateName)
	}
	if cap(out) > maxKeptBuffer {
		// Too large to keep: it becomes the message, without a copy.
		return out[:len(out):len(out)], nil
	}
	return append(make([]byte, 0, len(out)), out...), nil
}

// read inflates into f.out, growing it as needed but never beyond
// limit+1 bytes, which is enough to tell that the output exceeds limit.
// It keeps the buffer in f.out for the next message unless it grew too
// large to keep.
func (f *inflater) read(limit, inLen int) ([]byte, error) {
	out := f.out[:0]
	defer func() {
		if cap(out) <= maxKeptBuffer {
			f.out = out[:0]
		}
	}()
	for {
		if len(out) == cap(out) {
			n := max(2*cap(out), 4*inLen, 4<<10)
			if limit > 0 {
				n = min(n, limit+1)
			}
			out = append(make([]byte, 0, n), out...)
		}
		buf := out[len(out):cap(out)]
		if limit > 0 && len(out)+len(buf) > limit+1 {
			buf = buf[:limit+1-len(out)]
		}
		n, err := f.fr.Read(buf)
		out = out[:len(out)+n]
		if limit > 0 && len(out) > limit {
			return nil, fmt.Errorf("%w: %s: inflates past %d bytes", ErrTooBig, deflateName, limit)
		}
		switch err {
		case nil:
		case io.EOF:
			return out, nil
		default:
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, deflateName, err)
		}
	}
}

// put returns f to its pool, without buffers too large to keep.
func (f *inflater) put() {
	f.src.Reset(nil)
	if cap(f.in) > maxKeptBuffer {
		f.in = nil
	}
	if cap(f.out) > maxKeptBuffer {
		f.out = nil
	}
	inflaters.Put(f)
}

// remember keeps the last bytes of out, after those kept before, as the
// dictionary of the next message: 1<<bits bytes, the window that the peer
// compresses with, but at least 512 bytes, as zlib compresses with a
// 512-byte window when asked for 256.
func (dec *deflateDecoder) remember(out []byte, bits int) {
	size := 1 << max(bits, 9)
	if dec.dict == nil {
		dec.dict = make([]byte, 0, size)
	}
	if len(out) >= size {
		dec.dict = append(dec.dict[:0], out[len(out)-size:]...)
		return
	}
	if excess := len(dec.dict) + len(out) - size; excess > 0 {
		dec.dict = dec.dict[:copy(dec.dict, dec.dict[excess:])]
	}
	dec.dict = append(dec.dict, out...)
}

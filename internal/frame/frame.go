package frame

import (
	"errors"
	"io"
	"math"
)

// ErrPayloadTooLarge is returned by ReadFrame when a frame announces a
// payload longer than the caller's limit, or longer than fits in memory.
var ErrPayloadTooLarge = errors.New("frame: payload too large")

// AppendFrame appends a whole frame, header then payload, to dst and returns
// the extended slice. It sets h.Length to len(payload). If h.Masked is set,
// the appended copy of the payload is masked with h.Key; payload itself is
// not modified. AppendFrame is meant for tests and tools.
func AppendFrame(dst []byte, h Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		Mask(h.Key, 0, dst[start:])
	}
	return dst
}

// ReadFrame reads one whole frame from r and returns its header and its
// payload, unmasked. It is meant for tests and tools; a connection parses
// headers from its own buffer with ParseHeader.
//
// If maxPayload > 0, a frame whose payload is longer than maxPayload is
// rejected with ErrPayloadTooLarge before any of the payload is read or
// memory is allocated for it.
//
// ReadFrame returns io.EOF only if r ends before the first byte of the
// frame, and io.ErrUnexpectedEOF if it ends inside the frame. Errors from
// ParseHeader are passed on. Once the header has been read, it is returned
// even if reading the payload fails.
func ReadFrame(r io.Reader, maxPayload int64) (Header, []byte, error) {
	var buf [MaxHeaderSize]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return Header{}, nil, err
	}
	h, n, need, err := ParseHeader(buf[:2])
	if n == 0 && err == nil {
		if err := readFull(r, buf[2:need]); err != nil {
			return Header{}, nil, err
		}
		h, _, _, err = ParseHeader(buf[:need])
	}
	if err != nil {
		return Header{}, nil, err
	}
	if (maxPayload > 0 && h.Length > maxPayload) || h.Length > math.MaxInt {
		return h, nil, ErrPayloadTooLarge
	}
	payload, err := readPayload(r, int(h.Length))
	if err != nil {
		return h, nil, err
	}
	if h.Masked {
		Mask(h.Key, 0, payload)
	}
	return h, payload, nil
}

// readFull is io.ReadFull for reads inside a frame, where an end of input
// is unexpected even before the first byte of b.
func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readChunk is the size up to which readPayload allocates the whole payload
// at once. Larger payloads are read in growing steps, so that a header that
// announces a huge length on a short stream costs memory only for the bytes
// that actually arrive.
const readChunk = 64 << 10

// readPayload reads exactly n payload bytes from r.
func readPayload(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		p := make([]byte, n)
		return p, readFull(r, p)
	}
	p := make([]byte, 0, readChunk)
	for len(p) < n {
		if len(p) == cap(p) {
			p = append(p, 0)[:len(p)]
		}
		m := min(cap(p), n)
		k, err := io.ReadFull(r, p[len(p):m])
		p = p[:len(p)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return p, nil
}

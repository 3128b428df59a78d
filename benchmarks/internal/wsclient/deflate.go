package wsclient

import (
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"sync"
)

// inflateTail puts the removed tail back and ends the stream with a final
// empty stored block, so that the inflater reports io.EOF at the end of
// the message.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// sharedInflaters holds the inflaters of the connections that share them
// (Options.ShareInflater) between messages.
var sharedInflaters sync.Pool

// Inflate inflates the compressed message that ReadRaw last returned into
// dst[:0], which may hold at most limit bytes.
func (c *Conn) Inflate(dst []byte, limit int) ([]byte, error) {
	// The tail goes after the payload without becoming part of c.zin, so
	// that the payload ReadRaw returned stays as it came.
	src := append(c.zin, inflateTail...)
	c.zin = src[:len(c.zin)]
	c.zsrc.Reset(src)
	if c.share {
		if zr, ok := sharedInflaters.Get().(io.ReadCloser); ok {
			c.zr = zr
		}
		defer func() {
			sharedInflaters.Put(c.zr)
			c.zr = nil
		}()
	}
	if c.zr == nil {
		c.zr = flate.NewReader(&c.zsrc)
	} else if err := c.zr.(flate.Resetter).Reset(&c.zsrc, nil); err != nil {
		return dst[:0], err
	}
	return c.inflate(dst[:0], limit)
}

// inflate appends what c.zr inflates to dst, which may hold at most limit
// bytes.
func (c *Conn) inflate(dst []byte, limit int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) && len(dst) < limit {
			dst = slices.Grow(dst, min(max(len(dst), 1024), limit-len(dst)))
		}
		var n int
		var err error
		if len(dst) < cap(dst) {
			n, err = c.zr.Read(dst[len(dst):cap(dst)])
			dst = dst[:len(dst)+n]
		} else if n, err = c.zr.Read(c.probe[:]); n > 0 {
			return dst, ErrTooLarge // dst is full at the limit, and there is more
		}
		switch {
		case len(dst) > limit:
			return dst, ErrTooLarge
		case err == io.EOF:
			return dst, nil
		case err != nil:
			return dst, fmt.Errorf("wsclient: inflating a message: %w", err)
		}
	}
}

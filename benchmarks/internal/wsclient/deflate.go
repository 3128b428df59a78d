package wsclient

import (
	"compress/flate"
	"fmt"
	"io"
	"slices"
)

// inflateTail puts the removed tail back and ends the stream with a final
// empty stored block, so that the inflater reports io.EOF at the end of
// the message.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflate appends the message compressed in c.zin to dst, which may hold
// at most limit bytes.
func (c *Conn) inflate(dst []byte, limit int) ([]byte, error) {
	c.zin = append(c.zin, inflateTail...)
	c.zsrc.Reset(c.zin)
	if c.zr == nil {
		c.zr = flate.NewReader(&c.zsrc)
	} else if err := c.zr.(flate.Resetter).Reset(&c.zsrc, nil); err != nil {
		return dst, err
	}
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

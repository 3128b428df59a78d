// Package wsclient is a small RFC 6455 WebSocket client, written for the
// load generator so that the client is none of the libraries it measures.
//
// It does the opening handshake, writes masked frames, reads unmasked,
// possibly fragmented, frames, answers pings, and speaks
// permessage-deflate (RFC 7692) without context takeover on either side,
// so that every server can accept it: it inflates what it reads and sends
// messages that its caller compressed. In steady state it allocates
// nothing: a connection keeps its buffers from one message to the next.
//
// A connection runs over HTTP/1.1 on plain TCP or in TLS (Dial), or as
// the stream of an extended CONNECT request over HTTP/2 (RFC 8441,
// H2Conn) or HTTP/3 (RFC 9220, H3Conn), with the same frame code.
package wsclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// Options configures Dial.
type Options struct {
	// Deflate offers permessage-deflate with client_no_context_takeover
	// and server_no_context_takeover and requires the server to accept
	// it. The connection then inflates the compressed messages it reads;
	// the caller compresses those it sends (QueueCompressed).
	Deflate bool

	// Origin, if not empty, is sent as the Origin header.
	Origin string

	// ReadBufferSize is the size of the connection's read buffer; 0
	// means 64 KiB.
	ReadBufferSize int

	// TLSConfig configures TLS for a wss:// URL; nil means Go's defaults.
	TLSConfig *tls.Config

	// ShareInflater makes the connection take an inflater from a pool
	// that all such connections share for each compressed message it
	// reads, and give it back after, instead of keeping one of its own
	// (about 40 KiB): for many connections that each read rarely, such
	// as the subscribers of a fan-out.
	ShareInflater bool
}

// defaultReadBufferSize is the read buffer of Options' zero value.
const defaultReadBufferSize = 64 << 10

// ErrTooLarge is returned by ReadMessage for a message over its limit.
var ErrTooLarge = errors.New("wsclient: message over the limit")

// CloseError is returned by ReadMessage when the server sent a close
// frame.
type CloseError struct {
	Code   int // 1005 when the frame had no code
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("wsclient: server closed the connection with %d %q", e.Code, e.Reason)
}

// Stream is what a connection runs over: a TCP or TLS connection, or the
// stream of an extended CONNECT request. Close ends it at once, in both
// directions.
type Stream interface {
	io.Reader
	io.Writer
	io.Closer
}

// readDeadliner is a Stream whose reads can time out. The streams of
// HTTP/2 requests cannot; Close closes them when the time is up.
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// Conn is a client connection. One goroutine may send messages
// (WriteMessage, or Queue and Flush) while another reads them.
type Conn struct {
	nc      Stream
	br      *bufio.Reader
	deflate bool

	// Write state. wmu serialises the writes of messages and those of
	// control frames, such as the reader's pongs.
	wmu       sync.Mutex
	wbuf      []byte // the queued frames
	keys      uint64 // xorshift state of the masking keys
	closeSent bool
	cbuf      [maxHeaderSize + maxControlPayload]byte // the control frame being written

	// Read state, used by one ReadMessage at a time.
	hdr   [8]byte
	ctl   [maxControlPayload]byte
	zin   []byte // the compressed message being read
	zsrc  bytes.Reader
	zr    io.ReadCloser // the inflater, reset for each message
	share bool          // zr comes from sharedInflaters for each message
	probe [1]byte       // reads past a message inflated up to the limit
	nz    int64         // messages read that were compressed
}

// NewConn returns a connection over nc, on which the opening handshake is
// done; br reads nc, and holds what was read past the handshake response.
// deflate says whether permessage-deflate was negotiated without context
// takeover.
func NewConn(nc Stream, br *bufio.Reader, deflate bool) *Conn {
	var seed [8]byte
	rand.Read(seed[:])
	return &Conn{nc: nc, br: br, deflate: deflate, keys: binary.LittleEndian.Uint64(seed[:]) | 1}
}

// Dial connects to the ws:// or wss:// URL rawURL and does the opening
// handshake over HTTP/1.1, on plain TCP or in TLS. ctx bounds the
// connection and the handshake.
func Dial(ctx context.Context, rawURL string, opts Options) (*Conn, error) {
	req, err := newRequest(rawURL, opts)
	if err != nil {
		return nil, err
	}
	var nc net.Conn
	if req.secure {
		d := tls.Dialer{Config: tlsConfig(opts.TLSConfig, req.host, "http/1.1")}
		nc, err = d.DialContext(ctx, "tcp", req.host)
		if err == nil {
			err = checkALPN(nc.(*tls.Conn), "http/1.1", true)
		}
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", req.host)
	}
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		return nil, fmt.Errorf("wsclient: connecting to %s: %w", rawURL, err)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	br := bufio.NewReaderSize(nc, readBufferSize(opts))
	err = req.do(nc, br)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("wsclient: handshake with %s: %w", rawURL, err)
	}
	return newConn(nc, br, opts), nil
}

// newConn returns a connection over nc configured by opts.
func newConn(nc Stream, br *bufio.Reader, opts Options) *Conn {
	c := NewConn(nc, br, opts.Deflate)
	c.share = opts.ShareInflater
	return c
}

// readBufferSize returns the read buffer size of opts.
func readBufferSize(opts Options) int {
	if opts.ReadBufferSize <= 0 {
		return defaultReadBufferSize
	}
	return opts.ReadBufferSize
}

// Stream returns what the connection runs over.
func (c *Conn) Stream() Stream { return c.nc }

// WriteMessage sends p as one uncompressed message of type op.
func (c *Conn) WriteMessage(op Opcode, p []byte) error {
	if err := c.Queue(op, p); err != nil {
		return err
	}
	return c.Flush()
}

// Queue adds p as one uncompressed message of type op to the frames that
// Flush sends, so that several messages go out in one write.
func (c *Conn) Queue(op Opcode, p []byte) error {
	return c.queue(op, false, p)
}

// QueueCompressed adds z, a message of type op compressed as RFC 7692
// section 7.2.1 says (without the sync flush's last 4 bytes), to the
// frames that Flush sends. permessage-deflate must have been negotiated.
func (c *Conn) QueueCompressed(op Opcode, z []byte) error {
	if !c.deflate {
		return errors.New("wsclient: a compressed message without permessage-deflate")
	}
	return c.queue(op, true, z)
}

func (c *Conn) queue(op Opcode, compressed bool, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = appendFrame(c.wbuf, op, compressed, p, c.nextKey())
	return nil
}

// Flush writes the queued messages.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		c.wbuf = c.wbuf[:0]
		return errors.New("wsclient: write after the close frame")
	}
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

// writeControl sends a control frame at once, ahead of queued messages.
func (c *Conn) writeControl(op Opcode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil // nothing may follow a close frame
	}
	c.closeSent = op == OpClose
	_, err := c.nc.Write(appendFrame(c.cbuf[:0], op, false, p, c.nextKey()))
	return err
}

// nextKey returns a masking key. RFC 6455 asks for unpredictable keys to
// protect proxies from cache poisoning by scripts; a load generator
// talking to its own server over loopback only needs them to vary, and
// an xorshift generator costs nothing.
func (c *Conn) nextKey() uint32 {
	x := c.keys
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	c.keys = x
	return uint32(x >> 32)
}

// ReadMessage reads the next data message into dst[:0], growing it as
// needed but not past limit bytes, and returns its type and payload,
// inflated if it was compressed. It answers pings on the way. A close
// frame from the server is answered and returned as a *CloseError.
func (c *Conn) ReadMessage(dst []byte, limit int) (Opcode, []byte, error) {
	op, p, compressed, err := c.ReadRaw(dst, limit)
	if err != nil || !compressed {
		return op, p, err
	}
	if dst, err = c.Inflate(dst, limit); err != nil {
		return 0, dst, err
	}
	return op, dst, nil
}

// ReadRaw reads the next data message as ReadMessage does, but does not
// inflate it: it returns the message's type, its payload as it came and
// whether that is compressed. An uncompressed payload is read into
// dst[:0]; a compressed one is in the connection's own buffer, valid
// until the next read, and Inflate inflates it. A reader that has seen
// the same compressed bytes before, and checked what they inflate to,
// need not inflate them again: inflation is deterministic.
func (c *Conn) ReadRaw(dst []byte, limit int) (op Opcode, payload []byte, compressed bool, err error) {
	dst = dst[:0]
	c.zin = c.zin[:0]
	for {
		h, err := c.readHeader()
		if err != nil {
			return 0, dst, false, err
		}
		switch {
		case h.op.isControl():
			if err := c.control(h); err != nil {
				return 0, dst, false, err
			}
			continue
		case h.op == OpContinuation:
			if op == 0 {
				return 0, dst, false, fmt.Errorf("wsclient: %w: continuation frame outside a message", errProtocol)
			}
			if h.rsv1 {
				return 0, dst, false, fmt.Errorf("wsclient: %w: RSV1 on a continuation frame", errProtocol)
			}
		default:
			if op != 0 {
				return 0, dst, false, fmt.Errorf("wsclient: %w: new message inside a fragmented one", errProtocol)
			}
			if h.rsv1 && !c.deflate {
				return 0, dst, false, fmt.Errorf("wsclient: %w: RSV1 set without permessage-deflate", errProtocol)
			}
			op, compressed = h.op, h.rsv1
		}
		if compressed {
			c.zin, err = c.readPayload(c.zin, h.length, compressedLimit(limit))
		} else {
			dst, err = c.readPayload(dst, h.length, limit)
		}
		if err != nil {
			return 0, dst, false, err
		}
		if h.fin {
			break
		}
	}
	if compressed {
		c.nz++
		return op, c.zin, true, nil
	}
	return op, dst, false, nil
}

// CompressedRead returns how many of the messages ReadMessage or ReadRaw
// returned were compressed. It must not be called during a read.
func (c *Conn) CompressedRead() int64 { return c.nz }

// readHeader reads a frame header.
func (c *Conn) readHeader() (header, error) {
	if _, err := io.ReadFull(c.br, c.hdr[:2]); err != nil {
		return header{}, err
	}
	h, ext, err := parseHeader(c.hdr[0], c.hdr[1])
	if err != nil {
		return h, fmt.Errorf("wsclient: %w", err)
	}
	if ext == 0 {
		return h, nil
	}
	if _, err := io.ReadFull(c.br, c.hdr[:ext]); err != nil {
		return h, err
	}
	if ext == 2 {
		h.length = int64(binary.BigEndian.Uint16(c.hdr[:2]))
		return h, nil
	}
	n := binary.BigEndian.Uint64(c.hdr[:8])
	if n>>63 != 0 {
		return h, fmt.Errorf("wsclient: %w: 64-bit length with the top bit set", errProtocol)
	}
	h.length = int64(n)
	return h, nil
}

// compressedLimit bounds the compressed form of a message of at most
// limit bytes: deflate's stored blocks add 5 bytes to every 64 KiB of data
// that does not compress, and its other blocks are used only when smaller.
func compressedLimit(limit int) int { return limit + limit/1024 + 64 }

// readPayload appends n payload bytes to buf, which may hold at most
// limit bytes.
func (c *Conn) readPayload(buf []byte, n int64, limit int) ([]byte, error) {
	if n > int64(limit-len(buf)) {
		return buf, ErrTooLarge
	}
	buf = slices.Grow(buf, int(n))
	end := len(buf) + int(n)
	_, err := io.ReadFull(c.br, buf[len(buf):end])
	return buf[:end], err
}

// control handles a control frame.
func (c *Conn) control(h header) error {
	p := c.ctl[:h.length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	switch h.op {
	case OpPing:
		return c.writeControl(OpPong, p)
	case OpClose:
		e := &CloseError{Code: 1005}
		if len(p) >= 2 {
			e.Code = int(binary.BigEndian.Uint16(p))
			e.Reason = string(p[2:])
		}
		// Answer with the same code, as RFC 6455 section 5.5.1 asks;
		// the error returned is about the close, not the answer.
		c.writeControl(OpClose, p[:min(len(p), 2)])
		return e
	}
	return nil // a pong
}

// Close does the closing handshake: it sends a close frame with code
// 1000, waits at most timeout for the server's close frame, and closes
// the connection. A data message before the server's close frame is an
// error: the caller has read every message it expected.
func (c *Conn) Close(timeout time.Duration) error {
	defer c.nc.Close()
	if err := c.writeControl(OpClose, []byte{0x03, 0xE8}); err != nil {
		return err
	}
	if d, ok := c.nc.(readDeadliner); ok {
		if err := d.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
	} else {
		t := time.AfterFunc(timeout, func() { c.nc.Close() })
		defer t.Stop()
	}
	_, msg, err := c.ReadMessage(nil, 1<<20)
	var ce *CloseError
	switch {
	case errors.As(err, &ce):
		return nil
	case err != nil:
		return fmt.Errorf("wsclient: waiting for the server's close frame: %w", err)
	}
	return fmt.Errorf("wsclient: a %d-byte message arrived after the last one expected", len(msg))
}

// Abort closes the connection at once.
func (c *Conn) Abort() error { return c.nc.Close() }

package wsclient

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestMaskCopy(t *testing.T) {
	src := make([]byte, 37)
	for i := range src {
		src[i] = byte(i * 7)
	}
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	dst := make([]byte, len(src))
	maskCopy(dst, src, binary.LittleEndian.Uint32(key[:]))
	for i := range src {
		if want := src[i] ^ key[i%4]; dst[i] != want {
			t.Fatalf("byte %d: got %#x, want %#x", i, dst[i], want)
		}
	}
}

func TestAppendFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xFFFF, 0x10000} {
		p := bytes.Repeat([]byte{'a'}, n)
		f := appendFrame(nil, OpBinary, true, p, 0x01020304)
		h, ext, err := parseHeader(f[0], f[1]&^maskBit)
		if err != nil {
			t.Fatal(err)
		}
		length := int(h.length)
		switch ext {
		case 2:
			length = int(binary.BigEndian.Uint16(f[2:]))
		case 8:
			length = int(binary.BigEndian.Uint64(f[2:]))
		}
		if !h.fin || !h.rsv1 || h.op != OpBinary || f[1]&maskBit == 0 || length != n || len(f) != 2+ext+4+n {
			t.Errorf("frame of %d bytes: header %+v, extended length %d, length %d, frame %d bytes", n, h, ext, length, len(f))
		}
	}
}

func TestParseHeaderRejects(t *testing.T) {
	for _, b := range [][2]byte{
		{finBit | 0x20 | byte(OpText), 0}, // RSV2
		{finBit | byte(OpText), maskBit},  // masked
		{finBit | 0x3, 0},                 // reserved opcode
		{byte(OpPing), 0},                 // fragmented control frame
		{finBit | byte(OpClose), 126},     // long control frame
	} {
		if _, _, err := parseHeader(b[0], b[1]); err == nil {
			t.Errorf("header %#x %#x accepted", b[0], b[1])
		}
	}
}

func TestCheckExtensions(t *testing.T) {
	for _, c := range []struct {
		values  []string
		deflate bool
		ok      bool
	}{
		{nil, false, true},
		{nil, true, false},
		{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, true, true},
		{[]string{"permessage-deflate;server_no_context_takeover;server_max_window_bits=10"}, true, true},
		{[]string{"permessage-deflate; client_no_context_takeover"}, true, false},
		{[]string{"permessage-deflate; server_no_context_takeover; client_max_window_bits=10"}, true, false},
		{[]string{"permessage-deflate; server_no_context_takeover"}, false, false},
		{[]string{"permessage-deflate; server_no_context_takeover, permessage-deflate; server_no_context_takeover"}, true, false},
		{[]string{"x-other"}, true, false},
	} {
		if err := checkExtensions(c.values, c.deflate); (err == nil) != c.ok {
			t.Errorf("checkExtensions(%q, %v) = %v", c.values, c.deflate, err)
		}
	}
}

// replayConn is a net.Conn whose writes are discarded and whose reads
// replay the same bytes forever.
type replayConn struct {
	net.Conn // nil: only Read and Write are used
	data     []byte
	off      int
}

func (c *replayConn) Write(p []byte) (int, error) { return len(p), nil }

func (c *replayConn) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

// compress returns p compressed as a permessage-deflate message.
func compress(p []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// serverFrame returns p as an unmasked server frame, compressed if z.
func serverFrame(t *testing.T, p []byte, z bool) []byte {
	t.Helper()
	b0 := byte(finBit | OpText)
	if z {
		p = compress(p)
		b0 |= rsv1Bit
	}
	if len(p) > 0xFFFF {
		t.Fatal("payload too long for this helper")
	}
	f := []byte{b0, 126}
	f = binary.BigEndian.AppendUint16(f, uint16(len(p)))
	return append(f, p...)
}

// TestSteadyStateAllocs checks that sending and reading messages
// allocates nothing once the buffers have grown, with and without
// compression.
func TestSteadyStateAllocs(t *testing.T) {
	msg := []byte(strings.Repeat(`{"key":"value","n":12345},`, 40))
	zmsg := compress(msg)
	for _, z := range []bool{false, true} {
		nc := &replayConn{data: serverFrame(t, msg, z)}
		c := NewConn(nc, bufio.NewReaderSize(nc, 4096), z)
		buf := make([]byte, 0, len(msg))
		step := func() {
			err := c.Queue(OpText, msg)
			if z {
				err = c.QueueCompressed(OpText, zmsg)
			}
			if err == nil {
				err = c.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
			_, got, err := c.ReadMessage(buf, len(msg))
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("ReadMessage = %d bytes, %v", len(got), err)
			}
			buf = got
		}
		step() // grows the buffers and makes the compressor and inflater
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("deflate %v: %v allocations per message", z, n)
		}
	}
}

// TestReadMessageFragmentsAndPing reads a message in two fragments with
// a ping between them, which is answered.
func TestReadMessageFragmentsAndPing(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	go func() {
		server.Write([]byte{byte(OpText), 2, 'h', 'e'})
		server.Write([]byte{finBit | byte(OpPing), 1, 'p'})
		server.Write([]byte{finBit | byte(OpContinuation), 3, 'l', 'l', 'o'})
	}()
	pong := make(chan []byte, 1)
	go func() {
		b := make([]byte, 7)
		io.ReadFull(server, b)
		pong <- b
	}()
	c := NewConn(client, bufio.NewReader(client), false)
	client.SetDeadline(time.Now().Add(10 * time.Second))
	op, msg, err := c.ReadMessage(nil, 100)
	if err != nil || op != OpText || string(msg) != "hello" {
		t.Fatalf("ReadMessage = %v, %q, %v", op, msg, err)
	}
	select {
	case b := <-pong:
		if b[0] != finBit|byte(OpPong) || b[1] != maskBit|1 || b[6]^b[2] != 'p' {
			t.Errorf("pong frame %x", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no pong")
	}
}

func TestReadMessageLimit(t *testing.T) {
	for _, z := range []bool{false, true} {
		nc := &replayConn{data: serverFrame(t, bytes.Repeat([]byte{'a'}, 1000), z)}
		c := NewConn(nc, bufio.NewReader(nc), z)
		if _, _, err := c.ReadMessage(nil, 999); err != ErrTooLarge {
			t.Errorf("deflate %v: ReadMessage over the limit = %v", z, err)
		}
	}
}

// TestReadRawInflate reads compressed messages as they came, then
// inflates them, with an inflater of the connection's own and with shared
// ones.
func TestReadRawInflate(t *testing.T) {
	msg := []byte(strings.Repeat(`{"key":"value","n":12345},`, 40))
	zmsg := compress(msg)
	for _, share := range []bool{false, true} {
		nc := &replayConn{data: serverFrame(t, msg, true)}
		c := newConn(nc, bufio.NewReaderSize(nc, 4096), Options{Deflate: true, ShareInflater: share})
		var buf []byte
		for i := range 3 {
			op, z, compressed, err := c.ReadRaw(buf, len(msg))
			if err != nil || op != OpText || !compressed || !bytes.Equal(z, zmsg) {
				t.Fatalf("share %v, message %d: ReadRaw = %v, %d bytes, compressed %v, %v", share, i, op, len(z), compressed, err)
			}
			for range 2 { // Inflate leaves the payload as it came
				if buf, err = c.Inflate(buf, len(msg)); err != nil || !bytes.Equal(buf, msg) {
					t.Fatalf("share %v, message %d: Inflate = %d bytes, %v", share, i, len(buf), err)
				}
			}
			if !bytes.Equal(z, zmsg) {
				t.Fatalf("share %v, message %d: Inflate changed the payload", share, i)
			}
		}
		if (c.zr == nil) != share {
			t.Errorf("share %v: the connection keeps an inflater: %v", share, c.zr != nil)
		}
		if c.CompressedRead() != 3 {
			t.Errorf("share %v: %d messages read compressed, want 3", share, c.CompressedRead())
		}
	}
}

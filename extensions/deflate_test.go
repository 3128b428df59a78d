package extensions

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deflatePair negotiates a client and a server extension.
func deflatePair(t testing.TB, co, so DeflateOptions) (c, s *deflate) {
	t.Helper()
	c, s = newTestDeflate(co), newTestDeflate(so)
	require.NoError(t, s.Configure(Server, c.RequestParams()))
	require.NoError(t, c.Configure(Client, s.ResponseParams()))
	return c, s
}

// link carries messages from one extension to its peer as a connection
// would, and checks every compressed message with refInflate as well.
type link struct {
	from, to *deflate
	hist     []byte // what refInflate has inflated, with context takeover
	maxDist  int    // the farthest reference refInflate met
}

// send passes payload through from.ProcessOutgoing and to.ProcessIncoming
// and returns what the receiver got, and the message as it went on the
// wire. It checks that neither step changes or keeps memory it does not
// own.
func (l *link) send(t testing.TB, payload []byte, limit int) (got []byte, wire Message) {
	t.Helper()
	sent := append([]byte(nil), payload...)
	out := Message{Binary: true, Payload: sent}
	require.NoError(t, l.from.ProcessOutgoing(&out))
	require.Equal(t, payload, sent, "ProcessOutgoing changed its input")
	compressed := out.RSV&rsv1 != 0
	if !compressed {
		require.Equal(t, byte(0), out.RSV)
	}

	// The connection's pooled buffer, with junk past the payload.
	buf := append(append(make([]byte, 0, len(out.Payload)+64), out.Payload...), bytes.Repeat([]byte{0xa5}, 64)...)
	buf = buf[:len(out.Payload)]
	in := Message{Binary: true, RSV: out.RSV, Payload: buf}
	require.NoError(t, l.to.ProcessIncoming(&in, limit))
	assert.Equal(t, byte(0), in.RSV&rsv1)
	got = in.Payload
	require.NotNil(t, got)
	ref := append([]byte(nil), got...)
	for i := range buf[:cap(buf)] {
		buf[:cap(buf)][i] = 0x5a
	}
	require.True(t, bytes.Equal(ref, got), "the received payload shares the connection's buffer")
	if len(got) > 0 && len(buf) > 0 {
		require.False(t, &got[0] == &buf[0])
	}

	if compressed {
		if l.from.outNoCtx {
			l.hist = l.hist[:0]
		}
		refOut, maxDist, err := refInflate(append(append([]byte(nil), out.Payload...), syncMarker...), l.hist)
		require.NoError(t, err, "refInflate")
		require.Equal(t, payload, refOut, "refInflate")
		l.maxDist = max(l.maxDist, maxDist)
		l.hist = append(l.hist, refOut...)
	}
	return got, out
}

// testTexts returns deterministic payloads: English-like text, JSON-like
// records and random bytes.
func testText(r *rand.Rand, n int) []byte {
	words := strings.Fields("the of and to in is was that for on with as by at from it an were are which this be or has had but not their they one been also its have new first who two more after some other when there into all time only can over most such many these would made used than years city may")
	b := make([]byte, 0, n+16)
	for len(b) < n {
		b = append(b, words[r.Intn(len(words))]...)
		if r.Intn(12) == 0 {
			b = append(b, ". "...)
		} else {
			b = append(b, ' ')
		}
	}
	return b[:n]
}

func testJSON(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"update","items":[`)
	for i := 0; b.Len() < n-80; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item %d","price":%d.%02d,"active":%t,"tags":["t%d","t%d"]}`,
			r.Intn(100000), r.Intn(1000), r.Intn(1000), r.Intn(100), r.Intn(2) == 0, r.Intn(20), r.Intn(20))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func testRandom(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

// testMessages returns a sequence of messages of many sizes and kinds,
// with repeats near and far.
func testMessages() [][]byte {
	r := rand.New(rand.NewSource(7))
	far := testText(r, 3000)
	var ms [][]byte
	ms = append(ms, nil, []byte("a"), []byte("Hello"), testJSON(r, 200), testJSON(r, 1024))
	ms = append(ms, testText(r, 1000), testRandom(r, 1000), testText(r, 20000), far)
	// Repeats at distances from 300 bytes to 40 KiB.
	for _, gap := range []int{300, 1000, 5000, 20000, 40000} {
		ms = append(ms, append(append(append([]byte(nil), far[:500]...), testRandom(r, gap)...), far[:500]...))
	}
	ms = append(ms, far, testRandom(r, 70000), testText(r, 150000), bytes.Repeat([]byte{0}, 100000), far)
	return ms
}

func TestDeflateRoundTrip(t *testing.T) {
	messages := testMessages()
	for bits := minWindowBits; bits <= maxWindowBits; bits++ {
		for _, noCtx := range []bool{false, true} {
			t.Run(fmt.Sprintf("bits=%d/noContext=%v", bits, noCtx), func(t *testing.T) {
				opts := DeflateOptions{ClientMaxWindowBits: bits, ServerMaxWindowBits: bits,
					ClientNoContextTakeover: noCtx, ServerNoContextTakeover: noCtx}
				c, s := deflatePair(t, opts, DeflateOptions{})
				for _, d := range []*deflate{c, s} {
					d.threshold = 0
					require.Equal(t, bits, d.outBits)
					require.Equal(t, noCtx, d.outNoCtx)
				}
				links := []*link{{from: c, to: s}, {from: s, to: c}}
				for _, l := range links {
					for i, m := range messages {
						got, wire := l.send(t, m, 0)
						require.Equal(t, len(m), len(got), "message %d", i)
						require.True(t, bytes.Equal(m, got), "message %d", i)
						if !noCtx {
							assert.Equal(t, byte(rsv1), wire.RSV, "message %d", i)
						}
					}
					assert.LessOrEqual(t, l.maxDist, 1<<bits, "a match reaches past the window")
					if bits == maxWindowBits {
						assert.Greater(t, l.maxDist, 1<<14, "the test data has no far repeats")
					}
				}
			})
		}
	}
}

func TestDeflateContextTakeover(t *testing.T) {
	msg := testText(rand.New(rand.NewSource(1)), 2000)
	for _, noCtx := range []bool{false, true} {
		c, s := deflatePair(t, DeflateOptions{ClientNoContextTakeover: noCtx}, DeflateOptions{})
		l := &link{from: c, to: s}
		var sizes []int
		for i := 0; i < 3; i++ {
			_, wire := l.send(t, msg, 0)
			sizes = append(sizes, len(wire.Payload))
		}
		if noCtx {
			assert.Equal(t, sizes[0], sizes[1], "no context: every message on its own")
			assert.Nil(t, c.enc.c, "no context: the compressor went back to its pool")
			assert.Nil(t, s.dec.dict)
		} else {
			assert.Less(t, sizes[1], 40, "the repeat refers to the previous message")
			assert.NotNil(t, c.enc.c)
			assert.Equal(t, 3*len(msg), len(s.dec.dict))
		}
	}
}

func TestDeflateDictionarySize(t *testing.T) {
	for _, tt := range []struct{ bits, want int }{{8, 512}, {9, 512}, {12, 4096}, {15, 32768}} {
		var dec deflateDecoder
		dec.remember(bytes.Repeat([]byte{1}, 100), tt.bits)
		assert.Len(t, dec.dict, 100)
		dec.remember(bytes.Repeat([]byte{2}, 40000), tt.bits)
		assert.Len(t, dec.dict, tt.want)
		dec.remember([]byte{3, 4}, tt.bits)
		assert.Len(t, dec.dict, tt.want)
		assert.Equal(t, []byte{2, 3, 4}, dec.dict[tt.want-3:])
		assert.Equal(t, tt.want, cap(dec.dict), "the dictionary never grows")
	}
}

func TestDeflateThreshold(t *testing.T) {
	c, s := deflatePair(t, DeflateOptions{}, DeflateOptions{Threshold: 10})
	text := testText(rand.New(rand.NewSource(3)), 200)
	for _, tt := range []struct {
		from       *deflate
		msg        Message
		compressed bool
	}{
		{c, Message{Payload: text[:127]}, false},
		{c, Message{Payload: text[:128]}, true},
		{c, Message{Payload: text, NoCompress: true}, false},
		{s, Message{Payload: text[:9]}, false},
		{s, Message{Payload: text[:40]}, true},
		{s, Message{Payload: text, NoCompress: true}, false},
	} {
		m := tt.msg
		require.NoError(t, tt.from.ProcessOutgoing(&m))
		assert.Equal(t, tt.compressed, m.RSV == rsv1, "%d bytes", len(tt.msg.Payload))
		if !tt.compressed {
			assert.True(t, &m.Payload[0] == &tt.msg.Payload[0], "an uncompressed message keeps its payload")
		}
	}
}

func TestDeflateIncompressible(t *testing.T) {
	random := testRandom(rand.New(rand.NewSource(4)), 5000)
	for _, noCtx := range []bool{false, true} {
		c, s := deflatePair(t, DeflateOptions{ClientNoContextTakeover: noCtx}, DeflateOptions{})
		l := &link{from: c, to: s}
		got, wire := l.send(t, random, 0)
		assert.Equal(t, random, got)
		// Without context a message that does not shrink goes as it is;
		// with context it must go compressed, as the compressor's history
		// holds it.
		assert.Equal(t, !noCtx, wire.RSV == rsv1, "noContext=%v", noCtx)
	}
}

func TestDeflateEmptyMessage(t *testing.T) {
	c, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	c.threshold = 0
	out := Message{Payload: []byte{}}
	require.NoError(t, c.ProcessOutgoing(&out))
	assert.Equal(t, []byte{0x00}, out.Payload, "RFC 7692 section 7.2.3.6")
	assert.Equal(t, byte(rsv1), out.RSV)
	in := Message{RSV: out.RSV, Payload: out.Payload}
	require.NoError(t, s.ProcessIncoming(&in, 10))
	assert.NotNil(t, in.Payload)
	assert.Empty(t, in.Payload)

	// An empty payload with RSV1 is an empty message too.
	in = Message{RSV: rsv1, Payload: nil}
	require.NoError(t, s.ProcessIncoming(&in, 0))
	assert.Empty(t, in.Payload)
}

// TestDeflateRFCExamples inflates the examples of RFC 7692 section 7.2.3.
func TestDeflateRFCExamples(t *testing.T) {
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	tests := []struct {
		name     string
		messages [][]byte
		noCtx    bool
	}{
		{"7.2.3.1 Hello", [][]byte{hello}, false},
		{"7.2.3.2 context takeover", [][]byte{hello, {0xf2, 0x00, 0x11, 0x00, 0x00}}, false},
		{"7.2.3.2 no context", [][]byte{hello, hello}, true},
		{"7.2.3.3 stored block", [][]byte{{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}}, false},
		{"7.2.3.4 BFINAL", [][]byte{{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, {0xf3, 0x00, 0x11, 0x00}}, false},
		{"7.2.3.5 two blocks", [][]byte{{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := deflatePair(t, DeflateOptions{ClientNoContextTakeover: tt.noCtx}, DeflateOptions{})
			for _, m := range tt.messages {
				in := Message{RSV: rsv1, Payload: m}
				require.NoError(t, s.ProcessIncoming(&in, 5))
				assert.Equal(t, "Hello", string(in.Payload))
			}
		})
	}
	// The second message refers to the first: without it, it is corrupt.
	_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	err := s.ProcessIncoming(&Message{RSV: rsv1, Payload: []byte{0xf2, 0x00, 0x11, 0x00, 0x00}}, 0)
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestDeflatePassThrough(t *testing.T) {
	_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	buf := []byte("plain text")
	in := Message{RSV: 0x20, Payload: buf}
	require.NoError(t, s.ProcessIncoming(&in, 0))
	assert.Equal(t, byte(0x20), in.RSV, "bits of other extensions stay")
	assert.Equal(t, buf, in.Payload)
	assert.False(t, &buf[0] == &in.Payload[0], "the payload is copied")

	in = Message{Payload: []byte{}}
	require.NoError(t, s.ProcessIncoming(&in, 0))
	assert.NotNil(t, in.Payload)

	err := s.ProcessIncoming(&Message{Payload: buf}, len(buf)-1)
	assert.ErrorIs(t, err, ErrTooBig)
	require.NoError(t, s.ProcessIncoming(&Message{Payload: buf}, len(buf)))

	// An unconfigured extension passes plain messages and nothing else.
	d := newTestDeflate(DeflateOptions{})
	require.NoError(t, d.ProcessIncoming(&Message{Payload: buf}, 0))
	assert.ErrorIs(t, d.ProcessIncoming(&Message{RSV: rsv1, Payload: buf}, 0), errNotConfigured)
	assert.ErrorIs(t, d.ProcessOutgoing(&Message{Payload: bytes.Repeat(buf, 100)}), errNotConfigured)
}

// TestDeflateWithCompressFlate exchanges messages with a peer that uses
// the standard library, context takeover on.
func TestDeflateWithCompressFlate(t *testing.T) {
	_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	messages := testMessages()

	// The peer compresses; s inflates.
	var wire bytes.Buffer
	fw, err := stdflate.NewWriter(&wire, 6)
	require.NoError(t, err)
	for i, m := range messages {
		wire.Reset()
		_, _ = fw.Write(m)
		require.NoError(t, fw.Flush())
		payload, ok := bytes.CutSuffix(wire.Bytes(), syncMarker)
		require.True(t, ok)
		in := Message{RSV: rsv1, Payload: payload}
		require.NoError(t, s.ProcessIncoming(&in, 0), "message %d", i)
		require.True(t, bytes.Equal(m, in.Payload), "message %d", i)
	}

	// s compresses; the peer inflates, the previous messages as its
	// dictionary.
	s.threshold = 0
	var hist []byte
	for i, m := range messages {
		out := Message{Payload: m}
		require.NoError(t, s.ProcessOutgoing(&out))
		fr := stdflate.NewReaderDict(io.MultiReader(bytes.NewReader(out.Payload), bytes.NewReader(inflateTail)), hist)
		got, err := io.ReadAll(fr)
		require.NoError(t, err, "message %d", i)
		require.True(t, bytes.Equal(m, got), "message %d", i)
		hist = append(hist, got...)
		if len(hist) > 1<<15 {
			hist = hist[len(hist)-1<<15:]
		}
	}
}

// TestDeflateWindow8 plays a zlib peer that was asked for 8 window bits
// and compresses with 9, as zlib does.
func TestDeflateWindow8(t *testing.T) {
	c, s := deflatePair(t, DeflateOptions{ServerMaxWindowBits: 8}, DeflateOptions{})
	require.Equal(t, 8, c.inBits)
	require.Equal(t, 8, s.outBits)

	var wire bytes.Buffer
	fw, err := flate.NewWriterWindow(&wire, 512)
	require.NoError(t, err)
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 50; i++ {
		m := testText(r, 100+r.Intn(600))
		wire.Reset()
		_, _ = fw.Write(m)
		require.NoError(t, fw.Flush())
		payload, _ := bytes.CutSuffix(wire.Bytes(), syncMarker)
		in := Message{RSV: rsv1, Payload: payload}
		require.NoError(t, c.ProcessIncoming(&in, 0), "message %d", i)
		require.Equal(t, m, in.Payload)
	}
}

func TestDeflateTrailingData(t *testing.T) {
	_, s := deflatePair(t, DeflateOptions{}, DeflateOptions{})
	final := []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00} // "Hello", BFINAL
	for _, junk := range [][]byte{bytes.Repeat([]byte{0}, 10), []byte("more data after the end")} {
		err := s.ProcessIncoming(&Message{RSV: rsv1, Payload: append(append([]byte(nil), final...), junk...)}, 0)
		assert.ErrorIs(t, err, ErrCorrupt, "% x", junk)
	}
}

// TestDeflateConcurrentHalves runs ProcessOutgoing and ProcessIncoming of
// one extension at the same time, as a connection's writer and reader do.
func TestDeflateConcurrentHalves(t *testing.T) {
	for _, noCtx := range []bool{false, true} {
		opts := DeflateOptions{ClientNoContextTakeover: noCtx, ServerNoContextTakeover: noCtx}
		c, s := deflatePair(t, opts, DeflateOptions{})
		c.threshold, s.threshold = 0, 0
		messages := testMessages()[:12]
		var wg sync.WaitGroup
		for _, l := range []*link{{from: c, to: s}, {from: s, to: c}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, m := range messages {
					out := Message{Payload: m}
					if err := l.from.ProcessOutgoing(&out); err != nil {
						t.Error(err)
						return
					}
					in := Message{RSV: out.RSV, Payload: out.Payload}
					if err := l.to.ProcessIncoming(&in, 0); err != nil || !bytes.Equal(in.Payload, m) {
						t.Errorf("round trip failed: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}

package deflateref

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand"
	"strings"
	"testing"
)

var syncMarker = []byte{0x00, 0x00, 0xff, 0xff}

// The examples of RFC 7692 section 7.2.3.
func TestRFCExamples(t *testing.T) {
	for _, c := range []struct {
		name    string
		data    []byte
		hist    string
		maxDist int
	}{
		{"7.2.3.1 one fixed block", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}, "", 0},
		{"7.2.3.2 a reference into the previous message", []byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, "Hello", 5},
		{"7.2.3.3 a stored block", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0xff, 0xff}, "", 0},
		{"7.2.3.5 two blocks", []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}, "", 0},
		{"7.2.3.4 a final block", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, "", 0},
	} {
		out, maxDist, err := Decode(c.data, []byte(c.hist), Options{})
		if err != nil || string(out) != "Hello" || maxDist != c.maxDist {
			t.Errorf("%s: Decode = %q, %d, %v; want \"Hello\", %d", c.name, out, maxDist, err, c.maxDist)
		}
	}

	// The same through an Inflater, which puts back the sync marker.
	f := NewInflater(15, true)
	for i, msg := range [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, {0xf2, 0x00, 0x11, 0x00, 0x00}} {
		if out, err := f.Inflate(msg, 100); err != nil || string(out) != "Hello" {
			t.Errorf("message %d with takeover: %q, %v", i, out, err)
		}
	}
	f = NewInflater(15, false)
	f.Inflate([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 100)
	if _, err := f.Inflate([]byte{0xf2, 0x00, 0x11, 0x00, 0x00}, 100); err == nil || !strings.Contains(err.Error(), "context takeover") {
		t.Errorf("a reference into the previous message without takeover: err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	for _, bad := range [][]byte{
		nil,
		{0xf2, 0x48},                             // ends inside a block
		{0x07},                                   // block type 3
		{0x00, 0x05, 0x00, 0xfa, 0xfe},           // stored length and its complement differ
		{0x01, 0x05, 0x00, 0xfa, 0xff, 'H', 'e'}, // a stored block cut short
		[]byte("plain text, not DEFLATE"),
	} {
		if out, _, err := Decode(bad, nil, Options{}); err == nil {
			t.Errorf("% x: decoded to %q without error", bad, out)
		}
	}
	// "H", then 4 bytes from 5 back: 3 bytes of history are too few.
	_, _, err := Decode([]byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, []byte("llo"), Options{})
	if err == nil || !strings.Contains(err.Error(), "beyond the 4 bytes of history") {
		t.Errorf("a reference before the history: err = %v", err)
	}
	// Empty messages: an empty stored block, an empty fixed block.
	for _, z := range [][]byte{{0x00}, {0x02, 0x00}} {
		if out, err := NewInflater(15, false).Inflate(z, 100); err != nil || len(out) != 0 {
			t.Errorf("% x: Inflate = %q, %v; want an empty message", z, out, err)
		}
	}
}

// stdlib compresses in with compress/flate at level and closes the
// stream, which ends with a final block.
func stdlib(t *testing.T, level int, in []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(in)
	w.Close()
	return buf.Bytes()
}

func text(r *rand.Rand, n int) []byte {
	words := strings.Fields("the of and to in is was that for on with as by at from it an were are which this be or has had but not their they one been")
	var b []byte
	for len(b) < n {
		b = append(append(b, words[r.Intn(len(words))]...), ' ')
	}
	return b[:n]
}

// compress/flate's stored, fixed and dynamic blocks, and a final block.
func TestStdlib(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	random := make([]byte, 70000)
	r.Read(random)
	for _, in := range [][]byte{nil, []byte("a"), text(r, 100000), random, bytes.Repeat([]byte{'x'}, 300000)} {
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, 5, flate.BestCompression} {
			out, maxDist, err := Decode(stdlib(t, level, in), nil, Options{})
			if err != nil || !bytes.Equal(out, in) || maxDist > MaxWindow {
				t.Errorf("%d bytes at level %d: Decode = %d bytes, %d, %v", len(in), level, len(out), maxDist, err)
			}
		}
	}
}

// Sync-flushed messages of one stream, with and without context takeover.
func TestTakeover(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	var msgs [][]byte
	for i := 0; i < 20; i++ {
		msgs = append(msgs, text(r, r.Intn(5000)))
	}
	msgs = append(msgs, msgs[0], msgs[0])

	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 6)
	f := NewInflater(15, true)
	var hist []byte
	for i, m := range msgs {
		buf.Reset()
		w.Write(m)
		w.Flush()
		z := buf.Bytes()
		if !bytes.HasSuffix(z, syncMarker) {
			t.Fatalf("message %d does not end with the sync marker", i)
		}
		out, err := f.Inflate(z[:len(z)-4], 1<<20)
		if err != nil || !bytes.Equal(out, m) {
			t.Fatalf("message %d: Inflate = %d bytes, %v; want %d bytes", i, len(out), err, len(m))
		}
		out, _, err = Decode(z, hist, Options{})
		if err != nil || !bytes.Equal(out, m) {
			t.Fatalf("message %d: Decode = %d bytes, %v; want %d bytes", i, len(out), err, len(m))
		}
		hist = append(hist, out...)
	}

	// Each message alone, as a compressor without takeover sends it; and
	// the last message, which refers to the one before, must fail.
	for i, m := range msgs {
		out, err := NewInflater(15, false).Inflate(withoutTakeover(t, m), 1<<20)
		if err != nil || !bytes.Equal(out, m) {
			t.Fatalf("message %d alone: Inflate = %d bytes, %v", i, len(out), err)
		}
	}
	buf.Reset()
	w.Write(msgs[0])
	w.Flush()
	z := buf.Bytes()
	if _, err := NewInflater(15, false).Inflate(z[:len(z)-4], 1<<20); err == nil || !strings.Contains(err.Error(), "without context takeover") {
		t.Errorf("a message that refers to an earlier one, without takeover: err = %v", err)
	}
}

func withoutTakeover(t *testing.T, m []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 6)
	w.Write(m)
	w.Flush()
	return buf.Bytes()[:buf.Len()-4]
}

func TestWindow(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	block := make([]byte, 2000)
	r.Read(block)
	in := bytes.Repeat(block, 4) // matches 2000 bytes back
	z := stdlib(t, 6, in)
	out, maxDist, err := Decode(z, nil, Options{})
	if err != nil || !bytes.Equal(out, in) || maxDist != 2000 {
		t.Fatalf("Decode = %d bytes, farthest %d, %v; want %d bytes, farthest 2000", len(out), maxDist, err, len(in))
	}
	if _, _, err := Decode(z, nil, Options{Window: 2000}); err != nil {
		t.Errorf("window of 2000 bytes: %v", err)
	}
	for _, bits := range []int{9, 10} {
		_, err := NewInflater(bits, false).Inflate(z, 1<<20)
		if err == nil || !strings.Contains(err.Error(), "negotiated window") {
			t.Errorf("window bits %d: err = %v, want a window error", bits, err)
		}
	}
	if _, err := NewInflater(11, false).Inflate(z, 1<<20); err != nil {
		t.Errorf("window bits 11: %v", err)
	}
}

func TestLimit(t *testing.T) {
	in := bytes.Repeat([]byte{'x'}, 100000)
	for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestCompression} {
		z := stdlib(t, level, in)
		if _, _, err := Decode(z, nil, Options{Limit: len(in) - 1}); err != ErrTooLarge {
			t.Errorf("level %d, over the limit: err = %v", level, err)
		}
		if out, _, err := Decode(z, nil, Options{Limit: len(in)}); err != nil || len(out) != len(in) {
			t.Errorf("level %d, at the limit: %d bytes, %v", level, len(out), err)
		}
	}
}

// Wherever compress/flate decodes a stream to its end, Decode agrees,
// on compressed data and on mutations of it.
func TestAgreesWithStdlib(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	levels := []int{flate.HuffmanOnly, flate.BestSpeed, 6, flate.BestCompression, flate.NoCompression}
	writers := make([]*flate.Writer, len(levels))
	for i, level := range levels {
		writers[i], _ = flate.NewWriter(nil, level)
	}
	n, agreed := 400, 0
	if testing.Short() {
		n = 100
	}
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		var in []byte
		if i%2 == 0 {
			in = text(r, r.Intn(3000))
		} else {
			in = make([]byte, r.Intn(600))
			r.Read(in)
		}
		buf.Reset()
		w := writers[i%len(writers)]
		w.Reset(&buf)
		w.Write(in)
		w.Close()
		z := buf.Bytes()
		if i%3 != 0 && len(z) > 0 {
			for n := 1 + r.Intn(3); n > 0; n-- {
				z[r.Intn(len(z))] ^= byte(1 << r.Intn(8))
			}
		}
		want, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
		if err != nil {
			continue
		}
		got, _, err := Decode(z, nil, Options{})
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("case %d, % x: Decode = %q, %v; compress/flate = %q", i, z, got, err, want)
		}
		agreed++
	}
	if agreed < n/3 {
		t.Errorf("compress/flate decoded only %d cases of %d", agreed, n)
	}
}

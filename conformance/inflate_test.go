package conformance

import (
	"bytes"
	"strings"
	"testing"
)

// The inflater (internal/deflateref, tested against compress/flate there)
// must decode what the suite's compressor produces, at every window size,
// with and without context takeover.
func TestInflateRoundTrip(t *testing.T) {
	inputs := [][]byte{
		nil,
		[]byte("a"),
		[]byte("Hello, Hello, Hello!"),
		compressibleText(1000, 1),
		compressibleText(70000, 2),
		randomBinary(5000, 3),
		randomText(40000, 4),
		compressibleBinary(130000, 5),
	}
	for bits := 9; bits <= 15; bits++ {
		for _, takeover := range []bool{false, true} {
			c := newCompressor(bits, takeover)
			f := newInflater(bits, takeover)
			for round := 0; round < 2; round++ {
				for i, in := range inputs {
					z := c.compress(in)
					out, err := f.Inflate(z, 1<<20)
					if err != nil || !bytes.Equal(out, in) {
						t.Fatalf("bits %d, takeover %v, input %d: inflate = %d bytes, %v; want the %d bytes", bits, takeover, i, len(out), err, len(in))
					}
				}
			}
		}
	}
}

func TestInflateChecksWindow(t *testing.T) {
	in := bytes.Repeat(randomBinary(2000, 9), 4) // matches 2000 bytes back
	z := newCompressor(15, false).compress(in)
	if _, err := newInflater(15, false).Inflate(z, 1<<20); err != nil {
		t.Fatal(err)
	}
	_, err := newInflater(10, false).Inflate(z, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("window 1024: err = %v, want a window error", err)
	}

	// A message that refers to the previous one needs context takeover.
	c := newCompressor(15, true)
	first, second := c.compress(in[:2000]), c.compress(in[:2000])
	f := newInflater(15, false)
	if _, err := f.Inflate(first, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Inflate(second, 1<<20); err == nil || !strings.Contains(err.Error(), "context takeover") {
		t.Errorf("no takeover: err = %v, want a context takeover error", err)
	}
}

func TestInflateErrors(t *testing.T) {
	if _, err := newInflater(15, false).Inflate(compressibleText(1000, 1), 1<<20); err == nil {
		t.Error("plain text inflated without error")
	}
	z := newCompressor(15, false).compress(bytes.Repeat([]byte{'x'}, 100000))
	if _, err := newInflater(15, false).Inflate(z, 99999); err != errTooLarge {
		t.Errorf("over the limit: err = %v", err)
	}
	if _, err := newInflater(15, false).Inflate(z[:len(z)/2], 1<<20); err == nil {
		t.Error("truncated data inflated without error")
	}
}

func TestCraftedDeflate(t *testing.T) {
	for _, n := range []int{1, 3, 257, 258, 259, 1000, 1 << 20} {
		for _, bits := range []int{9, 15} {
			out, err := newInflater(bits, false).Inflate(zeroBomb(n), n)
			if err != nil || !bytes.Equal(out, make([]byte, n)) {
				t.Errorf("zeroBomb(%d), window bits %d: %d bytes, %v", n, bits, len(out), err)
			}
		}
	}
	if _, err := newInflater(15, false).Inflate(zeroBomb(1000), 999); err != errTooLarge {
		t.Errorf("zeroBomb over the limit: %v", err)
	}
	parts := [][]byte{[]byte("Hello, "), nil, []byte("world")}
	out, err := newInflater(9, false).Inflate(storedBlocks(parts...), 100)
	if err != nil || string(out) != "Hello, world" {
		t.Errorf("storedBlocks: %q, %v", out, err)
	}
}

func TestCraftedErrors(t *testing.T) {
	for name, z := range map[string][]byte{
		"empty payload": nil,
		"block type 3":  {0x07, 0x00},
		"stored length": {0x00, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'},
		"before start":  referenceBeforeStart(),
	} {
		if out, err := newInflater(15, false).Inflate(z, 100); err == nil {
			t.Errorf("%s: inflated to %q without error", name, out)
		}
	}
	for name, z := range map[string][]byte{"0x00": {0x00}, "0x02 0x00": {0x02, 0x00}} {
		if out, err := newInflater(15, false).Inflate(z, 100); err != nil || len(out) != 0 {
			t.Errorf("%s: inflate = %q, %v; want an empty message", name, out, err)
		}
	}
}

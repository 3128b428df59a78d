package extensions

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"testing"

	"github.com/klauspost/compress/flate"
)

// benchMessages returns different messages of one kind: 64 of "json1k",
// JSON-like records of about 1 KiB, or "text64k", 64 KiB of English-like
// text, or 8 of "text1m", 1 MiB of it.
func benchMessages(kind string) [][]byte {
	r := rand.New(rand.NewSource(1))
	ms := make([][]byte, 64)
	if kind == "text1m" {
		ms = ms[:8]
	}
	for i := range ms {
		switch kind {
		case "json1k":
			ms[i] = testJSON(r, 1024)
		case "text64k":
			ms[i] = testText(r, 64<<10)
		default:
			ms[i] = testText(r, 1<<20)
		}
	}
	return ms
}

var benchModes = []struct {
	name  string
	noCtx bool
}{{"context", false}, {"nocontext", true}}

// idleModes are the server settings of BenchmarkIdleMemory, each against
// a client that asks for nothing.
var idleModes = []struct {
	name string
	opts DeflateOptions
}{
	{"context", DeflateOptions{}},
	{"server-nocontext", DeflateOptions{ServerNoContextTakeover: true}},
	{"nocontext", DeflateOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
}

// BenchmarkDeflate compresses with one extension and inflates with its
// peer, as two connected ends do.
func BenchmarkDeflate(b *testing.B) {
	for _, kind := range []string{"json1k", "text64k"} {
		ms := benchMessages(kind)
		for _, mode := range benchModes {
			b.Run(kind+"/"+mode.name, func(b *testing.B) {
				c, s := deflatePair(b, DeflateOptions{ClientNoContextTakeover: mode.noCtx}, DeflateOptions{})
				var plain, compressed int
				b.SetBytes(int64(len(ms[0])))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m := Message{Payload: ms[i%len(ms)]}
					if err := c.ProcessOutgoing(&m); err != nil {
						b.Fatal(err)
					}
					plain, compressed = plain+len(ms[i%len(ms)]), compressed+len(m.Payload)
					if err := s.ProcessIncoming(&m, 0); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(compressed)/float64(plain), "ratio")
			})
		}
	}
}

// BenchmarkInflate inflates messages compressed beforehand without
// context takeover, so that they can be inflated in any order: the
// receiving half of BenchmarkDeflate alone.
func BenchmarkInflate(b *testing.B) {
	for _, kind := range []string{"json1k", "text64k", "text1m"} {
		ms := benchMessages(kind)
		b.Run(kind, func(b *testing.B) {
			c, s := deflatePair(b, DeflateOptions{ClientNoContextTakeover: true}, DeflateOptions{})
			wire := make([]Message, len(ms))
			for i, m := range ms {
				wire[i] = Message{Payload: m}
				if err := c.ProcessOutgoing(&wire[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(ms[0])))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := wire[i%len(wire)]
				if err := s.ProcessIncoming(&m, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// flateLibrary is what BenchmarkFlateLibrary needs of a DEFLATE package.
type flateLibrary struct {
	name      string
	newWriter func(w io.Writer) (interface {
		io.Writer
		Flush() error
		Reset(io.Writer)
	}, error)
	newReader func() io.ReadCloser
	reset     func(r io.ReadCloser, src io.Reader, dict []byte) error
}

var flateLibraries = []flateLibrary{
	{
		name: "klauspost",
		newWriter: func(w io.Writer) (interface {
			io.Writer
			Flush() error
			Reset(io.Writer)
		}, error) {
			return flate.NewWriter(w, 1)
		},
		newReader: func() io.ReadCloser { return flate.NewReader(nil) },
		reset: func(r io.ReadCloser, src io.Reader, dict []byte) error {
			return r.(flate.Resetter).Reset(src, dict)
		},
	},
	{
		name: "stdlib",
		newWriter: func(w io.Writer) (interface {
			io.Writer
			Flush() error
			Reset(io.Writer)
		}, error) {
			return stdflate.NewWriter(w, 1)
		},
		newReader: func() io.ReadCloser { return stdflate.NewReader(nil) },
		reset: func(r io.ReadCloser, src io.Reader, dict []byte) error {
			return r.(stdflate.Resetter).Reset(src, dict)
		},
	},
}

// BenchmarkFlateLibrary runs the work of BenchmarkDeflate at level 1
// directly on github.com/klauspost/compress/flate and on compress/flate:
// compress and sync-flush a message, then inflate it after the marker
// and a final block, with the previous 32 KiB as dictionary when the
// context is kept, into a reused buffer. Without context the writer is
// reset before each message, as a pooled one is.
func BenchmarkFlateLibrary(b *testing.B) {
	for _, kind := range []string{"json1k", "text64k"} {
		ms := benchMessages(kind)
		for _, lib := range flateLibraries {
			for _, mode := range benchModes {
				b.Run(kind+"/"+lib.name+"/"+mode.name, func(b *testing.B) {
					var wire bytes.Buffer
					fw, err := lib.newWriter(&wire)
					if err != nil {
						b.Fatal(err)
					}
					fr := lib.newReader()
					var src bytes.Reader
					var in, out, dict []byte
					var plain, compressed int
					b.SetBytes(int64(len(ms[0])))
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						m := ms[i%len(ms)]
						wire.Reset()
						if mode.noCtx {
							fw.Reset(&wire)
						}
						_, _ = fw.Write(m)
						if err := fw.Flush(); err != nil {
							b.Fatal(err)
						}
						plain, compressed = plain+len(m), compressed+wire.Len()-4
						in = append(append(in[:0], wire.Bytes()[:wire.Len()-4]...), inflateTail...)
						src.Reset(in)
						if err := lib.reset(fr, &src, dict); err != nil {
							b.Fatal(err)
						}
						out = out[:0]
						for {
							if len(out) == cap(out) {
								out = append(out, 0)[:len(out)]
							}
							n, err := fr.Read(out[len(out):cap(out)])
							out = out[:len(out)+n]
							if err == io.EOF {
								break
							}
							if err != nil {
								b.Fatal(err)
							}
						}
						if !mode.noCtx {
							dict = append(dict, out...)
							if len(dict) > 1<<15 {
								dict = append(dict[:0], dict[len(dict)-1<<15:]...)
							}
						}
					}
					b.ReportMetric(float64(compressed)/float64(plain), "ratio")
				})
			}
		}
	}
}

// BenchmarkInflateBomb inflates a message of about 1 MiB that would
// inflate to 1 GiB of zeros, with a limit: B/op stays near the limit.
func BenchmarkInflateBomb(b *testing.B) {
	bomb := gibBomb()
	for _, limit := range []int{64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("limit=%dKiB", limit>>10), func(b *testing.B) {
			_, s := deflatePair(b, DeflateOptions{}, DeflateOptions{})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m := Message{RSV: rsv1, Payload: bomb}
				if err := s.ProcessIncoming(&m, limit); err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}

// BenchmarkIdleMemory reports the heap that a server's end of one
// connection keeps between messages, after one 1 KiB message each way with
// a client that asks for nothing: with context takeover, with
// ServerNoContextTakeover, and with both no_context_takeover parameters.
func BenchmarkIdleMemory(b *testing.B) {
	msg := testJSON(rand.New(rand.NewSource(1)), 1024)
	for _, mode := range idleModes {
		b.Run(mode.name, func(b *testing.B) {
			const pairs = 16
			var total float64
			for i := 0; i < b.N; i++ {
				before := heapInUse()
				kept := make([]*deflate, 0, pairs)
				for j := 0; j < pairs; j++ {
					c, s := deflatePair(b, DeflateOptions{}, mode.opts)
					for _, l := range []*link{{from: c, to: s}, {from: s, to: c}} {
						m := Message{Payload: msg}
						if err := l.from.ProcessOutgoing(&m); err != nil {
							b.Fatal(err)
						}
						if err := l.to.ProcessIncoming(&m, 0); err != nil {
							b.Fatal(err)
						}
					}
					kept = append(kept, s) // the client's state goes
				}
				total += float64(heapInUse()-before) / pairs
				runtime.KeepAlive(kept)
			}
			b.ReportMetric(total/float64(b.N), "B/server")
		})
	}
}

// heapInUse returns the live heap once pools have been emptied.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC() // a second cycle frees what sync.Pool kept
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

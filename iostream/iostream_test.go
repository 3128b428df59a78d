package iostream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingWriter accepts up to limit bytes (all if limit is negative) and
// counts its calls.
type recordingWriter struct {
	buf    bytes.Buffer
	limit  int
	writes int
}

var errFull = errors.New("writer full")

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.limit >= 0 && w.buf.Len()+len(p) > w.limit {
		n := w.limit - w.buf.Len()
		w.buf.Write(p[:n])
		return n, errFull
	}
	return w.buf.Write(p)
}

// vectorWriter has the WriteBuffers method and counts its calls.
type vectorWriter struct {
	recordingWriter
	vectored int
}

func (w *vectorWriter) WriteBuffers(bufs *net.Buffers) (int64, error) {
	w.vectored++
	var n int64
	for _, b := range *bufs {
		w.buf.Write(b)
		n += int64(len(b))
	}
	*bufs = (*bufs)[len(*bufs):]
	return n, nil
}

func TestWriteBuffers(t *testing.T) {
	tests := []struct {
		name         string
		limit        int
		vector       bool
		bufs         []string
		wantN        int64
		wantErr      error
		wantWritten  string
		wantLeft     []string
		wantWrites   int
		wantVectored int
	}{
		{
			name:         "vectored",
			limit:        -1,
			vector:       true,
			bufs:         []string{"head", "", "payload"},
			wantN:        11,
			wantWritten:  "headpayload",
			wantVectored: 1,
		},
		{
			name:        "small buffers joined into one write",
			limit:       -1,
			bufs:        []string{"head", "", "payload"},
			wantN:       11,
			wantWritten: "headpayload",
			wantWrites:  1,
		},
		{
			name:        "one buffer written as it is",
			limit:       -1,
			bufs:        []string{"payload"},
			wantN:       7,
			wantWritten: "payload",
			wantWrites:  1,
		},
		{
			name:        "a header joined with the start of a large payload, the rest as it is",
			limit:       -1,
			bufs:        []string{"hd", strings.Repeat("p", 40000)},
			wantN:       40002,
			wantWritten: "hd" + strings.Repeat("p", 40000),
			wantWrites:  2, // 16 KiB, then the remaining 23,618 bytes
		},
		{
			name:        "small buffers in writes of 16 KiB",
			limit:       -1,
			bufs:        []string{strings.Repeat("a", 10000), strings.Repeat("b", 10000), strings.Repeat("c", 10000), "d"},
			wantN:       30001,
			wantWritten: strings.Repeat("a", 10000) + strings.Repeat("b", 10000) + strings.Repeat("c", 10000) + "d",
			wantWrites:  2, // 16,384 then 13,617
		},
		{
			name:        "empty",
			limit:       -1,
			wantWritten: "",
		},
		{
			name:        "short write",
			limit:       5,
			bufs:        []string{"abc", "defg", "h"},
			wantN:       5,
			wantErr:     errFull,
			wantWritten: "abcde",
			wantLeft:    []string{"fg", "h"},
			wantWrites:  1,
		},
		{
			name:        "short write at a buffer boundary",
			limit:       3,
			bufs:        []string{"abc", "defg"},
			wantN:       3,
			wantErr:     errFull,
			wantWritten: "abc",
			wantLeft:    []string{"defg"},
			wantWrites:  1,
		},
		{
			name:        "short write of a large remainder",
			limit:       20000,
			bufs:        []string{"hd", strings.Repeat("p", 40000)},
			wantN:       20000,
			wantErr:     errFull,
			wantWritten: "hd" + strings.Repeat("p", 19998),
			wantLeft:    []string{strings.Repeat("p", 20002)},
			wantWrites:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vw := &vectorWriter{recordingWriter: recordingWriter{limit: tt.limit}}
			var w io.Writer = &vw.recordingWriter
			if tt.vector {
				w = vw
			}
			var bufs net.Buffers
			for _, s := range tt.bufs {
				bufs = append(bufs, []byte(s))
			}
			n, err := WriteBuffers(w, &bufs)
			assert.Equal(t, tt.wantN, n)
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantWritten, vw.buf.String())
			assert.Equal(t, tt.wantLeft, toStrings(bufs))
			assert.Equal(t, tt.wantWrites, vw.writes, "Write calls")
			assert.Equal(t, tt.wantVectored, vw.vectored, "WriteBuffers calls")
		})
	}
}

func TestConsume(t *testing.T) {
	tests := []struct {
		bufs []string
		n    int64
		want []string
	}{
		{bufs: nil, n: 0, want: nil},
		{bufs: []string{"abc"}, n: 0, want: []string{"abc"}},
		{bufs: []string{"", "abc"}, n: 0, want: []string{"abc"}},
		{bufs: []string{"abc", "de"}, n: 2, want: []string{"c", "de"}},
		{bufs: []string{"abc", "de"}, n: 3, want: []string{"de"}},
		{bufs: []string{"abc", "", "de"}, n: 4, want: []string{"e"}},
		{bufs: []string{"abc", "de", ""}, n: 5, want: nil},
	}
	for _, tt := range tests {
		var bufs net.Buffers
		for _, s := range tt.bufs {
			bufs = append(bufs, []byte(s))
		}
		consume(&bufs, tt.n)
		assert.Equal(t, tt.want, toStrings(bufs), "consume(%q, %d)", tt.bufs, tt.n)
	}
}

// TestWriteBuffersTCP checks that the vectored path delivers the bytes over
// a real connection, directly and through the wrappers of this package.
func TestWriteBuffersTCP(t *testing.T) {
	client, server := tcpPair(t)
	writers := []struct {
		name string
		w    io.Writer
	}{
		{"TCPConn", client},
		{"Conn", NewConn(client)},
		{"Prefixed", NewPrefixed([]byte("x"), client)},
		{"Join", Join(server, client)},
	}
	for _, tt := range writers {
		t.Run(tt.name, func(t *testing.T) {
			bufs := net.Buffers{[]byte("head"), nil, []byte("er|"), []byte("payload")}
			n, err := WriteBuffers(tt.w, &bufs)
			require.NoError(t, err)
			assert.Equal(t, int64(14), n)
			assert.Empty(t, bufs)
			got := make([]byte, n)
			_, err = io.ReadFull(server, got)
			require.NoError(t, err)
			assert.Equal(t, "header|payload", string(got))
		})
	}
}

// TestWriteBuffersAllocs checks that the common paths do not allocate when
// the caller keeps its net.Buffers in a long-lived place.
func TestWriteBuffersAllocs(t *testing.T) {
	client, server := tcpPair(t)
	pa, pb := Pipe()
	defer pa.Close()
	defer pb.Close()
	targets := []struct {
		name string
		w    io.Writer
		r    io.Reader
	}{
		{"TCPConn", client, server},
		{"Conn", NewConn(client), server},
		{"Pipe", pa, pb},
		{"a writer without WriteBuffers", struct{ io.Writer }{pa}, pb},
	}
	header, payload := []byte{0x82, 0x05}, []byte("hello")
	const runs = 100
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			backing := make(net.Buffers, 0, 2)
			bufs := new(net.Buffers)
			allocs := testing.AllocsPerRun(runs, func() {
				*bufs = append(backing[:0], header, payload)
				if _, err := WriteBuffers(tt.w, bufs); err != nil {
					panic(err)
				}
			})
			assert.Zero(t, allocs)
			// AllocsPerRun runs the function once more to warm up.
			want := bytes.Repeat(append(header, payload...), runs+1)
			got := make([]byte, len(want))
			_, err := io.ReadFull(tt.r, got)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func toStrings(bufs net.Buffers) []string {
	var s []string
	for _, b := range bufs {
		s = append(s, string(b))
	}
	return s
}

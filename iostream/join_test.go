package iostream

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJoinPassesData(t *testing.T) {
	// Two one-way pipes make a duplex link between a and b.
	aR, bW := io.Pipe()
	bR, aW := io.Pipe()
	a, b := Join(aR, aW), Join(bR, bW)
	defer a.Close()
	defer b.Close()

	for _, dir := range []struct {
		name string
		w, r io.ReadWriter
	}{{"a to b", a, b}, {"b to a", b, a}} {
		done := goErr(func() error {
			_, err := dir.w.Write([]byte("hello"))
			return err
		})
		got := make([]byte, 5)
		_, err := io.ReadFull(dir.r, got)
		require.NoError(t, err, dir.name)
		require.NoError(t, waitErr(t, done), dir.name)
		assert.Equal(t, "hello", string(got), dir.name)
	}
}

// closer records the order of Close calls in a shared log.
type closer struct {
	name string
	log  *[]string
	err  error
}

func (c *closer) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *closer) Write(p []byte) (int, error) { return len(p), nil }
func (c *closer) Close() error {
	*c.log = append(*c.log, c.name)
	return c.err
}

func TestJoinClose(t *testing.T) {
	errR, errW := errors.New("r failed"), errors.New("w failed")
	tests := []struct {
		name       string
		rErr, wErr error
		closeWrite bool
		want       error
		wantLog    []string
	}{
		{name: "closes w then r", wantLog: []string{"w", "r"}},
		{name: "first error is w's", rErr: errR, wErr: errW, want: errW, wantLog: []string{"w", "r"}},
		{name: "error of r", rErr: errR, want: errR, wantLog: []string{"w", "r"}},
		{name: "after CloseWrite", closeWrite: true, rErr: errR, want: errR, wantLog: []string{"w", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			s := Join(&closer{"r", &log, tt.rErr}, &closer{"w", &log, tt.wErr})
			if tt.closeWrite {
				require.Equal(t, tt.wErr, s.(CloseWriter).CloseWrite())
				require.Equal(t, []string{"w"}, log, "CloseWrite closes only w")
			}
			assert.Equal(t, tt.want, s.Close())
			assert.Equal(t, tt.wantLog, log)
			assert.NoError(t, s.Close(), "second Close")
			assert.NoError(t, s.(CloseWriter).CloseWrite(), "CloseWrite after Close")
			assert.Equal(t, tt.wantLog, log, "each part is closed once")
		})
	}
}

func TestJoinNotClosers(t *testing.T) {
	var sb strings.Builder
	s := Join(strings.NewReader("in"), &sb)
	assert.NoError(t, s.(CloseWriter).CloseWrite())
	assert.NoError(t, s.Close())
	got, err := io.ReadAll(s)
	require.NoError(t, err)
	assert.Equal(t, "in", string(got))
}

// TestJoinHalfClose checks that CloseWrite lets the peer see end of stream
// while this side still reads.
func TestJoinHalfClose(t *testing.T) {
	aR, bW := io.Pipe()
	bR, aW := io.Pipe()
	a, b := Join(aR, aW), Join(bR, bW)
	defer a.Close()
	defer b.Close()

	done := goErr(func() error {
		if _, err := a.Write([]byte("request")); err != nil {
			return err
		}
		return a.(CloseWriter).CloseWrite()
	})
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))
	assert.Equal(t, "request", string(got))

	done = goErr(func() error {
		_, err := b.Write([]byte("response"))
		return err
	})
	buf := make([]byte, 8)
	_, err = io.ReadFull(a, buf)
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))
	assert.Equal(t, "response", string(buf))
}

// TestJoinCapabilities checks that WaitRead and WriteBuffers reach the
// parts.
func TestJoinCapabilities(t *testing.T) {
	local, peer := Pipe()
	defer local.Close()
	defer peer.Close()
	s := Join(local, local)

	// WaitRead waits through the reader.
	done := goErr(s.(ReadWaiter).WaitRead)
	requireBlocked(t, done)
	_, err := peer.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))

	// WriteBuffers writes through the writer.
	bufs := net.Buffers{[]byte("ab"), []byte("cd")}
	n, err := WriteBuffers(s, &bufs)
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	got := make([]byte, 4)
	_, err = io.ReadFull(peer, got)
	require.NoError(t, err)
	assert.Equal(t, "abcd", string(got))

	// A reader that cannot wait makes WaitRead return at once.
	plain := Join(strings.NewReader(""), io.Discard)
	assert.NoError(t, plain.(ReadWaiter).WaitRead())
}

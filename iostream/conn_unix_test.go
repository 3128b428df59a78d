//go:build unix && !aix

package iostream

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnWaitRead(t *testing.T) {
	tests := []struct {
		name    string
		tcpOnly bool
		run     func(t *testing.T, c *Conn, peer net.Conn)
	}{
		{
			name: "blocks until data arrives and leaves it",
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				done := goErr(c.WaitRead)
				requireBlocked(t, done)
				_, err := peer.Write([]byte("x"))
				require.NoError(t, err)
				require.NoError(t, waitErr(t, done))
				// The byte is still there: waiting again returns at
				// once and Read gets it.
				require.NoError(t, c.WaitRead())
				buf := make([]byte, 8)
				n, err := c.Read(buf)
				require.NoError(t, err)
				assert.Equal(t, "x", string(buf[:n]))
			},
		},
		{
			name: "returns when the peer closes",
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				done := goErr(c.WaitRead)
				requireBlocked(t, done)
				require.NoError(t, peer.Close())
				require.NoError(t, waitErr(t, done))
				_, err := c.Read(make([]byte, 1))
				assert.Equal(t, io.EOF, err)
			},
		},
		{
			name: "returns when the peer closes its writing half",
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				done := goErr(c.WaitRead)
				requireBlocked(t, done)
				_, err := peer.Write([]byte("bye"))
				require.NoError(t, err)
				require.NoError(t, peer.(CloseWriter).CloseWrite())
				require.NoError(t, waitErr(t, done))
				got, err := io.ReadAll(c)
				require.NoError(t, err)
				assert.Equal(t, "bye", string(got))
				require.NoError(t, c.WaitRead(), "at end of stream")
			},
		},
		{
			name: "honors the read deadline",
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				require.NoError(t, c.SetReadDeadline(time.Now().Add(briefly)))
				err := c.WaitRead()
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
				var ne net.Error
				require.ErrorAs(t, err, &ne)
				assert.True(t, ne.Timeout())
			},
		},
		{
			name: "fails when closed locally",
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				done := goErr(c.WaitRead)
				requireBlocked(t, done)
				require.NoError(t, c.Close())
				assert.ErrorIs(t, waitErr(t, done), net.ErrClosed)
			},
		},
		{
			name:    "reports a reset",
			tcpOnly: true,
			run: func(t *testing.T, c *Conn, peer net.Conn) {
				done := goErr(c.WaitRead)
				requireBlocked(t, done)
				require.NoError(t, peer.(*net.TCPConn).SetLinger(0))
				require.NoError(t, peer.Close())
				// WaitRead returns, and the reset is reported: by
				// WaitRead or by the Read after it, as ReadWaiter says.
				err := waitErr(t, done)
				if err == nil {
					_, err = c.Read(make([]byte, 1))
				}
				assert.ErrorIs(t, err, syscall.ECONNRESET)
			},
		},
	}
	for _, network := range []string{"tcp", "unix"} {
		for _, tt := range tests {
			if tt.tcpOnly && network != "tcp" {
				continue
			}
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				client, server := streamPair(t, network)
				c := NewConn(server)
				require.True(t, c.CanWaitRead())
				tt.run(t, c, client)
			})
		}
	}
}

// TestConnWaitReadData checks that bytes already buffered in the kernel make
// WaitRead return at once, as often as it is called.
func TestConnWaitReadData(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(server)
	_, err := client.Write([]byte("ab"))
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(eventually)))
		require.NoError(t, c.WaitRead())
	}
	got := make([]byte, 2)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "ab", string(got))
}

// TestConnWaitReadNotSocket checks a syscall.Conn that is not a socket:
// WaitRead cannot peek at it, so it returns at once.
func TestConnWaitReadNotSocket(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	c := NewConn(fileConn{r})
	assert.False(t, c.CanWaitRead())
	assert.NoError(t, c.WaitRead())
}

// fileConn is a net.Conn over an *os.File, with its SyscallConn.
type fileConn struct {
	*os.File
}

func (fileConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (fileConn) RemoteAddr() net.Addr { return pipeAddr{} }

// TestConnWaitReadAllocs checks that waiting does not allocate.
func TestConnWaitReadAllocs(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(server)
	_, err := client.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(eventually)))
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.WaitRead(); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}

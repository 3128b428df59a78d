package iostream

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnPassesData(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			client, server := streamPair(t, network)
			c, s := NewConn(client), NewConn(server)
			for _, dir := range []struct {
				name string
				w, r net.Conn
			}{{"client to server", c, s}, {"server to client", s, c}} {
				_, err := dir.w.Write([]byte("ping"))
				require.NoError(t, err, dir.name)
				got := make([]byte, 4)
				_, err = io.ReadFull(dir.r, got)
				require.NoError(t, err, dir.name)
				assert.Equal(t, "ping", string(got), dir.name)
			}
			assert.Equal(t, client.LocalAddr(), c.LocalAddr())
			assert.Same(t, client, c.Unwrap())
		})
	}
}

func TestConnCloseWrite(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client)
	_, err := c.Write([]byte("last"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())

	got, err := io.ReadAll(server)
	require.NoError(t, err)
	assert.Equal(t, "last", string(got), "the peer reads what was written, then EOF")

	// The reading half still works.
	_, err = server.Write([]byte("reply"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "reply", string(buf))
}

func TestConnWithoutCapabilities(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	tests := []struct {
		name string
		conn net.Conn
	}{
		{"net.Pipe", p1},
		{"tls.Conn", tls.Client(p1, &tls.Config{InsecureSkipVerify: true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConn(tt.conn)
			assert.False(t, c.CanWaitRead())
			assert.NoError(t, c.WaitRead(), "WaitRead returns nil at once")
			if _, ok := tt.conn.(CloseWriter); !ok {
				err := c.CloseWrite()
				assert.ErrorIs(t, err, errors.ErrUnsupported)
			}
			bufs := net.Buffers{[]byte("x")}
			n, err := c.TryWriteBuffers(&bufs)
			assert.ErrorIs(t, err, errors.ErrUnsupported)
			assert.Zero(t, n)
			assert.Len(t, bufs, 1, "nothing consumed")
		})
	}
}

func TestNewConnOfConn(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	c := NewConn(p1)
	assert.Same(t, c, NewConn(c))
}

func TestConnInterfaces(t *testing.T) {
	var c any = NewConn(nil)
	assert.Implements(t, (*net.Conn)(nil), c)
	assert.Implements(t, (*CloseWriter)(nil), c)
	assert.Implements(t, (*ReadWaiter)(nil), c)
	assert.Implements(t, (*buffersWriter)(nil), c)
	assert.Implements(t, (*TryWriter)(nil), c)
	assert.Implements(t, (*TryWriter)(nil), NewPrefixed([]byte("x"), NewConn(nil)))
}

func TestNewConnKeepsOwnWaitRead(t *testing.T) {
	a, b := Pipe()
	defer a.Close()
	defer b.Close()
	c := NewConn(a)
	if !c.CanWaitRead() {
		t.Fatal("a PipeConn can wait for reads")
	}
	done := make(chan error, 1)
	go func() { done <- c.WaitRead() }()
	if _, err := b.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitRead did not return")
	}
}

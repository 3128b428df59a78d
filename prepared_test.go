package wsconn

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/iostream"
)

// countedExt counts the messages an extension processes on the way out.
type countedExt struct {
	extensions.Extension
	n *atomic.Int64
}

func (e *countedExt) ProcessOutgoing(m *extensions.Message) error {
	e.n.Add(1)
	return e.Extension.ProcessOutgoing(m)
}

func (e *countedExt) OutgoingKey() (string, bool) {
	return e.Extension.(extensions.SharedOutgoing).OutgoingKey()
}

// countedDeflate is permessage-deflate with opts, counting compressions
// into n.
func countedDeflate(opts extensions.DeflateOptions, n *atomic.Int64) *extensions.Registry {
	f := extensions.NewDeflate(opts)
	return extensions.NewRegistry(func() extensions.Extension { return &countedExt{f(), n} })
}

// serverWith returns a server connection over TCP whose extensions were
// negotiated between creg and sreg, and its client, recorded.
func serverWith(t *testing.T, creg, sreg *extensions.Registry, opts *Options) (server, client *WebsocketConnection, cr *recorder) {
	t.Helper()
	var cexts, sexts []extensions.Extension
	if creg != nil {
		cexts, sexts = negotiate(t, creg, sreg)
	}
	a, b := tcpConns(t)
	client = NewWebsocketConnection(iostream.NewConn(a), testURI, ConnectionClient, "", "", cexts, opts)
	server = NewWebsocketConnection(iostream.NewConn(b), testURI, ConnectionServer, "", "", sexts, opts)
	cr = record(client)
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
	})
	return server, client, cr
}

// TestPreparedCompressesOncePerSetting sends one prepared message to
// servers without context takeover (one compression for all of them),
// with context takeover (one each), and without permessage-deflate, and
// checks that every client receives it whole.
func TestPreparedCompressesOncePerSetting(t *testing.T) {
	payload := bytes.Repeat([]byte("all the members of the room get this. "), 100)
	var shared, takeover atomic.Int64
	client := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	noCtx := countedDeflate(extensions.DeflateOptions{ServerNoContextTakeover: true}, &shared)
	withCtx := countedDeflate(extensions.DeflateOptions{}, &takeover)

	type peer struct {
		server *WebsocketConnection
		rec    *recorder
	}
	var peers []peer
	for range 5 {
		s, _, r := serverWith(t, client, noCtx, nil)
		peers = append(peers, peer{s, r})
	}
	for range 3 {
		s, _, r := serverWith(t, client, withCtx, nil)
		peers = append(peers, peer{s, r})
	}
	s, _, r := serverWith(t, nil, nil, nil)
	peers = append(peers, peer{s, r})

	pm, err := NewPreparedMessage(DataText, payload)
	require.NoError(t, err)
	for round := 0; round < 2; round++ {
		for _, p := range peers {
			require.NoError(t, p.server.SendPrepared(pm))
		}
		for i, p := range peers {
			m := p.rec.message(t)
			assert.Equal(t, DataText, m.typ)
			assert.True(t, bytes.Equal(payload, m.data), "peer %d, round %d: %d bytes", i, round, len(m.data))
		}
	}
	assert.Equal(t, int64(1), shared.Load(), "compressions for 5 servers without context takeover, twice")
	assert.Equal(t, int64(6), takeover.Load(), "compressions for 3 servers with context takeover, twice")
}

// TestPreparedKeepsOrderAndOwnsItsData: a server sends prepared messages
// among others in order, and the caller's later changes to the data given
// to NewPreparedMessage do not reach the wire.
func TestPreparedKeepsOrderAndOwnsItsData(t *testing.T) {
	server, _, cr := serverWith(t, nil, nil, nil)
	data := []byte("prepared")
	pm, err := NewPreparedMessage(DataBinary, data)
	require.NoError(t, err)
	copy(data, "XXXXXXXX")
	require.NoError(t, server.SendText("before"))
	require.NoError(t, server.SendPrepared(pm))
	require.NoError(t, server.SendText("after"))
	require.NoError(t, server.SendPrepared(pm))
	for _, want := range []message{{DataText, []byte("before")}, {DataBinary, []byte("prepared")}, {DataText, []byte("after")}, {DataBinary, []byte("prepared")}} {
		got := cr.message(t)
		assert.Equal(t, want.typ, got.typ)
		assert.Equal(t, string(want.data), string(got.data))
	}
}

// TestPreparedFromClient: a client masks a prepared message with a key of
// its own, like any message, and the server receives it.
func TestPreparedFromClient(t *testing.T) {
	client, server, _, sr := tcpPair(t, nil)
	_ = server
	pm, err := NewPreparedMessage(DataText, []byte("from the client"))
	require.NoError(t, err)
	require.NoError(t, client.SendPrepared(pm))
	require.NoError(t, client.SendPrepared(pm))
	for range 2 {
		assert.Equal(t, "from the client", string(sr.message(t).data))
	}
}

func TestPreparedErrors(t *testing.T) {
	_, err := NewPreparedMessage(DataText, []byte{0xff})
	assert.ErrorIs(t, err, ErrInvalidUTF8)
	_, err = NewPreparedMessage(DataType(9), nil)
	assert.ErrorContains(t, err, "unknown data type 9")

	server, client, cr := serverWith(t, nil, nil, nil)
	assert.ErrorContains(t, server.SendPrepared(nil), "nil PreparedMessage")
	pm, err := NewPreparedMessage(DataBinary, []byte("x"))
	require.NoError(t, err)
	server.Close(CloseNormal, "")
	cr.waitClosed(t)
	<-server.Done()
	assert.ErrorIs(t, server.SendPrepared(pm), ErrNotOpen)
	_ = client
}

// TestPreparedAllocations: sending a prepared message allocates nothing
// per recipient, with and without shared compression.
func TestPreparedAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var n atomic.Int64
	client := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	for _, tt := range []struct {
		name       string
		creg, sreg *extensions.Registry
	}{
		{"plain", nil, nil},
		{"deflate without context takeover", client, countedDeflate(extensions.DeflateOptions{ServerNoContextTakeover: true}, &n)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			server, _, cr := serverWith(t, tt.creg, tt.sreg, nil)
			pm, err := NewPreparedMessage(DataBinary, bytes.Repeat([]byte("fan-out "), 128))
			require.NoError(t, err)
			const runs = 200
			allocs := testing.AllocsPerRun(runs, func() {
				if err := server.SendPrepared(pm); err != nil {
					panic(err)
				}
			})
			for range runs + 1 {
				cr.message(t)
			}
			assert.Zero(t, allocs, "allocations per SendPrepared")
		})
	}
}

package wsconn

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withSweepTick runs the test with a faster idle sweeper.
func withSweepTick(t *testing.T, d time.Duration) {
	old := sweepTick
	sweepTick = d
	t.Cleanup(func() { sweepTick = old })
}

// echoPairs opens n TCP connection pairs whose servers echo, and exchanges
// one message on each, so that every server reader has handled a frame on
// its goroutine.
func echoPairs(t *testing.T, n int) (clients []*WebsocketConnection) {
	for range n {
		a, b := tcpConns(t)
		client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
		server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, nil)
		server.OnMessage(func(typ DataType, d []byte) { server.SendMessage(typ, d) })
		t.Cleanup(func() {
			client.Abort()
			server.Abort()
			<-client.Done()
			<-server.Done()
		})
		clients = append(clients, client)
	}
	for i, c := range clients {
		echoOnce(t, c, fmt.Sprint("hello ", i))
	}
	return clients
}

func echoOnce(t *testing.T, c *WebsocketConnection, msg string) {
	t.Helper()
	require.NoError(t, c.SendText(msg))
	got, err := c.ReceiveText(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, msg, got)
}

// TestIdleReadersMoveToSmallStacks: readers that handled a message and then
// wait move to fresh goroutines, whose stacks are half the size, and the
// connections work on as before.
func TestIdleReadersMoveToSmallStacks(t *testing.T) {
	withSweepTick(t, 20*time.Millisecond)
	const pairs = 100
	moves := idleSweeper.moves.Load()
	clients := echoPairs(t, pairs)
	runtime.GC()
	var busy runtime.MemStats
	runtime.ReadMemStats(&busy)

	// Both ends of every pair handled a frame: 2*pairs readers move.
	deadline := time.Now().Add(waitTimeout)
	for idleSweeper.moves.Load()-moves < 2*pairs && time.Now().Before(deadline) {
		time.Sleep(sweepTick)
	}
	require.GreaterOrEqual(t, idleSweeper.moves.Load()-moves, uint64(2*pairs), "every idle reader moved")
	runtime.GC()
	var idle runtime.MemStats
	runtime.ReadMemStats(&idle)
	saved := (int64(busy.StackInuse) - int64(idle.StackInuse)) / (2 * pairs)
	t.Logf("stack in use: %d B after a message on each connection, %d B less per connection once idle", busy.StackInuse, saved)
	// A moved reader's stack is 2 KiB instead of 4 (8 with -race); what
	// the runtime keeps cached blurs the figure, not by that much.
	assert.Greater(t, saved, int64(512), "idle readers hold smaller stacks")

	// The moved readers read on: no deadline is left behind.
	for i, c := range clients {
		echoOnce(t, c, fmt.Sprint("again ", i))
	}
	for _, c := range clients {
		require.NoError(t, c.Close(CloseNormal, ""))
	}
	for _, c := range clients {
		<-c.Done()
		assert.True(t, c.CloseStatus().Clean, "%v", c.CloseStatus())
	}
}

// TestIdleSweepDuringTraffic sweeps every millisecond while messages flow
// with pauses: readers move in the pauses, and no message is lost,
// reordered or failed by the sweeper's deadline.
func TestIdleSweepDuringTraffic(t *testing.T) {
	withSweepTick(t, time.Millisecond)
	a, b := tcpConns(t)
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, nil)
	errs := make(chan error, 16)
	for _, c := range []*WebsocketConnection{client, server} {
		c.OnError(func(err error) {
			select {
			case errs <- err:
			default:
			}
		})
	}
	server.OnMessage(func(typ DataType, d []byte) { server.SendMessage(typ, d) })
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
	})
	moves := idleSweeper.moves.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitTimeout)
	defer cancel()
	for i := range 2000 {
		msg := bytes.Repeat([]byte{byte(i)}, 1+i%300)
		require.NoError(t, client.SendBinary(msg))
		_, got, err := client.Receive(ctx)
		require.NoError(t, err, "round trip %d", i)
		require.Equal(t, msg, got, "round trip %d", i)
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond) // idle long enough to be moved
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("error: %v", err)
	default:
	}
	assert.Positive(t, idleSweeper.moves.Load()-moves, "readers moved during the pauses")
	require.NoError(t, client.Close(CloseNormal, ""))
	<-client.Done()
	assert.True(t, client.CloseStatus().Clean)
}

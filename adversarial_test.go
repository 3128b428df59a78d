package wsconn

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

// The adversarial suite attacks connections over real TCP on 127.0.0.1
// the way a hostile peer would, and asserts bounds rather than timings:
// memory growth (live heap after collection, or sampled peaks), close
// codes, that the stream is closed, and that nothing leaks. Every loop is
// bounded in count and time, and every wait is for an event, with a
// deadline.

// advSlack is the constant allowance of every memory bound: the test's own
// allocations, the runtime's, and the race detector's.
const advSlack = 8 << 20

const mib = 1 << 20

// advServer returns a server connection over TCP on 127.0.0.1 and the raw
// client at the other end.
func advServer(t *testing.T, exts []extensions.Extension, opts *Options) (*WebsocketConnection, *rawPeer, *recorder) {
	t.Helper()
	return advConn(t, ConnectionServer, exts, opts)
}

func advConn(t *testing.T, typ ConnectionType, exts []extensions.Extension, opts *Options) (*WebsocketConnection, *rawPeer, *recorder) {
	t.Helper()
	a, b := tcpConns(t)
	c := NewWebsocketConnection(iostream.NewConn(b), testURI, typ, "", "", exts, opts)
	rec := record(c)
	p := &rawPeer{t: t, conn: a, br: bufio.NewReaderSize(a, 64<<10), mask: typ == ConnectionServer}
	t.Cleanup(func() {
		c.Abort()
		a.Close()
		rec.waitClosed(t)
	})
	return c, p, rec
}

// appendMasked appends a masked frame, as a client sends it.
func appendMasked(dst []byte, h frame.Header, payload []byte) []byte {
	h.Masked, h.Key = true, [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	return frame.AppendFrame(dst, h, payload)
}

// noLeaks checks, once the test and its cleanups are done, that no
// goroutine started during the test is left.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// noErrors checks that rec got no error event so far.
func noErrors(t *testing.T, rec *recorder) {
	t.Helper()
	select {
	case err := <-rec.errs:
		t.Errorf("unexpected error event: %v", err)
	default:
	}
}

// liveHeap returns HeapInuse after two collections (the second one also
// empties the sync.Pools' victim caches).
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// totalAlloc returns the bytes allocated on the heap so far.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// heapGrowth is after-before in bytes, negative if the heap shrank.
func heapGrowth(after, before uint64) int64 { return int64(after) - int64(before) }

// heapPeak samples the heap in use (HeapInuse: live and not yet swept
// objects, and the unused part of their spans) until end.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

var heapInuseMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	samples := make([]metrics.Sample, len(heapInuseMetrics))
	for i, name := range heapInuseMetrics {
		samples[i].Name = name
	}
	read := func() {
		metrics.Read(samples)
		var sum uint64
		for _, s := range samples {
			sum += s.Value.Uint64()
		}
		if sum > h.peak.Load() {
			h.peak.Store(sum)
		}
	}
	read()
	go func() {
		defer close(h.done)
		for {
			select {
			case <-h.stop:
				read()
				return
			default:
			}
			read()
			time.Sleep(100 * time.Microsecond) // a sampling period, not a wait for an event
		}
	}()
	return h
}

// end stops sampling and returns the peak.
func (h *heapPeak) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// pingPayload is the payload of ping i of a burst: its number and padding.
func pingPayload(i int) []byte {
	return fmt.Appendf(nil, "ping-%06d-%s", i, strings.Repeat("p", 20))
}

func pingIndex(p []byte) (int, bool) {
	if len(p) < 11 || !bytes.HasPrefix(p, []byte("ping-")) {
		return 0, false
	}
	i, err := strconv.Atoi(string(p[5:11]))
	return i, err == nil
}

// TestAdversarialPingBurst: a client sends n pings in one write. The
// server must not crash, must answer every ping or (RFC 6455 section
// 5.5.3) at least the last one, in order, and stay usable both ways.
func TestAdversarialPingBurst(t *testing.T) {
	for _, n := range []int{1, 33, 100, 1000, 10000} {
		t.Run(fmt.Sprintf("pings=%d", n), func(t *testing.T) {
			if n >= 10000 && testing.Short() {
				t.Skip("heavy: runs without -short")
			}
			noLeaks(t)
			c, p, rec := advServer(t, nil, nil)
			var burst []byte
			for i := range n {
				burst = appendMasked(burst, frame.Header{Fin: true, Opcode: frame.OpPing}, pingPayload(i))
			}
			p.write(burst)

			p.conn.SetReadDeadline(time.Now().Add(2 * waitTimeout))
			pongs, last := 0, -1
			for last != n-1 {
				h, payload, err := frame.ReadFrame(p.br, 0)
				require.NoError(t, err, "reading pongs: %d so far, the last for ping %d of %d", pongs, last, n)
				require.Equal(t, frame.OpPong, h.Opcode, "after %d pongs", pongs)
				i, ok := pingIndex(payload)
				require.True(t, ok, "pong payload %q is no ping's", payload)
				require.Greater(t, i, last, "pongs out of order or repeated")
				require.Less(t, i, n)
				pongs++
				last = i
			}
			assert.Equal(t, string(pingPayload(n-1)), string(pingPayload(last)), "the last pong answers the last ping")
			t.Logf("%d pings in one write: %d pongs", n, pongs)

			// Still usable, both ways.
			p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("after the burst"))
			assert.Equal(t, "after the burst", string(rec.message(t).data))
			require.NoError(t, c.SendText("still here"))
			for i := 0; ; i++ {
				require.Less(t, i, n+1, "no text frame")
				h, payload, err := frame.ReadFrame(p.br, 0)
				require.NoError(t, err)
				if h.Opcode == frame.OpPong {
					continue
				}
				require.Equal(t, frame.OpText, h.Opcode)
				assert.Equal(t, "still here", string(payload))
				break
			}
			assert.Equal(t, StateOpen, c.State())
			noErrors(t, rec)
		})
	}
}

// TestAdversarialPingFloodFromPeerThatNeverReads: a client sends pings as
// fast as it can and never reads. The server's pongs cannot be written;
// what it keeps of them must stay bounded (one pending pong is enough:
// RFC 6455 section 5.5.3), or it must stop reading (back-pressure).
func TestAdversarialPingFloodFromPeerThatNeverReads(t *testing.T) {
	noLeaks(t)
	a, b := tcpConns(t)
	// Default socket buffers: they hold a few MiB of pongs, the 200,000
	// pings ask for 25 MiB of them. (Tiny buffers do not help: Linux then
	// stalls the pings too, on a zero window.)
	c := NewWebsocketConnection(iostream.NewConn(b), testURI, ConnectionServer, "", "", nil, nil)
	rec := record(c)
	t.Cleanup(func() {
		c.Abort()
		a.Close()
		rec.waitClosed(t)
	})

	const batch = 1000
	maxPings, budget := 200000, 5*time.Second
	if raceEnabled {
		budget = 10 * time.Second
	}
	var pings []byte
	for i := range batch {
		payload := bytes.Repeat([]byte{byte('a' + i%26)}, frame.MaxControlPayload)
		pings = appendMasked(pings, frame.Header{Fin: true, Opcode: frame.OpPing}, payload)
	}

	before := liveHeap()
	peak := startHeapPeak()
	sent, blocked := 0, false
	start := time.Now()
	for sent < maxPings && time.Since(start) < budget {
		a.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := a.Write(pings); err != nil {
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			blocked = true // the server stopped reading: back-pressure bounds it too
			break
		}
		sent += batch
	}
	if !blocked {
		// Once this message arrives, the server has handled every ping.
		a.SetWriteDeadline(time.Now().Add(waitTimeout))
		_, err := a.Write(appendMasked(nil, frame.Header{Fin: true, Opcode: frame.OpText}, []byte("marker")))
		require.NoError(t, err)
		assert.Equal(t, "marker", string(rec.message(t).data))
	}
	after := liveHeap()
	peakBytes := peak.end()
	growth := heapGrowth(after, before)
	t.Logf("%d pings of 125 bytes sent in %v (server stopped reading: %v); live heap growth %.1f MiB, peak growth %.1f MiB, state %v",
		sent, time.Since(start).Round(time.Millisecond), blocked, float64(growth)/mib, float64(heapGrowth(peakBytes, before))/mib, c.State())
	assert.Less(t, growth, int64(advSlack), "the server keeps a pong backlog that grows with the pings")
}

// TestAdversarialCloseFlood: a peer sends close frame after close frame
// (and other frames) after its first close. The connection ends with the
// status of the first one and leaks nothing.
func TestAdversarialCloseFlood(t *testing.T) {
	flood := func(mask bool, first []byte) []byte {
		app := frame.AppendFrame
		if mask {
			app = appendMasked
		}
		b := app(nil, frame.Header{Fin: true, Opcode: frame.OpClose}, first)
		for i := range 10000 {
			switch i % 5 {
			case 0:
				b = app(b, frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1000, "again"))
			case 1:
				b = app(b, frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(999, ""))
			case 2:
				b = app(b, frame.Header{Fin: true, Opcode: frame.OpClose}, []byte{1})
			case 3:
				b = app(b, frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("ping"))
			case 4:
				b = app(b, frame.Header{Fin: true, Opcode: frame.OpText}, []byte("text"))
			}
		}
		return b
	}
	// readCloseThenEnd reads the close frame, then expects the end of the
	// stream (a reset counts: the server closed with the flood unread).
	readCloseThenEnd := func(t *testing.T, p *rawPeer) CloseCode {
		t.Helper()
		p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		h, payload, err := frame.ReadFrame(p.br, 0)
		require.NoError(t, err)
		require.Equal(t, frame.OpClose, h.Opcode)
		require.GreaterOrEqual(t, len(payload), 2)
		_, _, err = frame.ReadFrame(p.br, 0)
		requireEnd(t, err)
		return CloseCode(binary.BigEndian.Uint16(payload))
	}

	t.Run("server/valid first close", func(t *testing.T) {
		noLeaks(t)
		c, p, rec := advServer(t, nil, &Options{CloseTimeout: 30 * time.Second})
		p.write(flood(true, closePayload(1000, "bye")))
		assert.Equal(t, CloseNormal, readCloseThenEnd(t, p))
		rec.waitClosed(t)
		st := c.CloseStatus()
		assert.Equal(t, CloseNormal, st.Code)
		assert.Equal(t, "bye", st.Reason)
		assert.Equal(t, CloseNormal, st.SentCode, "the server answers with the client's code")
		assert.True(t, st.Clean && st.Remote, "%+v", st)
		noErrors(t, rec)
	})
	t.Run("server/invalid first close", func(t *testing.T) {
		noLeaks(t)
		c, p, rec := advServer(t, nil, &Options{CloseTimeout: 30 * time.Second})
		p.write(flood(true, closePayload(999, "")))
		assert.Equal(t, CloseProtocolError, readCloseThenEnd(t, p))
		rec.waitClosed(t)
		var pe *ProtocolError
		require.ErrorAs(t, rec.err(t), &pe)
		assert.Equal(t, ProtocolError{CloseProtocolError, "invalid close code 999", ErrProtocol}, *pe)
		st := c.CloseStatus()
		assert.Equal(t, CloseProtocolError, st.SentCode)
		assert.False(t, st.Clean)
	})
	t.Run("client/valid first close", func(t *testing.T) {
		noLeaks(t)
		c, p, rec := advConn(t, ConnectionClient, nil, &Options{CloseTimeout: 30 * time.Second})
		p.write(flood(false, closePayload(1001, "going")))
		p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		h, payload, err := frame.ReadFrame(p.br, 0)
		require.NoError(t, err)
		require.Equal(t, frame.OpClose, h.Opcode)
		assert.True(t, h.Masked)
		require.GreaterOrEqual(t, len(payload), 2)
		assert.Equal(t, CloseGoingAway, CloseCode(binary.BigEndian.Uint16(payload)), "the client answers with the server's code")
		// The server ends the TCP stream; the client closes it too, and
		// sends nothing after its close frame.
		require.NoError(t, p.conn.(*net.TCPConn).CloseWrite())
		rec.waitClosed(t)
		_, _, err = frame.ReadFrame(p.br, 0)
		requireEnd(t, err)
		st := c.CloseStatus()
		assert.Equal(t, CloseGoingAway, st.Code)
		assert.Equal(t, "going", st.Reason)
		assert.Equal(t, CloseGoingAway, st.SentCode)
		assert.True(t, st.Clean && st.Remote, "%+v", st)
		noErrors(t, rec)
	})
}

// requireEnd requires err to be the end of a TCP stream: EOF, or a reset.
func requireEnd(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err, "a frame where the stream should end")
	require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the stream was not closed")
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("stream ended with %v, want EOF or a reset", err)
	}
}

// TestAdversarialTinyFragments: a message of 100,000 one-byte fragments is
// delivered intact within the limits, or fails with 1009 past the total
// limit; either way memory stays bounded.
func TestAdversarialTinyFragments(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: runs without -short")
	}
	const n = 100000
	want := make([]byte, n)
	var wire []byte
	for i := range n {
		want[i] = byte('a' + i%26)
		op := frame.OpContinuation
		if i == 0 {
			op = frame.OpText
		}
		wire = appendMasked(wire, frame.Header{Fin: i == n-1, Opcode: op}, want[i:i+1])
	}
	check := func(t *testing.T, before uint64, peak *heapPeak, limit int64) {
		t.Helper()
		p := peak.end()
		growth := heapGrowth(p, before)
		t.Logf("peak heap growth %.1f MiB (message limit %d KiB)", float64(growth)/mib, limit>>10)
		assert.Less(t, growth, 4*limit+advSlack)
	}

	t.Run("within limits", func(t *testing.T) {
		noLeaks(t)
		const limit = 128 << 10
		_, p, rec := advServer(t, nil, &Options{MaxTotalMessageSize: limit})
		before := liveHeap()
		peak := startHeapPeak()
		p.write(wire)
		got := rec.message(t)
		check(t, before, peak, limit)
		assert.Equal(t, DataText, got.typ)
		assert.True(t, bytes.Equal(want, got.data), "message of %d bytes delivered as %d bytes", n, len(got.data))
		noErrors(t, rec)
	})
	t.Run("over the total limit", func(t *testing.T) {
		noLeaks(t)
		const limit = 64 << 10
		c, p, rec := advServer(t, nil, &Options{MaxTotalMessageSize: limit})
		before := liveHeap()
		peak := startHeapPeak()
		go func() { // the server may stop reading once it has failed
			p.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
			p.conn.Write(wire)
		}()
		code, _, _ := p.readClose()
		check(t, before, peak, limit)
		assert.Equal(t, CloseMessageTooBig, code)
		var perr *ProtocolError
		require.ErrorAs(t, rec.err(t), &perr)
		assert.Equal(t, CloseMessageTooBig, perr.Code)
		assert.ErrorIs(t, perr, ErrMessageTooBig)
		assert.Equal(t, CloseMessageTooBig, c.CloseStatus().SentCode)
		assert.Empty(t, drainMessages(rec))
	})
	t.Run("fragment receiver", func(t *testing.T) {
		noLeaks(t)
		const limit = 128 << 10
		a, b := tcpConns(t)
		c := NewWebsocketConnection(iostream.NewConn(b), testURI, ConnectionServer, "", "", nil, &Options{MaxTotalMessageSize: limit})
		var frags, size int
		done := make(chan struct{})
		closed := make(chan struct{})
		c.Hold(func() {
			c.OnFragment(func(typ DataType, data []byte, fin bool) {
				frags++
				size += len(data)
				if fin {
					close(done)
				}
			})
			c.OnClosed(func() { close(closed) })
		})
		t.Cleanup(func() {
			c.Abort()
			a.Close()
			select {
			case <-closed:
			case <-time.After(waitTimeout):
				t.Error("connection not closed")
			}
		})
		before := liveHeap()
		peak := startHeapPeak()
		a.SetWriteDeadline(time.Now().Add(waitTimeout))
		_, err := a.Write(wire)
		require.NoError(t, err)
		select {
		case <-done:
		case <-time.After(2 * waitTimeout):
			t.Fatal("the last fragment did not arrive")
		}
		check(t, before, peak, limit)
		assert.Equal(t, n, size)
		t.Logf("%d fragments delivered for %d frames", frags, n)
	})
}

// readWatch is a stream that tells how much the connection has read and
// whether it is blocked reading. It is not an iostream.ReadWaiter, so the
// connection reads it directly.
type readWatch struct {
	net.Conn
	read    atomic.Int64
	reading atomic.Int32
}

func (w *readWatch) Read(p []byte) (int, error) {
	w.reading.Add(1)
	n, err := w.Conn.Read(p)
	w.read.Add(int64(n))
	w.reading.Add(-1)
	return n, err
}

// TestAdversarialHugeAnnouncedLength: 20 clients each announce a frame of
// 64 MiB (the limit), then send nothing or a trickle. The server may only
// spend memory on what arrives, not on what is announced.
func TestAdversarialHugeAnnouncedLength(t *testing.T) {
	// A peer that has sent a real 1 MiB frame first is trusted with 1 MiB
	// at once, no more.
	for _, warmup := range []int{0, 1 << 20} {
		t.Run(fmt.Sprintf("after a frame of %d bytes", warmup), func(t *testing.T) {
			testHugeAnnouncedLength(t, warmup)
		})
	}
}

func testHugeAnnouncedLength(t *testing.T, warmup int) {
	noLeaks(t)
	const conns, announced, trickle = 20, 64 << 20, 4 << 10
	before := liveHeap()
	watches := make([]*readWatch, conns)
	sent := make([]int64, conns)
	for i := range conns {
		a, b := tcpConns(t)
		w := &readWatch{Conn: b}
		watches[i] = w
		c := NewWebsocketConnection(w, testURI, ConnectionServer, "", "", nil,
			&Options{MaxIncomingPayloadSize: announced, MaxTotalMessageSize: announced})
		c.OnMessage(func(DataType, []byte) {}) // keeps no message
		t.Cleanup(func() {
			c.Abort()
			a.Close()
			<-c.Done()
		})
		var msg []byte
		if warmup > 0 {
			msg = frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, make([]byte, warmup))
		}
		h := frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: announced}
		msg = frame.AppendHeader(msg, h)
		if i%2 == 1 {
			msg = append(msg, make([]byte, trickle)...)
		}
		sent[i] = int64(len(msg))
		a.SetWriteDeadline(time.Now().Add(waitTimeout))
		_, err := a.Write(msg)
		require.NoError(t, err)
	}
	// Wait until every server has read all that was sent and waits for
	// more, inside the frame's payload.
	deadline := time.Now().Add(waitTimeout)
	for i, w := range watches {
		for w.read.Load() != sent[i] || w.reading.Load() == 0 {
			require.True(t, time.Now().Before(deadline), "connection %d read %d of %d bytes", i, w.read.Load(), sent[i])
			time.Sleep(time.Millisecond)
		}
	}
	growth := heapGrowth(liveHeap(), before)
	t.Logf("%d connections each announcing %d MiB (half with %d KiB of payload): live heap growth %.1f MiB",
		conns, announced>>20, trickle>>10, float64(growth)/mib)
	bound := int64(conns*(max(firstStep, warmup)+64<<10) + 4<<20)
	assert.Less(t, growth, bound, "memory follows the bytes received, not the announced lengths (20x%d MiB announced)", announced>>20)
}

// bombPayload returns a raw DEFLATE stream, as permessage-deflate sends
// it, of blocks copies of blockSize zeros: each copy is a sync-flushed
// stream of its own, and such streams concatenate.
func bombPayload(t *testing.T, blockSize, blocks int) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(make([]byte, blockSize))
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	block := buf.Bytes()
	require.True(t, bytes.HasSuffix(block, []byte{0, 0, 0xff, 0xff}))
	out := bytes.Repeat(block, blocks)
	return out[:len(out)-4]
}

// TestAdversarialDecompressionBomb: a compressed message that inflates to
// 1 GiB of zeros fails with 1009, and the server's peak heap stays near
// the limit.
func TestAdversarialDecompressionBomb(t *testing.T) {
	// The construction holds: a small bomb inflates to what it says.
	small := bombPayload(t, 1<<20, 4)
	fr := flate.NewReader(io.MultiReader(bytes.NewReader(small), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	n, err := io.Copy(io.Discard, fr)
	require.NoError(t, err)
	require.Equal(t, int64(4<<20), n)

	bomb := bombPayload(t, 1<<20, 1024) // 1 GiB of zeros
	t.Logf("bomb: %d bytes inflating to 1 GiB", len(bomb))
	for _, limit := range []int64{16 << 20, 64 << 20} {
		t.Run(fmt.Sprintf("limit=%dMiB", limit>>20), func(t *testing.T) {
			if limit > 16<<20 && testing.Short() {
				t.Skip("heavy: runs without -short")
			}
			noLeaks(t)
			_, sexts := negotiate(t, deflateReg(extensions.DeflateOptions{}), deflateReg(extensions.DeflateOptions{}))
			require.Len(t, sexts, 1)
			c, p, rec := advServer(t, sexts, &Options{MaxIncomingPayloadSize: limit, MaxTotalMessageSize: limit})
			wire := appendMasked(nil, frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpBinary}, bomb)

			before := liveHeap()
			allocBefore := totalAlloc()
			peak := startHeapPeak()
			p.write(wire)
			code, _, _ := p.readClose()
			err := rec.err(t)
			peakBytes := peak.end()
			allocated := int64(totalAlloc() - allocBefore)
			growth := heapGrowth(peakBytes, before)
			bound := limit + limit/2 + advSlack
			t.Logf("limit %d MiB: peak heap growth %.1f MiB, allocated %.1f MiB (bound %.1f MiB)",
				limit>>20, float64(growth)/mib, float64(allocated)/mib, float64(bound)/mib)
			assert.Equal(t, CloseMessageTooBig, code)
			var perr *ProtocolError
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, CloseMessageTooBig, perr.Code)
			assert.ErrorIs(t, err, ErrMessageTooBig)
			assert.Equal(t, CloseMessageTooBig, c.CloseStatus().SentCode)
			assert.LessOrEqual(t, growth, bound, "peak heap while inflating")
			// What was allocated bounds the peak from above, whatever the
			// collector's timing: growing one buffer by doubling to the
			// limit allocates about twice the limit.
			assert.LessOrEqual(t, allocated, bound, "bytes allocated while inflating")
		})
	}
}

// rawRequest is a handshake request head; change edits its header lines.
func rawRequest(method, host string, change func(h http.Header)) []byte {
	h := http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
	}
	if change != nil {
		change(h)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s / HTTP/1.1\r\nHost: %s\r\n", method, host)
	if method == http.MethodPost {
		b.WriteString("Content-Length: 0\r\n")
	}
	h.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// TestAdversarialRefusedHandshakeClosesConnection: a refused handshake is
// answered with a 4xx and the server then closes the TCP connection, so
// that a client cannot keep it (and retry on it) for free.
func TestAdversarialRefusedHandshakeClosesConnection(t *testing.T) {
	noLeaks(t)
	var called atomic.Bool
	srv := httptest.NewUnstartedServer(Handler(nil, func(c *WebsocketConnection, r *http.Request) {
		called.Store(true)
		c.Abort()
	}))
	srv.Config.ReadHeaderTimeout = waitTimeout
	srv.Config.IdleTimeout = time.Minute // longer than the test waits
	srv.Start()
	t.Cleanup(srv.Close)
	host := srv.Listener.Addr().String()

	tests := []struct {
		name   string
		method string
		change func(h http.Header)
		status int
	}{
		{"missing key", http.MethodGet, func(h http.Header) { h.Del("Sec-Websocket-Key") }, 400},
		{"bad key", http.MethodGet, func(h http.Header) { h.Set("Sec-Websocket-Key", "short") }, 400},
		{"not an upgrade", http.MethodGet, func(h http.Header) { h.Del("Upgrade") }, 400},
		{"POST", http.MethodPost, nil, 400},
		{"old version", http.MethodGet, func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }, 426},
		{"cross origin", http.MethodGet, func(h http.Header) { h.Set("Origin", "https://evil.example") }, 403},
	}
	// Each refusal is read first; then all connections wait for their
	// end at once, with one deadline.
	type refused struct {
		name       string
		conn       net.Conn
		br         *bufio.Reader
		connection string // the response's Connection header
	}
	var open []refused
	parent := t
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", host)
			require.NoError(t, err)
			parent.Cleanup(func() { conn.Close() }) // open until all have been waited for
			conn.SetDeadline(time.Now().Add(waitTimeout))
			_, err = conn.Write(rawRequest(tt.method, host, tt.change))
			require.NoError(t, err)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			_, err = io.Copy(io.Discard, resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500, "status %d", resp.StatusCode)
			open = append(open, refused{tt.name, conn, br, resp.Header.Get("Connection")})
		})
	}
	deadline := time.Now().Add(waitTimeout / 2)
	type ended struct {
		rest []byte
		err  error
	}
	results := make([]chan ended, len(open))
	for i, r := range open {
		results[i] = make(chan ended, 1)
		go func() {
			r.conn.SetReadDeadline(deadline)
			rest, err := io.ReadAll(r.br)
			results[i] <- ended{rest, err}
		}()
	}
	for i, r := range open {
		e := <-results[i] // bounded by the read deadline
		if e.err != nil {
			t.Errorf("%s: the server kept the connection open after refusing the handshake (Connection: %q): %v", r.name, r.connection, e.err)
		}
		assert.Empty(t, e.rest, "%s: bytes after the refusal", r.name)
	}
	t.Cleanup(func() { assert.False(t, called.Load(), "a refused handshake reached the handler") })
}

// TestAdversarialSlowloris: a client sends its request head one byte at a
// time. The server's ReadHeaderTimeout cuts it off long before the head is
// complete, and the handler never runs.
func TestAdversarialSlowloris(t *testing.T) {
	noLeaks(t)
	var called atomic.Bool
	srv := &http.Server{
		ReadHeaderTimeout: 200 * time.Millisecond,
		Handler: Handler(nil, func(c *WebsocketConnection, r *http.Request) {
			called.Store(true)
			c.Abort()
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	})

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	head := rawRequest(http.MethodGet, ln.Addr().String(), nil)
	var written atomic.Int64
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for i := range head { // at 10 ms a byte, the head takes seconds
			if _, err := conn.Write(head[i : i+1]); err != nil {
				return
			}
			written.Add(1)
			time.Sleep(10 * time.Millisecond) // the attack's pace
		}
	}()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	got, err := io.ReadAll(conn)
	n := written.Load()
	conn.Close()
	<-wrote
	if err != nil {
		require.ErrorIs(t, err, syscall.ECONNRESET, "the server did not close the connection")
	}
	assert.Less(t, n, int64(len(head)), "the whole head went through")
	if len(got) > 0 { // Go answers 400 or 408 before it hangs up, depending on where the head was cut
		assert.True(t, strings.HasPrefix(string(got), "HTTP/1.1 4"), "got %q", got)
	}
	assert.False(t, called.Load(), "the handler ran")
	t.Logf("cut off after %d of %d bytes", n, len(head))
}

// TestAdversarialFramingErrorClosesPromptly: after a framing error (a
// 64-bit length with its top bit set) nothing more can be parsed, so the
// server sends close 1002 and closes the TCP stream at once, without
// waiting out its close timeout for a close frame it could not read.
func TestAdversarialFramingErrorClosesPromptly(t *testing.T) {
	noLeaks(t)
	c, p, rec := advServer(t, nil, &Options{CloseTimeout: 30 * time.Second})
	p.write([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4})
	p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	h, payload, err := frame.ReadFrame(p.br, 0)
	require.NoError(t, err)
	require.Equal(t, frame.OpClose, h.Opcode)
	require.GreaterOrEqual(t, len(payload), 2)
	assert.Equal(t, CloseProtocolError, CloseCode(binary.BigEndian.Uint16(payload)))
	_, _, err = frame.ReadFrame(p.br, 0)
	requireEnd(t, err)
	rec.waitClosed(t)
	var perr *ProtocolError
	require.ErrorAs(t, rec.err(t), &perr)
	assert.Equal(t, CloseProtocolError, perr.Code)
	assert.Equal(t, CloseProtocolError, c.CloseStatus().SentCode)
}

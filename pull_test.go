package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/frame"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// bare returns a client and a server over TCP with no handlers connected,
// for the pull API.
func bare(t *testing.T, opts *Options) (client, server *WebsocketConnection) {
	t.Helper()
	a, b := tcpConns(t)
	client = NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, opts)
	server = NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, opts)
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		for _, c := range []*WebsocketConnection{client, server} {
			require.Eventually(t, func() bool { return c.State() == StateClosed }, waitTimeout, time.Millisecond)
		}
	})
	return client, server
}

func TestReceive(t *testing.T) {
	client, server := bare(t, nil)
	ctx := testCtx(t)
	require.NoError(t, client.SendText("hello"))
	require.NoError(t, client.SendBinary([]byte{1, 2}))
	typ, data, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, DataText, typ)
	assert.Equal(t, "hello", string(data))
	typ, data, err = server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, DataBinary, typ)
	assert.Equal(t, []byte{1, 2}, data)
}

func TestReceiveTypedFormsLeaveOtherTypes(t *testing.T) {
	client, server := bare(t, nil)
	ctx := testCtx(t)
	require.NoError(t, client.SendBinary([]byte("bytes")))
	require.NoError(t, client.SendText("text"))
	_, err := server.ReceiveText(ctx)
	assert.ErrorIs(t, err, ErrUnexpectedType)
	b, err := server.ReceiveBinary(ctx) // the message was left in place
	require.NoError(t, err)
	assert.Equal(t, "bytes", string(b))
	s, err := server.ReceiveText(ctx)
	require.NoError(t, err)
	assert.Equal(t, "text", s)
}

func TestReceiveAfterCloseReturnsCloseError(t *testing.T) {
	client, server := bare(t, nil)
	ctx := testCtx(t)
	require.NoError(t, client.SendText("last words"))
	require.NoError(t, client.Close(4001, "bye"))
	s, err := server.ReceiveText(ctx)
	require.NoError(t, err, "messages before the close are received first")
	assert.Equal(t, "last words", s)
	typ, data, err := server.Receive(ctx)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, CloseCode(4001), ce.Code)
	assert.Equal(t, "bye", ce.Reason)
	assert.Zero(t, typ)
	assert.Nil(t, data)
	_, _, err = server.Receive(ctx) // and again
	assert.ErrorAs(t, err, &ce)
}

func TestReceiveContextAndAbort(t *testing.T) {
	_, server := bare(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := server.Receive(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// Abort wakes every waiting receive.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := server.Receive(context.Background())
			errs <- err
		}()
	}
	server.Abort()
	wg.Wait()
	close(errs)
	for err := range errs {
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, CloseAbnormal, ce.Code)
	}
}

func TestPullAndHandlersBothSeeEveryMessage(t *testing.T) {
	client, server := bare(t, nil)
	seen := make(chan string, 10)
	server.OnMessage(func(_ DataType, d []byte) { seen <- string(d) })
	ctx := testCtx(t)
	pulled := make(chan string, 10)
	go func() {
		for i := 0; i < 2; i++ {
			s, err := server.ReceiveText(ctx)
			if err != nil {
				return
			}
			pulled <- s
		}
	}()
	// The pull API receives the messages that come after its first call.
	require.Eventually(t, server.sigs.pull.active.Load, waitTimeout, time.Millisecond)
	require.NoError(t, client.SendText("one"))
	require.NoError(t, client.SendText("two"))
	for _, want := range []string{"one", "two"} {
		assert.Equal(t, want, <-pulled)
		assert.Equal(t, want, <-seen)
	}
}

func TestReceiveReassemblesFragments(t *testing.T) {
	client, server := bare(t, &Options{FragmentSize: 1000, MaxTotalMessageSize: -1, MaxIncomingPayloadSize: -1})
	big := payloadOf(100000)
	require.NoError(t, client.SendBinary(big))
	b, err := server.ReceiveBinary(testCtx(t))
	require.NoError(t, err)
	assert.Equal(t, big, b)
}

func TestNextReaderStreamsALargeMessage(t *testing.T) {
	client, server := bare(t, &Options{FragmentSize: 4096, MaxTotalMessageSize: -1, MaxIncomingPayloadSize: -1})
	big := payloadOf(1 << 20)
	require.NoError(t, client.SendText(string(big)))
	require.NoError(t, client.SendText("next"))
	ctx := testCtx(t)
	typ, r, err := server.NextReader(ctx)
	require.NoError(t, err)
	assert.Equal(t, DataText, typ)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big, got))
	s, err := server.ReceiveText(ctx)
	require.NoError(t, err)
	assert.Equal(t, "next", s)
}

// TestNextReaderYieldsFramesAsTheyArrive: Receive takes whole messages,
// and once NextReader is used, the pull API takes the following messages
// frame by frame, so the reader yields a frame before the message's last
// one was even sent.
func TestNextReaderYieldsFramesAsTheyArrive(t *testing.T) {
	client, server := bare(t, nil)
	ctx := testCtx(t)
	w, err := client.NextWriter(ctx, DataBinary)
	require.NoError(t, err)
	_, err = w.Write([]byte("whole"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, got, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "whole", string(got))

	read := make(chan []byte, 1)
	go func() {
		_, r, err := server.NextReader(ctx)
		if err != nil {
			read <- nil
			return
		}
		buf := make([]byte, 5)
		_, err = io.ReadFull(r, buf)
		if err != nil {
			buf = nil
		}
		read <- buf
	}()
	// The message starts only once NextReader is used: it comes frame
	// by frame.
	require.Eventually(t, func() bool { return server.sigs.pull.frames.Load() }, waitTimeout, time.Millisecond)
	w, err = client.NextWriter(ctx, DataBinary)
	require.NoError(t, err)
	_, err = w.Write([]byte("first"))
	require.NoError(t, err)
	select {
	case b := <-read:
		assert.Equal(t, "first", string(b))
	case <-time.After(waitTimeout):
		t.Fatal("the first frame was not readable before the message ended")
	}
	require.NoError(t, w.Close())
}

func TestNextReaderUnreadRestIsSkipped(t *testing.T) {
	client, server := bare(t, &Options{FragmentSize: 100})
	require.NoError(t, client.SendText(strings.Repeat("x", 1000)))
	require.NoError(t, client.SendText("after"))
	ctx := testCtx(t)
	_, r, err := server.NextReader(ctx)
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	s, err := server.ReceiveText(ctx)
	require.NoError(t, err)
	assert.Equal(t, "after", s)
	_, err = r.Read(buf)
	assert.Error(t, err, "the old reader is stale")
}

func TestOnFragment(t *testing.T) {
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, &Options{MaxTotalMessageSize: 250})
	type frag struct {
		typ  DataType
		data string
		fin  bool
	}
	frags := make(chan frag, 10)
	c.OnFragment(func(typ DataType, data []byte, fin bool) { frags <- frag{typ, string(data), fin} })
	errs := make(chan error, 1)
	c.OnError(func(err error) { errs <- err })
	closed := make(chan struct{})
	c.OnClosed(func() { close(closed) })
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	defer func() {
		c.Abort()
		<-closed
	}()
	p.send(frame.Header{Opcode: frame.OpText}, []byte("Hel"))
	assert.Equal(t, frag{DataText, "Hel", false}, <-frags, "delivered before the message ends")
	p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, []byte("lo"))
	assert.Equal(t, frag{DataText, "lo", true}, <-frags)
	p.send(frame.Header{Fin: true, Opcode: frame.OpBinary}, []byte{7})
	assert.Equal(t, frag{DataBinary, "\x07", true}, <-frags)

	// The limits still apply to the whole message.
	p.send(frame.Header{Opcode: frame.OpBinary}, make([]byte, 200))
	<-frags
	p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, make([]byte, 100))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseMessageTooBig, code)
	assert.ErrorIs(t, <-errs, ErrMessageTooBig)
}

func TestNextWriterSendsPiecesAndHoldsOthersBack(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionServer, nil)
	ctx := testCtx(t)
	w, err := c.NextWriter(ctx, DataText)
	require.NoError(t, err)
	_, err = w.Write([]byte("part one, "))
	require.NoError(t, err)
	h, payload := p.read()
	assert.Equal(t, frame.OpText, h.Opcode)
	assert.False(t, h.Fin)
	assert.Equal(t, "part one, ", string(payload))

	require.NoError(t, c.SendText("queued meanwhile")) // waits behind the stream
	require.NoError(t, c.Ping([]byte("p")))            // control frames pass
	h, payload = p.read()
	assert.Equal(t, frame.OpPing, h.Opcode)
	assert.Equal(t, "p", string(payload))

	_, err = w.Write([]byte("part two"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	var text []byte
	for i := 0; i < 10; i++ {
		h, payload = p.read()
		require.Equal(t, frame.OpContinuation, h.Opcode)
		text = append(text, payload...)
		if h.Fin {
			break
		}
	}
	assert.Equal(t, "part two", string(text))
	h, payload = p.read()
	assert.Equal(t, frame.OpText, h.Opcode)
	assert.Equal(t, "queued meanwhile", string(payload))
}

func TestNextWriterRefusesBadUTF8(t *testing.T) {
	c, _, _ := newRaw(t, ConnectionServer, nil)
	w, err := c.NextWriter(testCtx(t), DataText)
	require.NoError(t, err)
	_, err = w.Write([]byte{0xff})
	assert.ErrorIs(t, err, ErrInvalidUTF8)
	_, err = w.Write([]byte("ok \xe2\x82"))
	require.Error(t, err, "once invalid, stays invalid")
	require.Error(t, w.Close())
}

// TestNextWriterStreamsWithBoundedQueue copies 8 MiB from a reader into
// NextWriter through a 64 KiB queue bound: the reader is consumed while the
// peer receives.
func TestNextWriterStreamsWithBoundedQueue(t *testing.T) {
	const size = 8 << 20
	client, server := bare(t, &Options{MaxQueuedBytes: 64 << 10, MaxTotalMessageSize: -1, MaxIncomingPayloadSize: -1})
	ctx := testCtx(t)
	sent := make(chan error, 1)
	go func() {
		w, err := client.NextWriter(ctx, DataBinary)
		if err == nil {
			_, err = io.Copy(w, bytes.NewReader(payloadOf(size)))
		}
		if err == nil {
			err = w.Close()
		}
		sent <- err
	}()
	typ, r, err := server.NextReader(ctx)
	require.NoError(t, err)
	assert.Equal(t, DataBinary, typ)
	n, err := io.Copy(io.Discard, r)
	require.NoError(t, err)
	assert.Equal(t, int64(size), n)
	require.NoError(t, <-sent)
}

func TestPingAndPingSignal(t *testing.T) {
	client, server, cr, _ := pair(t, nil)
	pings := make(chan string, 1)
	server.OnPing(func(p []byte) { pings <- string(p) })
	require.NoError(t, client.Ping([]byte("are you there?")))
	assert.Equal(t, "are you there?", <-pings)
	select {
	case p := <-cr.pongs:
		assert.Equal(t, "are you there?", string(p))
	case <-time.After(waitTimeout):
		t.Fatal("no pong")
	}
	assert.Error(t, client.Ping(make([]byte, 126)))
}

func TestKeepaliveRoundTripTime(t *testing.T) {
	client, _, cr, _ := pair(t, &Options{KeepaliveInterval: time.Millisecond, KeepalivePingPayload: []byte("rtt")})
	select {
	case p := <-cr.pongs:
		assert.Equal(t, "rtt", string(p))
	case <-time.After(waitTimeout):
		t.Fatal("no pong")
	}
	assert.Eventually(t, func() bool { return client.RoundTripTime() > 0 }, waitTimeout, time.Millisecond)
}

func TestSendUncompressed(t *testing.T) {
	cexts, _ := negotiate(t, deflateReg(extensions.DeflateOptions{}), deflateReg(extensions.DeflateOptions{}))
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", cexts, nil)
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b)}
	defer func() {
		c.Abort()
		rec.waitClosed(t)
	}()
	text := strings.Repeat("secret=42;", 100)
	require.NoError(t, c.SendText(text))
	h, _ := p.read()
	assert.Equal(t, frame.RSV1, h.RSV, "compressed by default")
	require.NoError(t, c.SendUncompressed(DataText, []byte(text)))
	h, payload := p.read()
	assert.Zero(t, h.RSV)
	assert.Equal(t, text, string(payload))
}

func TestWithoutUTF8Validation(t *testing.T) {
	_, p, rec := newRaw(t, ConnectionServer, &Options{SkipUTF8Validation: true})
	p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("not \xff UTF-8"))
	assert.Equal(t, "not \xff UTF-8", string(rec.message(t).data))
}

func TestWithMaskKeySource(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionClient, &Options{MaskKeySource: func() [4]byte { return [4]byte{1, 2, 3, 4} }})
	require.NoError(t, c.SendText("x"))
	h, payload := p.read()
	assert.Equal(t, [4]byte{1, 2, 3, 4}, h.Key)
	assert.Equal(t, "x", string(payload))
}

func TestWithLoggerTracesFrames(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, _, _, sr := pair(t, &Options{Logger: log})
	require.NoError(t, client.SendText("traced"))
	sr.message(t)
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(buf.String(), "frame sent") && strings.Contains(buf.String(), "frame received")
	}, waitTimeout, time.Millisecond)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestWithLoggerTracesHandshakes(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := &Options{Logger: log}
	srv := httptest.NewServer(Handler(&AcceptOptions{ConnectionOptions: opts}, func(c *WebsocketConnection, r *http.Request) {
		c.Close(CloseNormal, "")
	}))
	defer srv.Close()
	c, _, err := dialTest(t, srv.URL, &DialOptions{ConnectionOptions: opts})
	require.NoError(t, err)
	_, _, err = c.Receive(testCtx(t))
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"handshake request", "handshake response", "handshake accepted", "frame sent", "frame received"} {
		assert.Contains(t, buf.String(), want)
	}

	// Above debug level nothing is traced.
	var quiet bytes.Buffer
	c2, _, err := dialTest(t, srv.URL, &DialOptions{ConnectionOptions: &Options{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &quiet}, &slog.HandlerOptions{Level: slog.LevelInfo}))}})
	mu.Unlock()
	require.NoError(t, err)
	c2.Receive(testCtx(t))
	mu.Lock()
	assert.Empty(t, quiet.String())
}

// TestNextWriterWriteHonoursContext: a Write that waits for room in the
// queue returns when NextWriter's context is cancelled.
func TestNextWriterWriteHonoursContext(t *testing.T) {
	c, _, _ := newRawOver(t, ConnectionServer, 1024, &Options{MaxQueuedBytes: 4096})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := c.NextWriter(ctx, DataBinary)
	require.NoError(t, err)
	res := make(chan error, 1)
	go func() {
		chunk := make([]byte, 2048)
		for i := 0; i < 1000; i++ {
			if _, err := w.Write(chunk); err != nil {
				res <- err
				return
			}
		}
		res <- nil
	}()
	// The peer reads nothing: once the queue is at its bound, Write waits.
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.wr.waiters) == 1
	}, waitTimeout, time.Millisecond)
	select {
	case err := <-res:
		t.Fatalf("Write returned before the cancel: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-res:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(waitTimeout):
		t.Fatal("Write did not return when NextWriter's context was cancelled")
	}
}

// TestReceiveKeepsTheCause: the error of a receive after a failure is a
// *CloseError through which errors.Is and errors.As find the cause.
func TestReceiveKeepsTheCause(t *testing.T) {
	t.Run("pong timeout", func(t *testing.T) {
		c, p, _ := newRaw(t, ConnectionServer,
			&Options{KeepaliveInterval: 10 * time.Millisecond, KeepalivePongTimeout: 30 * time.Millisecond})
		h, _ := p.read()
		require.Equal(t, frame.OpPing, h.Opcode) // never answered
		_, _, err := c.Receive(testCtx(t))
		assert.ErrorIs(t, err, ErrPongTimeout)
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, CloseAbnormal, ce.Code)
	})
	t.Run("protocol error", func(t *testing.T) {
		c, p, _ := newRaw(t, ConnectionServer, nil)
		p.send(frame.Header{Fin: true, Opcode: frame.Opcode(3)}, nil) // reserved opcode
		code, _, _ := p.readClose()
		require.Equal(t, CloseProtocolError, code)
		p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseProtocolError, ""))
		_, _, err := c.Receive(testCtx(t))
		var perr *ProtocolError
		require.ErrorAs(t, err, &perr)
		assert.Equal(t, CloseProtocolError, perr.Code)
		assert.ErrorIs(t, err, ErrProtocol)
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, CloseProtocolError, ce.Code)
	})
	t.Run("close timeout", func(t *testing.T) {
		c, p, _ := newRaw(t, ConnectionClient, &Options{CloseTimeout: 50 * time.Millisecond})
		require.NoError(t, c.Close(CloseNormal, ""))
		p.readClose() // never answered
		_, _, err := c.Receive(testCtx(t))
		assert.ErrorIs(t, err, ErrCloseTimeout)
		var ce *CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, CloseAbnormal, ce.Code)
	})
}

package servers

import (
	"io"
	"net"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
)

// gobwasSubscriber is a subscriber of gobwas's fan-out server.
type gobwasSubscriber struct {
	deflate bool // permessage-deflate was negotiated
	out     *outbox[[]byte]
}

// gobwasFanout is gobwas's fan-out server. gobwas has no broadcast of its
// own; its low-level API lets a server compile a frame once
// (ws.CompileFrame) and write the same bytes to every connection, server
// frames being unmasked, and compress it once with wsflate's Helper
// (at BestSpeed, as the echo server does): the server counts those
// compressions. Each subscriber has a writer goroutine fed by a buffered
// channel, as gorilla's chat example does, and its connection's goroutine
// reads (and drops) what it sends, answering the control frames.
type gobwasFanout struct {
	cfg  Config
	subs *subscriberSet[*gobwasSubscriber]
	zip  wsflate.Helper
}

func gobwasFanoutServe(cfg Config) func(net.Conn) {
	cfg.Fanout.counted.Store(true)
	s := &gobwasFanout{
		cfg:  cfg,
		subs: newSubscriberSet[*gobwasSubscriber](cfg.Fanout),
		zip:  wsflate.Helper{Compressor: newFlateWriter, Decompressor: newFlateReader},
	}
	return s.serve
}

// serve upgrades nc and serves it as the publisher or a subscriber.
func (s *gobwasFanout) serve(nc net.Conn) {
	defer nc.Close()
	var ext wsflate.Extension
	var uri string
	u := ws.Upgrader{OnRequest: func(b []byte) error { uri = string(b); return nil }}
	if s.cfg.Deflate {
		ext.Parameters = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
		u.Negotiate = ext.Negotiate
	}
	nc.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := u.Upgrade(nc); err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	_, deflate := ext.Accepted()
	isPub, n, err := fanout.ParseRequest(uri)
	switch {
	case err != nil:
		ws.WriteFrame(nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusPolicyViolation, err.Error())))
	case isPub:
		s.publisher(nc, deflate, n)
	default:
		sub := &gobwasSubscriber{deflate: deflate, out: newOutbox[[]byte]()}
		go sub.out.drain(func(frame []byte) error { _, err := nc.Write(frame); return err })
		s.subs.add(sub)
		defer s.subs.remove(sub)
		defer sub.out.leave()
		gobwasDrop(nc)
	}
}

// gobwasDrop reads nc's messages and drops them, answering the control
// frames, until the connection closes.
func gobwasDrop(nc net.Conn) {
	state := ws.StateServerSide | ws.StateExtended // RSV1 may be set, with deflate
	onControl := wsutil.ControlFrameHandler(nc, state)
	rd := wsutil.Reader{Source: nc, State: state, MaxFrameSize: MaxMessage, OnIntermediate: onControl}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return
		}
		if h.OpCode.IsControl() {
			err = onControl(h, &rd)
		} else {
			err = rd.Discard()
		}
		if err != nil {
			return // a close frame, answered, or the peer is gone
		}
	}
}

// publisher serves the publisher: ReadyMessage once n subscribers have
// joined, then every message it sends is published.
func (s *gobwasFanout) publisher(nc net.Conn, deflate bool, n int) {
	if err := s.cfg.Fanout.waitFor(n); err != nil {
		ws.WriteFrame(nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusCode(1013), "subscribers missing")))
		return
	}
	if err := ws.WriteFrame(nc, ws.NewTextFrame([]byte(fanout.ReadyMessage))); err != nil {
		return
	}
	state := ws.StateServerSide
	var msg wsflate.MessageState
	onControl := wsutil.ControlFrameHandler(nc, state)
	rd := wsutil.Reader{Source: nc, State: state, MaxFrameSize: MaxMessage, MaxMessageSize: MaxMessage, OnIntermediate: onControl}
	if deflate {
		rd.State |= ws.StateExtended
		rd.Extensions = []wsutil.RecvExtension{&msg}
	}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return
		}
		if h.OpCode.IsControl() {
			if err := onControl(h, &rd); err != nil {
				return
			}
			continue
		}
		var src io.Reader = &rd
		if msg.IsCompressed() {
			src = wsflate.NewReader(&rd, newFlateReader)
		}
		payload, err := io.ReadAll(src)
		if err != nil {
			return
		}
		if err := s.publish(h.OpCode, payload); err != nil {
			return
		}
	}
}

// publish compiles a frame of payload once, and with permessage-deflate
// a compressed one once too, and queues the one each subscriber
// negotiated for it.
func (s *gobwasFanout) publish(op ws.OpCode, payload []byte) error {
	plain, err := ws.CompileFrame(ws.NewFrame(op, true, payload))
	if err != nil {
		return err
	}
	var zipped []byte
	if s.cfg.Deflate {
		f, err := s.zip.CompressFrame(ws.NewFrame(op, true, payload))
		if err != nil {
			return err
		}
		s.cfg.Fanout.compressions.Add(1)
		if zipped, err = ws.CompileFrame(f); err != nil {
			return err
		}
	}
	s.subs.publish(func(sub *gobwasSubscriber) {
		if sub.deflate {
			sub.out.put(zipped)
		} else {
			sub.out.put(plain)
		}
	})
	return nil
}

package servers

import (
	"compress/flate"
	"io"
	"net"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
)

// handshakeTimeout bounds the opening handshake of the servers that do it
// themselves, as http.Server's ReadHeaderTimeout does for the others.
const handshakeTimeout = 10 * time.Second

// gobwasServe serves a connection with gobwas/ws's low-level API, as its
// Autobahn server does: the zero-copy upgrade on the raw connection, then
// a wsutil.Reader reads frames on the connection's goroutine and each
// message is copied into a wsutil.Writer, through wsflate when it is
// compressed. wsflate negotiates no context takeover on either side.
func gobwasServe(cfg Config) func(net.Conn) {
	return func(nc net.Conn) {
		defer nc.Close()
		var ext wsflate.Extension
		var u ws.Upgrader
		if cfg.Deflate {
			ext.Parameters = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
			u.Negotiate = ext.Negotiate
		}
		nc.SetDeadline(time.Now().Add(handshakeTimeout))
		if _, err := u.Upgrade(nc); err != nil {
			return
		}
		nc.SetDeadline(time.Time{})
		_, deflate := ext.Accepted()
		gobwasEcho(nc, deflate)
	}
}

// gobwasEcho echoes the messages of nc until it closes.
func gobwasEcho(nc net.Conn, deflate bool) {
	state := ws.StateServerSide
	var msg wsflate.MessageState // whether the message being read is compressed
	onControl := wsutil.ControlFrameHandler(nc, state)
	rd := wsutil.Reader{
		Source:         nc,
		State:          state,
		MaxFrameSize:   MaxMessage,
		MaxMessageSize: MaxMessage,
		OnIntermediate: onControl,
	}
	if deflate {
		rd.State |= ws.StateExtended
		rd.Extensions = []wsutil.RecvExtension{&msg}
	}
	wr := wsutil.NewWriter(nc, rd.State, 0)
	var fr *wsflate.Reader
	var fw *wsflate.Writer
	if deflate {
		wr.SetExtensions(&msg)
		fr = wsflate.NewReader(nil, newFlateReader)
		fw = wsflate.NewWriter(nil, newFlateWriter)
	}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return
		}
		if h.OpCode.IsControl() {
			if err := onControl(h, &rd); err != nil {
				return // a close frame, answered, or the peer is gone
			}
			continue
		}
		wr.ResetOp(h.OpCode)
		if msg.IsCompressed() {
			fr.Reset(&rd)
			fw.Reset(wr)
			buf := copyBuffers.Get().(*[]byte)
			_, err = io.CopyBuffer(fw, fr, *buf)
			copyBuffers.Put(buf)
			if err == nil {
				err = fw.Close()
			}
		} else {
			_, err = io.Copy(wr, &rd) // the writer's ReadFrom
		}
		if err == nil {
			err = wr.Flush()
		}
		if err != nil {
			return
		}
	}
}

// flateReader lets wsflate reset compress/flate's inflater for each
// message (wsflate.ReadResetter) instead of making a new one.
type flateReader struct{ io.ReadCloser }

func newFlateReader(r io.Reader) wsflate.Decompressor { return flateReader{flate.NewReader(r)} }

func (f flateReader) Reset(r io.Reader) { f.ReadCloser.(flate.Resetter).Reset(r, nil) }

// newFlateWriter returns compress/flate's compressor at BestSpeed, the
// level of the other libraries; wsflate resets it for each message.
func newFlateWriter(w io.Writer) wsflate.Compressor {
	fw, _ := flate.NewWriter(w, flate.BestSpeed) // no error for a valid level
	return fw
}

package conformance

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// A Case is one conformance check: what to send to the peer and what the
// peer must do in return. The same case runs in both roles; only the
// masking of frames and who closes the TCP connection differ.
type Case struct {
	// ID is the case's number, such as "5.3": its category (an
	// Autobahn|Testsuite category), then its place in the category.
	ID          string
	Description string
	// Deflate, when not nil, negotiates permessage-deflate with these
	// parameters. A peer that does not is graded UNIMPLEMENTED.
	Deflate *Deflate
	// NeedsLimit marks a case about the peer's message size limit,
	// which must be known (Env.Limit); it is skipped otherwise.
	NeedsLimit bool
	// Heavy marks a case that moves so much data that it is skipped in
	// short runs (see FuzzingClient.Short).
	Heavy bool
	// Build makes the case's plan. It is called only when the case runs,
	// so that large payloads exist only while they are used.
	Build func(e Env) Plan
}

// Env is what a case's plan may depend on.
type Env struct {
	Role Role
	// Limit is the peer's limit on the size of a message in bytes, or 0
	// if unknown.
	Limit int64
}

// A Plan is what a case sends and what it expects back.
type Plan struct {
	Steps  []Step
	Expect Expect
}

// A Step is one thing a case does: Send, Message, Header, FailFast or
// Await.
type Step interface{ step() }

// Send writes frames, in one write or in chunks of Chunk bytes, each
// chunk written and flushed on its own; chunks may cut frames anywhere.
type Send struct {
	Frames []Frame
	Chunk  int
	// Cut, if not 0, stops the write after Cut payload bytes of the last
	// frame. The rest goes out with the next step that writes, or, if the
	// peer fails the connection meanwhile, before the suite's close frame.
	// A Send without frames but with a Cut writes more of the cut frame,
	// up to its payload byte Cut.
	Cut int
}

// A Frame is one frame to send. The suite masks it as its role demands
// (a client masks, a server does not), unless WrongMask is set.
type Frame struct {
	Opcode    byte
	Fin       bool
	RSV       byte
	Payload   []byte
	WrongMask bool
}

// Message sends one data message in frames of FrameSize payload bytes
// (0: a single frame), compressed with the negotiated permessage-deflate
// first if Compress is set. Tweak, if not nil, may alter the frames
// before they are sent, and returns those to send.
type Message struct {
	Binary    bool
	Payload   []byte
	FrameSize int
	Compress  bool
	// Final compresses the message as a stream that ends with a final
	// block (BFINAL), with a fresh compressor.
	Final bool
	// Deflated sends Payload with RSV1 as it is: it is already
	// compressed, as RFC 7692 section 7.2.1 sends it.
	//
	// The connection's compressor does not see Final and Deflated
	// messages: with context takeover, no compressed message may follow
	// them.
	Deflated bool
	Chunk    int
	Tweak    func([]Frame) []Frame
}

// Header writes only the header of a frame that announces Length payload
// bytes; its payload never comes. A case with a Header must expect the
// peer to fail the connection; the suite then drops the connection.
type Header struct {
	Opcode byte
	Fin    bool
	Length int64
}

// FailFast is the point by which the peer must have failed the
// connection: the suite waits for its close frame here (up to
// FuzzingClient.FailWait) before it sends the rest, and grades a failure
// that comes only later NON-STRICT.
type FailFast struct{}

// Await waits until the peer has echoed Messages messages and answered
// Pongs pings in all, so that a case does not run too far ahead of the
// peer.
type Await struct{ Messages, Pongs int }

func (Send) step()     {}
func (Message) step()  {}
func (Header) step()   {}
func (FailFast) step() {}
func (Await) step()    {}

// Expect is what the peer must do.
type Expect struct {
	// Messages are the echoes the peer must send, in order.
	Messages []Echo
	// Pongs are the payloads of the pongs the peer must send, in order.
	// Their order relative to the echoes does not matter.
	Pongs [][]byte
	// LatestPong accepts, as NON-STRICT, pongs to only some of the pings
	// as long as the last one is answered (RFC 6455 section 5.5.3).
	LatestPong bool
	// Fail lists the close codes with which the peer must fail the
	// connection; when it is empty the peer must not fail it.
	Fail []int
	// NonStrictFail lists close codes that are acceptable, but not
	// expected, for the failure.
	NonStrictFail []int
	// CloseReply lists the codes the peer may answer the suite's own
	// close frame with (NoStatus for an empty close frame); when it is
	// empty, the close frame's own code. Codes in NonStrictReply are
	// graded NON-STRICT.
	CloseReply     []int
	NonStrictReply []int
	// Informational makes the case INFORMATIONAL unless the peer breaks
	// the protocol; Detail then tells what happened.
	Informational bool
}

// An Echo is a message the peer must send back.
type Echo struct {
	Binary  bool
	Payload []byte
}

// NoStatus stands for a close frame without a status code (RFC 6455
// section 7.4.1 reserves 1005 for that).
const NoStatus = 1005

// Opcodes of RFC 6455 section 5.2.
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// Reserved bits of RFC 6455 section 5.2.
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// Common close codes of RFC 6455 section 7.4.1.
const (
	CloseNormal        = 1000
	CloseProtocolError = 1002
	CloseInvalidData   = 1007
	CloseTooBig        = 1009
)

// Helpers that build frames and plans concisely.

func text(s string) Frame        { return Frame{Opcode: OpText, Fin: true, Payload: []byte(s)} }
func binaryFrame(b []byte) Frame { return Frame{Opcode: OpBinary, Fin: true, Payload: b} }
func ping(b []byte) Frame        { return Frame{Opcode: OpPing, Fin: true, Payload: b} }
func pong(b []byte) Frame        { return Frame{Opcode: OpPong, Fin: true, Payload: b} }

// frag returns a frame of a fragmented message.
func frag(op byte, fin bool, payload []byte) Frame {
	return Frame{Opcode: op, Fin: fin, Payload: payload}
}

// closeFrame returns a close frame with code and reason.
func closeFrame(code int, reason string) Frame {
	p := binary.BigEndian.AppendUint16(nil, uint16(code)) // codes out of range wrap, as cases want
	return Frame{Opcode: OpClose, Fin: true, Payload: append(p, reason...)}
}

// fragments splits a message into frames of size bytes (at least one
// frame, even for an empty message).
func fragments(op byte, payload []byte, size int) []Frame {
	var fs []Frame
	for first := true; first || len(payload) > 0; first = false {
		n := len(payload)
		if size > 0 && n > size {
			n = size
		}
		f := Frame{Opcode: OpContinuation, Fin: n == len(payload), Payload: payload[:n]}
		if first {
			f.Opcode = op
		}
		fs = append(fs, f)
		payload = payload[n:]
	}
	return fs
}

func send(frames ...Frame) Send { return Send{Frames: frames} }

func chunked(chunk int, frames ...Frame) Send { return Send{Frames: frames, Chunk: chunk} }

func textEcho(s string) Echo  { return Echo{Payload: []byte(s)} }
func echoOf(b []byte) Echo    { return Echo{Binary: true, Payload: b} }
func textEchoB(b []byte) Echo { return Echo{Payload: b} }

// fails is the expectation of a connection failed with code, after the
// given echoes.
func fails(code int, echoes ...Echo) Expect {
	return Expect{Messages: echoes, Fail: []int{code}}
}

// echoes is the expectation of the given echoes and a normal close.
func echoes(es ...Echo) Expect { return Expect{Messages: es} }

// category returns the category of a case ID: what precedes the first
// dot.
func category(id string) string {
	c, _, _ := strings.Cut(id, ".")
	return c
}

// compareIDs orders case IDs by their numbers: "2.10" after "2.9".
func compareIDs(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		switch {
		case errx != nil || erry != nil:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		case x != y:
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(as) - len(bs)
}

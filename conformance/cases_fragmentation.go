package conformance

import "bytes"

// fragmentationCases is category 5: fragmented messages, control frames
// between fragments, and fragments where none may be.
func fragmentationCases() []Case {
	f1, f2 := []byte("fragment1"), []byte("fragment2")
	both := []byte("fragment1fragment2")
	hello := []byte("ping payload")
	twoWithPing := []Frame{frag(OpText, false, f1), ping(hello), frag(OpContinuation, true, f2)}
	var five []Frame
	var fiveText []byte
	for i, s := range []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"} {
		op := OpContinuation
		if i == 0 {
			op = OpText
		}
		five = append(five, frag(op, i == 4, []byte(s)))
		fiveText = append(fiveText, s...)
		if i == 0 || i == 3 {
			five = append(five, ping([]byte("ping after "+s)))
		}
	}
	fivePongs := [][]byte{[]byte("ping after fragment1"), []byte("ping after fragment4")}
	var hundred []Frame
	var hundredText []byte
	for i := 0; i < 100; i++ {
		p := []byte("0123456789")
		op := OpContinuation
		if i == 0 {
			op = OpText
		}
		hundred = append(hundred, frag(op, i == 99, p))
		hundredText = append(hundredText, p...)
	}
	return []Case{
		fixed("5.1", "ping in 2 fragments", fails(CloseProtocolError),
			send(frag(OpPing, false, f1), frag(OpContinuation, true, f2))),
		fixed("5.2", "pong in 2 fragments", fails(CloseProtocolError),
			send(frag(OpPong, false, f1), frag(OpContinuation, true, f2))),
		fixed("5.3", "text message in 2 fragments", echoes(textEchoB(both)),
			send(frag(OpText, false, f1), frag(OpContinuation, true, f2))),
		fixed("5.4", "text message in 2 fragments, each in its own write", echoes(textEchoB(both)),
			send(frag(OpText, false, f1)), send(frag(OpContinuation, true, f2))),
		fixed("5.5", "text message in 2 fragments written 1 byte at a time", echoes(textEchoB(both)),
			chunked(1, frag(OpText, false, f1), frag(OpContinuation, true, f2))),
		fixed("5.6", "text message in 2 fragments with a ping between them",
			Expect{Messages: []Echo{textEchoB(both)}, Pongs: [][]byte{hello}}, send(twoWithPing...)),
		fixed("5.7", "text message in 2 fragments with a ping between them, written 1 byte at a time",
			Expect{Messages: []Echo{textEchoB(both)}, Pongs: [][]byte{hello}}, chunked(1, twoWithPing...)),
		fixed("5.8", "text message in 2 fragments with an unsolicited pong between them", echoes(textEchoB(both)),
			send(frag(OpText, false, f1), pong(hello), frag(OpContinuation, true, f2))),
		fixed("5.9", "final continuation frame without a message started", fails(CloseProtocolError),
			send(frag(OpContinuation, true, f1), text("after"))),
		fixed("5.10", "final continuation frame without a message started, written 1 byte at a time", fails(CloseProtocolError),
			chunked(1, frag(OpContinuation, true, f1), text("after"))),
		fixed("5.11", "non-final continuation frame without a message started", fails(CloseProtocolError),
			send(frag(OpContinuation, false, f1), frag(OpContinuation, true, f2))),
		fixed("5.12", "text message, then a final continuation frame", fails(CloseProtocolError, textEcho("whole")),
			send(text("whole"), frag(OpContinuation, true, f1))),
		fixed("5.13", "text message in 2 fragments, then a non-final continuation frame",
			fails(CloseProtocolError, textEchoB(both)),
			send(frag(OpText, false, f1), frag(OpContinuation, true, f2), frag(OpContinuation, false, f1))),
		fixed("5.14", "first fragment of a text message, then a whole text message", fails(CloseProtocolError),
			send(frag(OpText, false, f1), text("whole"))),
		fixed("5.15", "first fragment of a text message, then the first fragment of a binary message", fails(CloseProtocolError),
			send(frag(OpText, false, f1), frag(OpBinary, false, f2), frag(OpContinuation, true, f2))),
		fixed("5.16", "text message in 5 fragments with pings after the first and the fourth",
			Expect{Messages: []Echo{textEchoB(fiveText)}, Pongs: fivePongs}, send(five...)),
		fixed("5.17", "text message in 5 fragments with pings after the first and the fourth, written 1 byte at a time",
			Expect{Messages: []Echo{textEchoB(fiveText)}, Pongs: fivePongs}, chunked(1, five...)),
		fixed("5.18", "binary message in 3 fragments", echoes(echoOf([]byte{0, 1, 2, 0xfd, 0xfe, 0xff})),
			send(frag(OpBinary, false, []byte{0, 1}), frag(OpContinuation, false, []byte{2, 0xfd}), frag(OpContinuation, true, []byte{0xfe, 0xff}))),
		fixed("5.19", "text message whose first and last fragments are empty", echoes(textEcho("middle")),
			send(frag(OpText, false, nil), frag(OpContinuation, false, []byte("middle")), frag(OpContinuation, true, nil))),
		fixed("5.20", "text message of 3 empty fragments", echoes(textEcho("")),
			send(frag(OpText, false, nil), frag(OpContinuation, false, nil), frag(OpContinuation, true, nil))),
		fixed("5.21", "text message in 100 fragments of 10 bytes", echoes(textEchoB(hundredText)), send(hundred...)),
		fixed("5.22", "close frame in 2 fragments", fails(CloseProtocolError),
			send(Frame{Opcode: OpClose, Payload: closeFrame(CloseNormal, "").Payload}, frag(OpContinuation, true, nil))),
		fixed("5.23", "first fragment, then a close frame, then the last fragment: no echo", Expect{},
			send(frag(OpText, false, f1), closeFrame(CloseNormal, ""), frag(OpContinuation, true, f2))),
		fixed("5.24", "text, binary and text messages, the first two in 2 fragments each",
			echoes(textEchoB(both), echoOf([]byte{1, 2, 3, 4}), textEcho("whole")),
			send(frag(OpText, false, f1), frag(OpContinuation, true, f2),
				frag(OpBinary, false, []byte{1, 2}), frag(OpContinuation, true, []byte{3, 4}), text("whole"))),
		fixed("5.25", "binary message in 3 fragments with a ping, a pong and a ping between them",
			Expect{Messages: []Echo{echoOf(bytes.Repeat([]byte{0xaa}, 300))}, Pongs: [][]byte{[]byte("1"), []byte("2")}},
			send(frag(OpBinary, false, bytes.Repeat([]byte{0xaa}, 100)), ping([]byte("1")),
				frag(OpContinuation, false, bytes.Repeat([]byte{0xaa}, 100)), pong([]byte("x")), ping([]byte("2")),
				frag(OpContinuation, true, bytes.Repeat([]byte{0xaa}, 100)))),
	}
}

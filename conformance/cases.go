package conformance

import (
	"fmt"
	"slices"
	"sync"
)

// Cases returns every case of the suite, ordered by ID. The cases are
// modelled on the public descriptions of the Autobahn|Testsuite's cases,
// category by category; the numbering within a category is the suite's
// own.
func Cases() []Case { return slices.Clone(allCases()) }

var allCases = sync.OnceValue(func() []Case {
	var cs []Case
	for _, f := range []func() []Case{
		framingCases, pingCases, reservedBitCases, opcodeCases, fragmentationCases,
		utf8Cases, closeCases, limitCases, autoFragmentationCases, deflateCases,
	} {
		cs = append(cs, f()...)
	}
	slices.SortStableFunc(cs, func(a, b Case) int { return compareIDs(a.ID, b.ID) })
	for i := 1; i < len(cs); i++ {
		if cs[i].ID == cs[i-1].ID {
			panic(fmt.Sprintf("conformance: case %s defined twice", cs[i].ID))
		}
	}
	return cs
})

// fixed returns a case whose plan does not depend on the environment.
func fixed(id, desc string, e Expect, steps ...Step) Case {
	return Case{ID: id, Description: desc, Build: func(Env) Plan { return Plan{Steps: steps, Expect: e} }}
}

// withDeflate sets the case's permessage-deflate parameters.
func withDeflate(c Case, d Deflate) Case {
	c.Deflate = &d
	return c
}

// framingCases is category 1: data frames of every length encoding,
// whole or written in pieces, and frames masked the wrong way.
func framingCases() []Case {
	var cs []Case
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536}
	for i, n := range lengths {
		n := n
		cs = append(cs,
			Case{ID: fmt.Sprintf("1.1.%d", i+1), Description: fmt.Sprintf("text message of %d bytes", n),
				Build: func(Env) Plan {
					p := asciiText(n)
					return Plan{Steps: []Step{send(Frame{Opcode: OpText, Fin: true, Payload: p})}, Expect: echoes(textEchoB(p))}
				}},
			Case{ID: fmt.Sprintf("1.2.%d", i+1), Description: fmt.Sprintf("binary message of %d bytes", n),
				Build: func(Env) Plan {
					p := binaryPattern(n)
					return Plan{Steps: []Step{send(binaryFrame(p))}, Expect: echoes(echoOf(p))}
				}})
	}
	cs = append(cs,
		Case{ID: "1.1.8", Description: "text message of 65536 bytes written in chunks of 997 bytes",
			Build: func(Env) Plan {
				p := asciiText(65536)
				return Plan{Steps: []Step{chunked(997, Frame{Opcode: OpText, Fin: true, Payload: p})}, Expect: echoes(textEchoB(p))}
			}},
		Case{ID: "1.2.8", Description: "binary message of 65536 bytes written in chunks of 997 bytes",
			Build: func(Env) Plan {
				p := binaryPattern(65536)
				return Plan{Steps: []Step{chunked(997, binaryFrame(p))}, Expect: echoes(echoOf(p))}
			}},
		Case{ID: "1.3.1", Description: "binary message of 65537 bytes (64-bit length)",
			Build: func(Env) Plan {
				p := binaryPattern(65537)
				return Plan{Steps: []Step{send(binaryFrame(p))}, Expect: echoes(echoOf(p))}
			}},
		fixed("1.3.2", "text message of 1 byte", echoes(textEcho("*")), send(text("*"))),
		fixed("1.3.3", "text message of 1 byte, frame written 1 byte at a time", echoes(textEcho("*")), chunked(1, text("*"))),
		fixed("1.3.4", "text message of 200 bytes, frame written 1 byte at a time (16-bit length)",
			echoes(textEchoB(asciiText(200))), chunked(1, Frame{Opcode: OpText, Fin: true, Payload: asciiText(200)})),
		Case{ID: "1.3.5", Description: "binary message of 70000 bytes, header written 1 byte at a time (64-bit length)",
			Build: func(Env) Plan {
				p := binaryPattern(70000)
				return Plan{Steps: []Step{
					Send{Frames: []Frame{binaryFrame(p)}, Cut: 1, Chunk: 1}, // the header and 1 byte, byte by byte
					Send{}, // the rest of the payload at once
				}, Expect: echoes(echoOf(p))}
			}},
		fixed("1.3.6", "text message with every ASCII character, NUL included",
			echoes(textEchoB(allASCII())), send(Frame{Opcode: OpText, Fin: true, Payload: allASCII()})),
		fixed("1.3.7", "binary message with every byte value",
			echoes(echoOf(allBytes())), send(binaryFrame(allBytes()))),
		fixed("1.3.8", "ten text and binary messages in one write",
			echoes(tenEchoes()...), send(tenFrames()...)),
		fixed("1.3.9", "ten text and binary messages written in chunks of 3 bytes",
			echoes(tenEchoes()...), chunked(3, tenFrames()...)),
	)
	// RFC 6455 section 5.1: a server fails the connection on an unmasked
	// frame, a client on a masked one.
	wrong := func(f Frame) Frame {
		f.WrongMask = true
		return f
	}
	cs = append(cs,
		fixed("1.4.1", "text frame with the wrong masking (unmasked to a server, masked to a client)", fails(CloseProtocolError),
			send(wrong(text("wrongly masked")))),
		fixed("1.4.2", "binary frame of 300 bytes with the wrong masking", fails(CloseProtocolError),
			send(wrong(binaryFrame(binaryPattern(300))))),
		fixed("1.4.3", "ping with the wrong masking", fails(CloseProtocolError), send(wrong(ping([]byte("ping"))))),
		fixed("1.4.4", "close frame with the wrong masking", fails(CloseProtocolError), send(wrong(closeFrame(CloseNormal, "")))),
		fixed("1.4.5", "text message in 2 fragments, the second with the wrong masking", fails(CloseProtocolError),
			send(frag(OpText, false, []byte("fragment1")), wrong(frag(OpContinuation, true, []byte("fragment2"))))),
		fixed("1.4.6", "text message, then a text frame with the wrong masking", fails(CloseProtocolError, textEcho("first")),
			send(text("first")), Await{Messages: 1}, send(wrong(text("second")))),
	)
	return cs
}

func allASCII() []byte {
	b := make([]byte, 128)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(255 - i)
	}
	return b
}

func tenFrames() []Frame {
	var fs []Frame
	for i := 0; i < 10; i++ {
		if i%2 == 0 {
			fs = append(fs, text(fmt.Sprintf("message %d", i)))
		} else {
			fs = append(fs, binaryFrame([]byte{byte(i), 0, 0xff}))
		}
	}
	return fs
}

func tenEchoes() []Echo {
	var es []Echo
	for _, f := range tenFrames() {
		es = append(es, Echo{Binary: f.Opcode == OpBinary, Payload: f.Payload})
	}
	return es
}

// pingCases is category 2: pings, pongs and their payloads.
func pingCases() []Case {
	hello := []byte("Hello, world!")
	bin := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	p125 := binaryPattern(125)
	var burst []Frame
	var burstPongs [][]byte
	for i := 0; i < 10; i++ {
		p := []byte(fmt.Sprintf("ping %d", i))
		burst = append(burst, ping(p))
		burstPongs = append(burstPongs, p)
	}
	return []Case{
		fixed("2.1", "ping without payload", Expect{Pongs: [][]byte{{}}}, send(ping(nil))),
		fixed("2.2", "ping with a text payload", Expect{Pongs: [][]byte{hello}}, send(ping(hello))),
		fixed("2.3", "ping with a binary payload", Expect{Pongs: [][]byte{bin}}, send(ping(bin))),
		fixed("2.4", "ping with a payload of 125 bytes", Expect{Pongs: [][]byte{p125}}, send(ping(p125))),
		fixed("2.5", "ping with a payload of 126 bytes", fails(CloseProtocolError), send(ping(binaryPattern(126)))),
		fixed("2.6", "ping with a payload of 125 bytes written 1 byte at a time", Expect{Pongs: [][]byte{p125}}, chunked(1, ping(p125))),
		fixed("2.7", "unsolicited pong without payload", Expect{}, send(pong(nil))),
		fixed("2.8", "unsolicited pong with a payload", Expect{}, send(pong([]byte("unsolicited pong payload")))),
		fixed("2.9", "unsolicited pong, then a ping", Expect{Pongs: [][]byte{[]byte("ping payload")}},
			send(pong([]byte("unsolicited pong payload")), ping([]byte("ping payload")))),
		fixed("2.10", "10 pings in one write", Expect{Pongs: burstPongs, LatestPong: true}, send(burst...)),
		fixed("2.11", "10 pings written 1 byte at a time", Expect{Pongs: burstPongs, LatestPong: true}, chunked(1, burst...)),
		fixed("2.12", "ping whose payload is not UTF-8", Expect{Pongs: [][]byte{{0xc0, 0xff, 0xed, 0xa0, 0x80}}},
			send(ping([]byte{0xc0, 0xff, 0xed, 0xa0, 0x80}))),
		fixed("2.13", "ping between two text messages",
			Expect{Messages: []Echo{textEcho("before"), textEcho("after")}, Pongs: [][]byte{hello}},
			send(text("before"), ping(hello), text("after"))),
		Case{ID: "2.14", Description: "ping after a binary message of 1 MiB",
			Build: func(Env) Plan {
				p := binaryPattern(1 << 20)
				return Plan{Steps: []Step{send(binaryFrame(p), ping(hello))}, Expect: Expect{Messages: []Echo{echoOf(p)}, Pongs: [][]byte{hello}}}
			}},
		fixed("2.15", "pong with a payload of 126 bytes", fails(CloseProtocolError), send(pong(binaryPattern(126)))),
		fixed("2.16", "ping with a payload of 126 bytes, then a ping of 1 byte", fails(CloseProtocolError),
			send(ping(binaryPattern(126)), ping([]byte("x")))),
	}
}

// reservedBitCases is category 3: reserved bits that no extension
// defines.
func reservedBitCases() []Case {
	small := "small text"
	deflate := &Deflate{}
	cs := []Case{
		fixed("3.1", "text frame with RSV1, no extension negotiated", fails(CloseProtocolError),
			send(Frame{Opcode: OpText, Fin: true, RSV: RSV1, Payload: []byte("RSV1")})),
		fixed("3.2", "text message, then a text frame with RSV2, then a ping", fails(CloseProtocolError, textEcho(small)),
			send(text(small), Frame{Opcode: OpText, Fin: true, RSV: RSV2, Payload: []byte("RSV2")}, ping(nil))),
		fixed("3.3", "text message, then a text frame with RSV1 and RSV2, then a ping, written 1 byte at a time",
			fails(CloseProtocolError, textEcho(small)),
			chunked(1, text(small), Frame{Opcode: OpText, Fin: true, RSV: RSV1 | RSV2, Payload: []byte("RSV3")}, ping(nil))),
		fixed("3.4", "text message, then a text frame with RSV3, then a ping, each in its own write",
			fails(CloseProtocolError, textEcho(small)),
			send(text(small)), Await{Messages: 1}, send(Frame{Opcode: OpText, Fin: true, RSV: RSV3, Payload: []byte("RSV4")}), send(ping(nil))),
		fixed("3.5", "binary frame with all three reserved bits", fails(CloseProtocolError),
			send(Frame{Opcode: OpBinary, Fin: true, RSV: RSV1 | RSV2 | RSV3, Payload: []byte{0, 1, 2}})),
		fixed("3.6", "ping with RSV1 and RSV3", fails(CloseProtocolError),
			send(Frame{Opcode: OpPing, Fin: true, RSV: RSV1 | RSV3, Payload: []byte("ping")})),
		fixed("3.7", "close frame with RSV2 and RSV3", fails(CloseProtocolError),
			send(Frame{Opcode: OpClose, Fin: true, RSV: RSV2 | RSV3, Payload: closeFrame(CloseNormal, "").Payload})),
		fixed("3.8", "fragmented text message whose continuation has RSV2", fails(CloseProtocolError),
			send(frag(OpText, false, []byte("frag")), Frame{Opcode: OpContinuation, Fin: true, RSV: RSV2, Payload: []byte("ment")})),
		fixed("3.9", "pong with RSV1", fails(CloseProtocolError),
			send(Frame{Opcode: OpPong, Fin: true, RSV: RSV1})),
	}
	// With permessage-deflate, RSV1 is defined on the first frame of a
	// data message only (RFC 7692 section 6).
	compressed := func(fs []Frame) []Frame {
		fs[1].RSV |= RSV1
		return fs
	}
	cs = append(cs,
		fixed("3.10", "permessage-deflate: text frame with RSV2", fails(CloseProtocolError),
			send(Frame{Opcode: OpText, Fin: true, RSV: RSV2, Payload: []byte("RSV2")})),
		fixed("3.11", "permessage-deflate: binary frame with RSV1 and RSV3", fails(CloseProtocolError),
			send(Frame{Opcode: OpBinary, Fin: true, RSV: RSV1 | RSV3, Payload: []byte{0x02, 0x00}})),
		fixed("3.12", "permessage-deflate: ping with RSV1", fails(CloseProtocolError),
			send(Frame{Opcode: OpPing, Fin: true, RSV: RSV1, Payload: []byte("ping")})),
		fixed("3.13", "permessage-deflate: pong with RSV1", fails(CloseProtocolError),
			send(Frame{Opcode: OpPong, Fin: true, RSV: RSV1})),
		fixed("3.14", "permessage-deflate: close frame with RSV1", fails(CloseProtocolError),
			send(Frame{Opcode: OpClose, Fin: true, RSV: RSV1, Payload: closeFrame(CloseNormal, "").Payload})),
		fixed("3.15", "permessage-deflate: compressed message in 2 frames, RSV1 on the continuation too",
			fails(CloseProtocolError),
			Message{Payload: compressibleText(2000, 15), FrameSize: 100, Compress: true, Tweak: compressed}),
		fixed("3.16", "permessage-deflate: uncompressed message in 2 frames, RSV1 on the continuation only",
			fails(CloseProtocolError),
			send(frag(OpText, false, []byte("uncompressed ")), Frame{Opcode: OpContinuation, Fin: true, RSV: RSV1, Payload: []byte("continuation")})),
		fixed("3.17", "permessage-deflate: compressed message, then a ping with RSV1",
			fails(CloseProtocolError, textEchoB(compressibleText(300, 17))),
			Message{Payload: compressibleText(300, 17), Compress: true},
			send(Frame{Opcode: OpPing, Fin: true, RSV: RSV1, Payload: []byte("ping")})),
	)
	for i := 9; i < len(cs); i++ {
		cs[i].Deflate = deflate
	}
	return cs
}

// opcodeCases is category 4: reserved opcodes, data (3 to 7) and control
// (0xB to 0xF).
func opcodeCases() []Case {
	var cs []Case
	for i, op := range []byte{3, 4, 5, 6, 7} {
		cs = append(cs, fixed(fmt.Sprintf("4.1.%d", i+1), fmt.Sprintf("frame with the reserved data opcode %d", op),
			fails(CloseProtocolError), send(Frame{Opcode: op, Fin: true})))
	}
	for i, op := range []byte{0xb, 0xc, 0xd, 0xe, 0xf} {
		cs = append(cs, fixed(fmt.Sprintf("4.2.%d", i+1), fmt.Sprintf("frame with the reserved control opcode %#x", op),
			fails(CloseProtocolError), send(Frame{Opcode: op, Fin: true})))
	}
	small := "small text"
	cs = append(cs,
		fixed("4.1.6", "text message, frame with opcode 4 and a payload, ping", fails(CloseProtocolError, textEcho(small)),
			send(text(small), Frame{Opcode: 4, Fin: true, Payload: []byte("reserved")}, ping(nil))),
		fixed("4.1.7", "text message, frame with opcode 5 and a payload, ping, written 1 byte at a time",
			fails(CloseProtocolError, textEcho(small)),
			chunked(1, text(small), Frame{Opcode: 5, Fin: true, Payload: []byte("reserved")}, ping(nil))),
		fixed("4.1.8", "fragmented text message whose second fragment has opcode 3", fails(CloseProtocolError),
			send(frag(OpText, false, []byte("frag")), Frame{Opcode: 3, Fin: true, Payload: []byte("ment")})),
		fixed("4.2.6", "text message, frame with opcode 0xb and a payload, ping", fails(CloseProtocolError, textEcho(small)),
			send(text(small), Frame{Opcode: 0xb, Fin: true, Payload: []byte("reserved")}, ping(nil))),
		fixed("4.2.7", "text message, frame with opcode 0xf and a payload, ping, written 1 byte at a time",
			fails(CloseProtocolError, textEcho(small)),
			chunked(1, text(small), Frame{Opcode: 0xf, Fin: true, Payload: []byte("reserved")}, ping(nil))),
		fixed("4.2.8", "frame with opcode 0xc between two fragments of a text message", fails(CloseProtocolError),
			send(frag(OpText, false, []byte("frag")), Frame{Opcode: 0xc, Fin: true}, frag(OpContinuation, true, []byte("ment")))),
	)
	return cs
}

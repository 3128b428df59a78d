package conformance

import "fmt"

// autoFragmentationCases is category 10: messages cut into frames and
// writes at boundaries that have nothing to do with each other, and
// large messages that the peer may fragment in its echo.
func autoFragmentationCases() []Case {
	return []Case{
		{ID: "10.1.1", Description: "text message of 64 KiB in frames of 1300 bytes",
			Build: func(Env) Plan {
				p := asciiText(64 << 10)
				return Plan{Steps: []Step{Message{Payload: p, FrameSize: 1300}}, Expect: echoes(textEchoB(p))}
			}},
		{ID: "10.1.2", Description: "binary message of 64 KiB in frames of 1300 bytes written in chunks of 1000 bytes",
			Build: func(Env) Plan {
				p := binaryPattern(64 << 10)
				return Plan{Steps: []Step{Message{Binary: true, Payload: p, FrameSize: 1300, Chunk: 1000}}, Expect: echoes(echoOf(p))}
			}},
		{ID: "10.1.3", Description: "100 messages of 1 to 100 bytes in one stream written in chunks of 7 bytes",
			Build: func(Env) Plan {
				var fs []Frame
				var want []Echo
				for i := 1; i <= 100; i++ {
					p := randomText(i, uint64(i))
					fs = append(fs, Frame{Opcode: OpText, Fin: true, Payload: p})
					want = append(want, textEchoB(p))
				}
				return Plan{Steps: []Step{chunked(7, fs...)}, Expect: echoes(want...)}
			}},
		{ID: "10.1.4", Description: "text message of 1 MiB of multi-byte characters in frames of 1001 bytes, splitting characters",
			Build: func(Env) Plan {
				p := randomText(1<<20, 104)
				return Plan{Steps: []Step{Message{Payload: p, FrameSize: 1001}}, Expect: echoes(textEchoB(p))}
			}},
		{ID: "10.1.5", Description: "text message of 4 KiB in frames of 1 byte",
			Build: func(Env) Plan {
				p := randomText(4<<10, 105)
				return Plan{Steps: []Step{Message{Payload: p, FrameSize: 1}}, Expect: echoes(textEchoB(p))}
			}},
		{ID: "10.1.6", Description: "binary message of 4 MiB in one frame, which the peer may fragment in its echo",
			Build: func(Env) Plan {
				p := randomBinary(4<<20, 106)
				return Plan{Steps: []Step{Message{Binary: true, Payload: p}}, Expect: echoes(echoOf(p))}
			}},
		{ID: "10.1.7", Description: "text and binary messages of 200 KiB in frames of 65535 bytes, interleaved with pings",
			Build: func(Env) Plan {
				t, b := asciiText(200<<10), randomBinary(200<<10, 107)
				var fs []Frame
				fs = append(fs, fragments(OpText, t, 65535)...)
				fs = append(fs[:2:2], append([]Frame{ping([]byte("a"))}, fs[2:]...)...)
				fs = append(fs, fragments(OpBinary, b, 65535)...)
				fs = append(fs, ping([]byte("b")))
				return Plan{Steps: []Step{send(fs...)},
					Expect: Expect{Messages: []Echo{textEchoB(t), echoOf(b)}, Pongs: [][]byte{[]byte("a"), []byte("b")}}}
			}},
	}
}

// Payload kinds of the compression cases.
type payloadKind struct {
	name   string
	binary bool
	make   func(n int, seed uint64) []byte
}

var payloadKinds = []payloadKind{
	{"compressible text", false, compressibleText},
	{"compressible binary", true, compressibleBinary},
	{"random text", false, randomText},
	{"random binary", true, randomBinary},
}

// deflateCases is categories 12 and 13: permessage-deflate with payloads
// of every kind and size, special forms of compressed data, and every
// combination of window bits and context takeover.
func deflateCases() []Case {
	var cs []Case
	sizes := []int{16, 64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 128 << 10}
	for k, kind := range payloadKinds {
		for i, n := range sizes {
			cs = append(cs, withDeflate(Case{
				ID:          fmt.Sprintf("12.%d.%d", k+1, i+1),
				Description: fmt.Sprintf("permessage-deflate: 10 messages of %s, %s each", kind.name, sizeString(n)),
				Build: func(Env) Plan {
					var steps []Step
					var want []Echo
					for j := 0; j < 10; j++ {
						p := kind.make(n, uint64(1000*k+j))
						steps = append(steps, Message{Binary: kind.binary, Payload: p, Compress: true})
						want = append(want, Echo{Binary: kind.binary, Payload: p})
					}
					return Plan{Steps: steps, Expect: echoes(want...)}
				}}, Deflate{}))
		}
	}
	cs = append(cs, specialDeflateCases()...)
	return append(cs, parameterCases()...)
}

// specialDeflateCases is category 12.5: forms of compressed messages that
// RFC 7692 section 7.2.3 allows, or that must fail.
func specialDeflateCases() []Case {
	hello := []byte("Hello, compressed world!")
	text2k := compressibleText(2000, 125)
	noCtx := Deflate{ClientNoContextTakeover: true}
	cs := []Case{
		withDeflate(fixed("12.5.1", "empty compressed message (payload 0x00)", echoes(textEcho("")),
			Message{Payload: []byte{0x00}, Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.2", "empty compressed message in a fixed Huffman block (payload 0x02 0x00)", echoes(echoOf(nil)),
			Message{Binary: true, Payload: []byte{0x02, 0x00}, Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.3", "compressed message ending with a final block (BFINAL)", echoes(textEchoB(text2k)),
			Message{Payload: text2k, Compress: true, Final: true}), Deflate{}),
		withDeflate(fixed("12.5.4", "compressed message in stored blocks", echoes(textEchoB(hello)),
			Message{Payload: storedBlocks(hello[:5], hello[5:]), Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.5", "compressed message with a sync flush in the middle", echoes(textEchoB(hello)),
			Message{Payload: storedBlocks(hello[:10], nil, hello[10:]), Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.6", "compressed message in 3 fragments", echoes(textEchoB(text2k)),
			Message{Payload: text2k, Compress: true, FrameSize: 100}), Deflate{}),
		withDeflate(fixed("12.5.7", "compressed message in fragments of 1 byte", echoes(textEchoB(text2k)),
			Message{Payload: text2k, Compress: true, FrameSize: 1}), Deflate{}),
		withDeflate(fixed("12.5.8", "compressed message whose first fragment is empty", echoes(textEchoB(text2k)),
			Message{Payload: text2k, Compress: true, Tweak: func(fs []Frame) []Frame {
				// Move the whole payload to a continuation frame.
				rest := Frame{Opcode: OpContinuation, Fin: true, Payload: fs[0].Payload}
				fs[0].Fin, fs[0].Payload = false, nil
				return append(fs, rest)
			}}), Deflate{}),
		withDeflate(fixed("12.5.9", "uncompressed messages between compressed ones",
			echoes(textEchoB(text2k), textEcho("plain"), textEchoB(text2k), echoOf([]byte{1, 2, 3}), textEchoB(text2k)),
			Message{Payload: text2k, Compress: true}, send(text("plain")), Message{Payload: text2k, Compress: true},
			send(binaryFrame([]byte{1, 2, 3})), Message{Payload: text2k, Compress: true}), Deflate{}),
		withDeflate(fixed("12.5.10", "the same message 20 times: later ones refer to earlier ones (context takeover)",
			echoes(repeatEcho(textEchoB(text2k), 20)...), repeatStep(Message{Payload: text2k, Compress: true}, 20)...), Deflate{}),
		withDeflate(fixed("12.5.11", "compressed data with an invalid block type", Expect{Fail: []int{CloseInvalidData, CloseProtocolError}},
			Message{Binary: true, Payload: []byte{0x07, 0x00}, Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.12", "compressed data with a stored block whose length does not match its complement",
			Expect{Fail: []int{CloseInvalidData, CloseProtocolError}},
			Message{Binary: true, Payload: []byte{0x00, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'}, Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.13", "compressed text message that inflates to invalid UTF-8", fails(CloseInvalidData),
			Message{Payload: storedBlocks([]byte("κόσμε\xed\xa0\x80edited")), Deflated: true}), Deflate{}),
		withDeflate(fixed("12.5.14", "compressed data with a back-reference before the start of the message", Expect{Fail: []int{CloseInvalidData, CloseProtocolError}},
			Message{Binary: true, Payload: referenceBeforeStart(), Deflated: true}), noCtx),
		withDeflate(fixed("12.5.15", "100 small compressed messages", echoes(hundredSmall()...), hundredSmallSteps()...), Deflate{}),
	}
	return cs
}

func repeatEcho(e Echo, n int) []Echo {
	es := make([]Echo, n)
	for i := range es {
		es[i] = e
	}
	return es
}

func repeatStep(s Step, n int) []Step {
	ss := make([]Step, n)
	for i := range ss {
		ss[i] = s
	}
	return ss
}

func hundredSmall() []Echo {
	var es []Echo
	for i := 0; i < 100; i++ {
		es = append(es, textEcho(fmt.Sprintf(`{"seq":%d,"event":"tick","ok":true}`, i)))
	}
	return es
}

func hundredSmallSteps() []Step {
	var ss []Step
	for _, e := range hundredSmall() {
		ss = append(ss, Message{Payload: e.Payload, Compress: true})
	}
	return ss
}

// parameterCases is category 13: every combination of
// client_max_window_bits and server_max_window_bits from 9 to 15 with
// each setting of context takeover, each case sending compressible text
// and random binary messages of 16 bytes to 128 KiB.
func parameterCases() []Case {
	var cs []Case
	contexts := []struct {
		name           string
		client, server bool
	}{
		{"context takeover both ways", false, false},
		{"client_no_context_takeover", true, false},
		{"server_no_context_takeover", false, true},
		{"no context takeover either way", true, true},
	}
	sizes := []int{16, 64, 1 << 10, 16 << 10, 64 << 10, 128 << 10}
	for x, ctx := range contexts {
		for cb := 9; cb <= 15; cb++ {
			for sb := 9; sb <= 15; sb++ {
				d := Deflate{ClientMaxWindowBits: cb, ServerMaxWindowBits: sb,
					ClientNoContextTakeover: ctx.client, ServerNoContextTakeover: ctx.server}
				id := fmt.Sprintf("13.%d.%d", x+1, (cb-9)*7+sb-9+1)
				desc := fmt.Sprintf("permessage-deflate: client_max_window_bits=%d, server_max_window_bits=%d, %s", cb, sb, ctx.name)
				seedBase := uint64(cb*100 + sb*10 + x)
				cs = append(cs, withDeflate(Case{ID: id, Description: desc, Build: func(Env) Plan {
					var steps []Step
					var want []Echo
					for i, n := range sizes {
						t := compressibleText(n, seedBase+uint64(i))
						b := randomBinary(n, seedBase+uint64(i))
						steps = append(steps, Message{Payload: t, Compress: true}, Message{Binary: true, Payload: b, Compress: true})
						want = append(want, textEchoB(t), echoOf(b))
					}
					return Plan{Steps: steps, Expect: echoes(want...)}
				}}, d))
			}
		}
	}
	return cs
}

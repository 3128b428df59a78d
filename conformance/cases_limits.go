package conformance

import "fmt"

// limitCases is category 9: large messages, whole, fragmented and
// written in chunks; many messages in a row; and the peer's size limit.
func limitCases() []Case {
	const (
		kib = 1 << 10
		mib = 1 << 20
	)
	var cs []Case
	sizes := []int{64 * kib, 256 * kib, mib, 4 * mib, 8 * mib, 16 * mib}
	for i, n := range sizes {
		cs = append(cs,
			bigCase(fmt.Sprintf("9.1.%d", i+1), false, n, 0, 0),
			bigCase(fmt.Sprintf("9.2.%d", i+1), true, n, 0, 0))
	}
	frags := []int{64, 256, kib, 4 * kib, 16 * kib, 64 * kib, 256 * kib, mib}
	for i, f := range frags {
		cs = append(cs,
			bigCase(fmt.Sprintf("9.3.%d", i+1), false, 4*mib, f, 0),
			bigCase(fmt.Sprintf("9.4.%d", i+1), true, 4*mib, f, 0))
	}
	cs = append(cs,
		bigCase("9.3.9", false, 16*mib, mib, 0),
		bigCase("9.3.10", false, 16*mib, 64*kib, 0),
		bigCase("9.4.9", true, 16*mib, mib, 0),
		bigCase("9.4.10", true, 16*mib, 64, 0))
	chunks := []int{64, 128, 256, 512, kib, 2 * kib, 4 * kib, 8 * kib}
	for i, c := range chunks {
		cs = append(cs,
			bigCase(fmt.Sprintf("9.5.%d", i+1), false, mib, 0, c),
			bigCase(fmt.Sprintf("9.6.%d", i+1), true, mib, 0, c))
	}
	for i, n := range []int{0, 16, 64, 256, kib, 4 * kib} {
		cs = append(cs,
			manyCase(fmt.Sprintf("9.7.%d", i+1), false, n),
			manyCase(fmt.Sprintf("9.8.%d", i+1), true, n))
	}
	return append(cs, sizeLimitCases()...)
}

// bigCase sends one message of n bytes, in frames of frag bytes (0: one
// frame), written in chunks of chunk bytes (0: at once).
func bigCase(id string, bin bool, n, frag, chunk int) Case {
	kind := "text"
	if bin {
		kind = "binary"
	}
	desc := fmt.Sprintf("%s message of %s", kind, sizeString(n))
	switch {
	case frag > 0:
		desc += fmt.Sprintf(" in fragments of %s", sizeString(frag))
	case chunk > 0:
		desc += fmt.Sprintf(" in one frame written in chunks of %s", sizeString(chunk))
	default:
		desc += " in one frame"
	}
	return Case{ID: id, Description: desc, Heavy: n >= 8<<20,
		Build: func(Env) Plan {
			var p []byte
			if bin {
				p = binaryPattern(n)
			} else {
				p = asciiText(n)
			}
			return Plan{
				Steps:  []Step{Message{Binary: bin, Payload: p, FrameSize: frag, Chunk: chunk}},
				Expect: echoes(Echo{Binary: bin, Payload: p}),
			}
		}}
}

// manyCase sends 1000 messages of n bytes.
func manyCase(id string, bin bool, n int) Case {
	kind := "text"
	if bin {
		kind = "binary"
	}
	return Case{ID: id, Description: fmt.Sprintf("1000 %s messages of %s", kind, sizeString(n)),
		Build: func(Env) Plan {
			var steps []Step
			var want []Echo
			for i := 0; i < 1000; i++ {
				var p []byte
				if bin {
					p = randomBinary(n, uint64(i))
				} else {
					p = compressibleText(n, uint64(i))
				}
				steps = append(steps, Message{Binary: bin, Payload: p})
				want = append(want, Echo{Binary: bin, Payload: p})
			}
			return Plan{Steps: steps, Expect: echoes(want...)}
		}}
}

// sizeLimitCases are the cases about the peer's message limit (Env.Limit):
// the largest message passes, anything larger fails the connection with
// 1009, as soon as the size is known, compressed or not.
func sizeLimitCases() []Case {
	limited := func(c Case) Case {
		c.NeedsLimit = true
		return c
	}
	tooBig := func(echoes ...Echo) Expect { return fails(CloseTooBig, echoes...) }
	cs := []Case{
		{ID: "9.9.1", Description: "text message of exactly the peer's limit", Heavy: true,
			Build: func(e Env) Plan {
				p := asciiText(int(e.Limit))
				return Plan{Steps: []Step{Message{Payload: p}}, Expect: echoes(textEchoB(p))}
			}},
		{ID: "9.9.2", Description: "binary frame of 1 byte over the peer's limit",
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{Message{Binary: true, Payload: binaryPattern(int(e.Limit) + 1)}}, Expect: tooBig()}
			}},
		{ID: "9.9.3", Description: "text message of 1 byte over the peer's limit in 4 fragments",
			Build: func(e Env) Plan {
				n := int(e.Limit) + 1
				return Plan{Steps: []Step{Message{Payload: asciiText(n), FrameSize: (n + 3) / 4}}, Expect: tooBig()}
			}},
		{ID: "9.9.4", Description: "binary message of the peer's limit in a fragment, then a 1-byte continuation",
			Build: func(e Env) Plan {
				p := binaryPattern(int(e.Limit))
				return Plan{Steps: []Step{send(frag(OpBinary, false, p)), send(frag(OpContinuation, true, []byte{1}))}, Expect: tooBig()}
			}},
		{ID: "9.9.5", Description: "frame header announcing 2^40 bytes: fail without waiting for the payload",
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{Header{Opcode: OpBinary, Fin: true, Length: 1 << 40}}, Expect: tooBig()}
			}},
		{ID: "9.9.6", Description: "small text message, then a frame header announcing 1 byte over the limit",
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{send(text("small")), Header{Opcode: OpText, Fin: true, Length: e.Limit + 1}},
					Expect: tooBig(textEcho("small"))}
			}},
	}
	// permessage-deflate: the limit applies to the inflated message.
	bomb := func(n int64) Message {
		return Message{Binary: true, Payload: zeroBomb(int(n)), Deflated: true, FrameSize: 4096}
	}
	cs = append(cs,
		withDeflate(Case{ID: "9.9.7", Description: "permessage-deflate: compressed message that inflates to exactly the limit", Heavy: true,
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{bomb(e.Limit)}, Expect: echoes(echoOf(make([]byte, e.Limit)))}
			}}, Deflate{}),
		withDeflate(Case{ID: "9.9.8", Description: "permessage-deflate: compressed message that inflates to 1 byte over the limit",
			Build: func(e Env) Plan { return Plan{Steps: []Step{bomb(e.Limit + 1)}, Expect: tooBig()} }}, Deflate{}),
		withDeflate(Case{ID: "9.9.9", Description: "permessage-deflate: compressed message that inflates to 16 times the limit",
			Build: func(e Env) Plan { return Plan{Steps: []Step{bomb(16 * e.Limit)}, Expect: tooBig()} }}, Deflate{}),
		withDeflate(Case{ID: "9.9.10", Description: "permessage-deflate: small compressed message, then one over the limit",
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{
					Message{Payload: compressibleText(1000, 910), Compress: true},
					bomb(e.Limit + 1000),
				}, Expect: tooBig(textEchoB(compressibleText(1000, 910)))}
			}}, Deflate{}),
		withDeflate(Case{ID: "9.9.11", Description: "permessage-deflate: uncompressed binary frame of 1 byte over the limit",
			Build: func(e Env) Plan {
				return Plan{Steps: []Step{Message{Binary: true, Payload: binaryPattern(int(e.Limit) + 1)}}, Expect: tooBig()}
			}}, Deflate{}),
	)
	for i := range cs {
		cs[i] = limited(cs[i])
	}
	return cs
}

// sizeString writes a size in bytes, KiB or MiB.
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

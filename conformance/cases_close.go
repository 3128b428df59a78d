package conformance

import (
	"fmt"
	"strings"
)

// closeCases is category 7: the closing handshake, close payloads, and
// every range of close codes of the IANA registry.
func closeCases() []Case {
	normal := closeFrame(CloseNormal, "")
	reason123 := strings.Repeat("*", 123)
	reason124 := strings.Repeat("*", 124)
	multibyte := strings.Repeat("é", 61) + "*" // 123 bytes of 2-byte characters
	cs := []Case{
		fixed("7.1.1", "text message, then a close frame", Expect{Messages: []Echo{textEcho("Hello")}},
			send(text("Hello"), normal)),
		fixed("7.1.2", "two close frames", Expect{}, send(normal, normal)),
		fixed("7.1.3", "close frame, then a ping: no pong", Expect{}, send(normal, ping([]byte("after close")))),
		fixed("7.1.4", "close frame, then a text message: no echo", Expect{}, send(normal, text("after close"))),
		fixed("7.1.5", "first fragment, close frame, last fragment: no echo", Expect{},
			send(frag(OpText, false, []byte("fragment1")), normal, frag(OpContinuation, true, []byte("fragment2")))),
		{ID: "7.1.6", Description: "text message of 256 KiB, close frame, ping (informational: does the echo come back?)",
			Build: func(Env) Plan {
				p := asciiText(256 << 10)
				return Plan{Steps: []Step{send(Frame{Opcode: OpText, Fin: true, Payload: p}, normal, ping([]byte("after close")))},
					Expect: Expect{Informational: true, Messages: []Echo{textEchoB(p)}}}
			}},
		fixed("7.1.7", "close frame written 1 byte at a time", Expect{}, chunked(1, closeFrame(CloseNormal, "bye"))),
		fixed("7.1.8", "ping, then a close frame", Expect{Pongs: [][]byte{[]byte("before close")}},
			send(ping([]byte("before close")), normal)),

		fixed("7.3.1", "close frame without payload", Expect{CloseReply: []int{NoStatus, CloseNormal}},
			send(Frame{Opcode: OpClose, Fin: true})),
		fixed("7.3.2", "close frame with a 1-byte payload", fails(CloseProtocolError),
			send(Frame{Opcode: OpClose, Fin: true, Payload: []byte{0x03}})),
		fixed("7.3.3", "close frame with code 1000 and no reason", Expect{}, send(normal)),
		fixed("7.3.4", "close frame with code 1000 and a reason", Expect{}, send(closeFrame(CloseNormal, "Hello World!"))),
		fixed("7.3.5", "close frame with code 1000 and a reason of 123 bytes (largest)", Expect{},
			send(closeFrame(CloseNormal, reason123))),
		fixed("7.3.6", "close frame with code 1000 and a reason of 124 bytes (payload of 126)", fails(CloseProtocolError),
			send(closeFrame(CloseNormal, reason124))),
		fixed("7.3.7", "close frame with a reason of 123 bytes of 2-byte characters", Expect{},
			send(closeFrame(CloseNormal, multibyte))),

		fixed("7.5.1", "close frame whose reason is not UTF-8 (a surrogate)", Expect{Fail: []int{CloseInvalidData}, NonStrictFail: []int{CloseProtocolError}},
			send(closeFrame(CloseNormal, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))),
		fixed("7.5.2", "close frame whose reason ends inside a character", Expect{Fail: []int{CloseInvalidData}, NonStrictFail: []int{CloseProtocolError}},
			send(closeFrame(CloseNormal, "bye \xe2\x82"))),
		fixed("7.5.3", "close frame whose reason has the byte 0xff", Expect{Fail: []int{CloseInvalidData}, NonStrictFail: []int{CloseProtocolError}},
			send(closeFrame(CloseNormal, "\xff"))),
		fixed("7.5.4", "close frame whose reason is valid UTF-8 of 1 to 4 bytes per character", Expect{},
			send(closeFrame(CloseNormal, "aé€😀"))),
	}

	// 7.7: codes that may be sent are echoed (RFC 6455 section 5.5.1).
	// 7.9: codes that may not be sent fail the connection. Together they
	// cover every range of the IANA registry: 0-999, 1000-1003, 1004-1006,
	// 1007-1014, 1015, 1016-2999, 3000-3999, 4000-4999, 5000 and up.
	valid := []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3001, 3500, 3999, 4000, 4001, 4500, 4999}
	for i, code := range valid {
		cs = append(cs, fixed(fmt.Sprintf("7.7.%d", i+1), fmt.Sprintf("close frame with the valid code %d: echoed", code),
			Expect{}, send(closeFrame(code, "reason"))))
	}
	invalid := []int{0, 1, 500, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 6000, 65535}
	for i, code := range invalid {
		cs = append(cs, fixed(fmt.Sprintf("7.9.%d", i+1), fmt.Sprintf("close frame with the invalid code %d", code),
			fails(CloseProtocolError), send(closeFrame(code, ""))))
	}
	cs = append(cs,
		fixed("7.13.1", "close frame with the invalid code 1005 and a reason", fails(CloseProtocolError), send(closeFrame(1005, "no status"))),
		fixed("7.13.2", "close frame with the invalid code 2999, written 1 byte at a time", fails(CloseProtocolError), chunked(1, closeFrame(2999, "reserved"))),
		fixed("7.13.3", "close frame with the valid code 3000 and a reason of 123 bytes", Expect{}, send(closeFrame(3000, reason123))),
	)
	return cs
}

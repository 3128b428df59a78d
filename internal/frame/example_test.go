package frame_test

import (
	"fmt"

	"github.com/wsconn/wsconn/internal/frame"
)

func ExampleParseHeader() {
	// A masked "Hello" text frame (RFC 6455, section 5.7) arriving in
	// two reads.
	wire := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	buf := wire[:3]

	_, n, need, err := frame.ParseHeader(buf)
	fmt.Println(n, need, err)

	buf = wire // the rest arrived
	h, n, _, err := frame.ParseHeader(buf)
	if err != nil {
		panic(err)
	}
	payload := buf[n : n+int(h.Length)]
	frame.Mask(h.Key, 0, payload)
	fmt.Println(h.Opcode, h.Fin, h.Length, string(payload))
	// Output:
	// 0 6 <nil>
	// text true 5 Hello
}

func ExampleMask() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	payload := []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58}

	// Unmask in two pieces, carrying the key position over.
	pos := frame.Mask(key, 0, payload[:3])
	pos = frame.Mask(key, pos, payload[3:])
	fmt.Println(string(payload), pos)
	// Output: Hello 1
}

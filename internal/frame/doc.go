// Package frame encodes and decodes WebSocket frames as laid out in
// RFC 6455, section 5.2.
//
// The package deals only with the wire format: the two fixed header bytes,
// the extended payload length, the masking key and the masking of payload
// bytes. It does not judge whether a frame is allowed in its context (a
// reserved opcode, an RSV bit without a negotiated extension, a fragmented
// or oversized control frame, an unmasked frame from a client); those rules
// depend on the state of the connection and are enforced there.
//
// The connection decodes headers from its own read buffer with ParseHeader,
// encodes them into its own write buffer with PutHeader, and masks payloads
// in place with Mask, possibly in several pieces. AppendFrame and ReadFrame
// handle whole frames at once and are meant for tests and tools.
package frame

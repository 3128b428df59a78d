// Package handshake implements the opening handshake of the WebSocket
// protocol (RFC 6455 section 4) on net/http types, for both ends of a
// connection, with no I/O of its own.
//
// It mirrors libsoup's four handshake functions. A client fills its request
// with ClientPrepare, sends it however it likes, and checks the answer with
// ClientVerify. A server checks a request with Server.Check or, to answer
// it, Server.Process, which also chooses the subprotocol and negotiates the
// extensions; WriteError answers a refused request.
//
// Over HTTP/2 and HTTP/3 the same functions handle the extended CONNECT
// form of the handshake (RFC 8441, RFC 9220): a client prepares a request
// whose Method is CONNECT, a server's Check and Process recognise one,
// and the answer is a 200 response instead of a 101.
//
// Every failed check is an *Error wrapping one of the Err sentinels, so that
// errors.Is tells which check failed and errors.As gives the header, the
// offending value and, on a server, the HTTP status to answer with. A client
// that gets an answer other than 101 Switching Protocols gets a *StatusError
// holding the response, whose body is left for the caller to read.
package handshake

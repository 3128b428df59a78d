// Package iostream adapts byte streams for use as the transport of a
// WebSocket connection.
//
// A wsconn connection runs over any io.ReadWriteCloser on which the opening
// handshake is already done. This package makes common transports fit that
// shape and describes the optional capabilities that the connection uses
// when a stream offers them:
//
//   - CloseWriter: shut down the writing half while still reading, so that
//     the peer sees end of stream after the Close frame (TCP FIN).
//   - ReadWaiter: block until data is readable without consuming it and
//     without a buffer, so an idle connection can return its read buffer to
//     a pool.
//   - Vectored writes, through the WriteBuffers function: a frame header and
//     its payload go out in one system call where the stream allows it.
//   - TryWriter: write what the stream takes at once, without waiting for
//     room, so that a sender writes its message itself when the stream has
//     room instead of waking the connection's writer goroutine.
//
// The adapters are:
//
//   - NewConn wraps a net.Conn to add WaitRead (using a non-consuming peek on
//     Unix sockets), TryWriteBuffers (on Linux sockets), vectored writes and
//     CloseWrite.
//   - Join builds a stream from a separate reader and writer, such as
//     os.Stdin and os.Stdout or the pipes of a subprocess.
//   - Pipe and PipeSize make a connected pair of in-memory, buffered,
//     full-duplex streams for tests and in-process use.
//   - NewPrefixed and FromHijack replay bytes that an HTTP handshake read
//     past the end of its request or response head before reading further
//     from the stream.
//
// Every wrapper in this package passes the capabilities of the stream it
// wraps down to it, so wrapping does not hide a capability from the
// connection.
package iostream

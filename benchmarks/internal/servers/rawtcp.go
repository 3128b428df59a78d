package servers

import (
	"net"
	"syscall"
)

// rawEcho echoes the bytes of a plain TCP connection: the floor of the
// idle workload. Like the WebSocket servers it spends a goroutine per
// connection, and like the leanest of them it holds no buffer while the
// connection is idle: it waits until the socket is readable (peeking
// through the runtime's poller), then borrows a buffer for the read and
// the echo.
func rawEcho(nc net.Conn) {
	defer nc.Close()
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var peek [1]byte
	readable := func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN // data, end of stream or an error, which Read reports
	}
	for {
		if err := rc.Read(readable); err != nil {
			return
		}
		buf := copyBuffers.Get().(*[]byte)
		n, err := nc.Read(*buf)
		if n > 0 {
			if _, werr := nc.Write((*buf)[:n]); werr != nil && err == nil {
				err = werr
			}
		}
		copyBuffers.Put(buf)
		if err != nil {
			return
		}
	}
}

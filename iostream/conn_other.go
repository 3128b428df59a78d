//go:build !unix || aix

package iostream

import "net"

// peeker would wait until a socket is readable; this system has none.
type peeker struct{}

// newPeeker returns nil: WaitRead cannot wait on this system.
func newPeeker(net.Conn) *peeker {
	return nil
}

func (*peeker) wait(net.Conn) error {
	return nil
}

//go:build !linux

package iostream

import "net"

// tryWriter would write to a socket without waiting; on this system
// TryWriteBuffers is not supported.
type tryWriter struct{}

func newTryWriter(*peeker) *tryWriter { return nil }

func (*tryWriter) write(*net.Buffers) (int64, error) { return 0, nil }

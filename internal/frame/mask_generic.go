//go:build !amd64 || purego

package frame

// maskVector masks the part of b that a vector routine handles and returns
// the rest. There is no such routine here, so it returns b untouched.
func maskVector(b []byte, k uint64) []byte {
	return b
}

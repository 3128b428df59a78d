package extensions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/deflateref"
)

// refInflate decodes data after hist, the output of earlier messages,
// with the reference DEFLATE decoder (internal/deflateref, which the
// conformance suite uses too, and which is written independently of the
// library under test), and reports the farthest back any match reached.
// It decodes until a final block or until the data ends at a block
// boundary, as a sync-flushed message does once 0x00 0x00 0xff 0xff are
// put back.
func refInflate(data, hist []byte) (out []byte, maxDist int, err error) {
	return deflateref.Decode(data, hist, deflateref.Options{})
}

// codeLengthOrder is the order of the code length code's lengths, RFC
// 1951 section 3.2.7, for the tests that write DEFLATE by hand.
var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func TestRefInflate(t *testing.T) {
	// RFC 7692 section 7.2.3.1: "Hello" compressed, then the same with
	// a reference into the previous message (7.2.3.2).
	out, _, err := refInflate([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))
	out, maxDist, err := refInflate([]byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, []byte("Hello"))
	require.NoError(t, err)
	assert.Equal(t, "Hello", string(out))
	assert.Equal(t, 5, maxDist)

	// That message is "H" then 4 bytes from 5 back.
	_, _, err = refInflate([]byte{0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff}, []byte("llo"))
	assert.ErrorContains(t, err, "beyond")
}

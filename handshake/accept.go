package handshake

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
)

// keyGUID is the fixed string that RFC 6455 section 1.3 appends to the key.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value that answers the
// Sec-WebSocket-Key key: the base64 encoding of the SHA-1 hash of the key
// followed by the GUID of RFC 6455 section 1.3. The key is used as it is,
// without decoding or trimming.
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(keyGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// newKey returns a fresh Sec-WebSocket-Key: 16 random bytes, base64.
func newKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("handshake: generating Sec-WebSocket-Key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// checkKey reports why key is not the base64 encoding of 16 bytes, or ""
// if it is.
func checkKey(key string) string {
	// 16 bytes are 24 base64 characters with "==" padding. Checking the
	// length first also keeps the decoder from skipping '\r' and '\n'.
	if len(key) != 24 {
		return fmt.Sprintf("%d characters, want 24", len(key))
	}
	b, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return "not base64"
	}
	if len(b) != 16 {
		return fmt.Sprintf("decodes to %d bytes, want 16", len(b))
	}
	return ""
}

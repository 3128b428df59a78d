package handshake_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsconn/wsconn/handshake"
)

func TestAcceptKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{rfcKey, rfcAccept}, // RFC 6455 section 1.3
		{"x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
		{"", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, handshake.AcceptKey(tt.key), "AcceptKey(%q)", tt.key)
	}
}

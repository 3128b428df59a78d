package hubnats

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultPrefix is the subject prefix of a Broker whose Options.Prefix is
// empty: topic "room" is subject "wsconn.hub.room".
const DefaultPrefix = "wsconn.hub."

// MaxSubjectLen bounds the length of a topic's subject, prefix included.
// A NATS server closes a connection that sends a protocol line longer
// than its max_control_line (4096 bytes by default), which would take
// every topic of the hub down with it; a topic whose subject is longer is
// refused with ErrTopicTooLong instead.
const MaxSubjectLen = 1024

// ErrTopicTooLong is returned by Publish and Subscribe for a topic whose
// subject would be longer than MaxSubjectLen.
var ErrTopicTooLong = errors.New("hubnats: topic too long for a NATS subject")

// Token returns the subject token of topic: one token whatever the topic
// holds. Bytes that are ASCII letters, digits, '-' or '_' stand for
// themselves; every other byte (the token separator '.', the wildcards
// '*' and '>', white space, '%', bytes of non-ASCII characters) is
// written as '%' and two upper-case hexadecimal digits, as in a URL. The
// empty topic is the token "%", which no other topic yields, as each '%'
// of an escaped topic is followed by two digits.
//
// The mapping is one-to-one, so topics never share a subject, and plain
// topics keep readable subjects: "room-1" is "wsconn.hub.room-1", "a.b"
// is "wsconn.hub.a%2Eb". A process without this package publishes to a
// topic by escaping its name the same way.
func Token(topic string) string {
	if topic == "" {
		return "%"
	}
	n := 0 // bytes to escape
	for i := 0; i < len(topic); i++ {
		if !plain(topic[i]) {
			n++
		}
	}
	if n == 0 {
		return topic
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(topic) + 2*n)
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if plain(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// plain reports whether c stands for itself in a token.
func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// subject returns the subject of topic under prefix.
func subject(prefix, topic string) (string, error) {
	s := prefix + Token(topic)
	if len(s) > MaxSubjectLen {
		return "", fmt.Errorf("%w: %d bytes", ErrTopicTooLong, len(s))
	}
	return s, nil
}

// checkPrefix reports why prefix cannot start the subjects of topics: it
// must be literal tokens (no white space, no wildcard, none empty), each
// followed by '.'.
func checkPrefix(prefix string) error {
	if !strings.HasSuffix(prefix, ".") {
		return fmt.Errorf("hubnats: prefix %q does not end with '.'", prefix)
	}
	if len(prefix) >= MaxSubjectLen {
		return fmt.Errorf("hubnats: prefix %q is too long", prefix)
	}
	for _, tok := range strings.Split(prefix[:len(prefix)-1], ".") {
		switch {
		case tok == "":
			return fmt.Errorf("hubnats: prefix %q has an empty token", prefix)
		case tok == "*" || tok == ">":
			return fmt.Errorf("hubnats: prefix %q has a wildcard", prefix)
		case strings.ContainsAny(tok, " \t\r\n"):
			return fmt.Errorf("hubnats: prefix %q has white space", prefix)
		}
	}
	return nil
}

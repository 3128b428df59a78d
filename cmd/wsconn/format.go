package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/wsconn/wsconn"
)

// binaryFormat is how binary messages are printed (-binary): they may
// hold any byte, and a line of output must stay a line.
type binaryFormat string

const (
	binaryHex    binaryFormat = "hex"
	binaryBase64 binaryFormat = "base64"
)

func (f *binaryFormat) String() string { return string(*f) }

func (f *binaryFormat) Set(v string) error {
	switch binaryFormat(v) {
	case binaryHex, binaryBase64:
		*f = binaryFormat(v)
		return nil
	}
	return fmt.Errorf("%q is neither hex nor base64", v)
}

// format returns a message as it is printed: text as it is, binary
// encoded as f says.
func (f binaryFormat) format(typ wsconn.DataType, data []byte) string {
	if typ == wsconn.DataText {
		return string(data)
	}
	if f == binaryBase64 {
		return base64.StdEncoding.EncodeToString(data)
	}
	return hex.EncodeToString(data)
}

package extensions_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
)

// p returns a parameter with a value; flag returns one without.
func p(name, value string) extensions.Param {
	return extensions.Param{Name: name, Value: value, HasValue: true}
}

func flag(name string) extensions.Param { return extensions.Param{Name: name} }

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []extensions.Offer
	}{
		{"no lines", nil, nil},
		{"bare name", []string{"permessage-deflate"},
			[]extensions.Offer{{Name: "permessage-deflate"}}},
		{"name case kept", []string{"PerMessage-Deflate"},
			[]extensions.Offer{{Name: "PerMessage-Deflate"}}},
		{"flag and value", []string{"permessage-deflate; client_no_context_takeover; server_max_window_bits=10"},
			[]extensions.Offer{{Name: "permessage-deflate", Params: extensions.Params{
				flag("client_no_context_takeover"), p("server_max_window_bits", "10")}}}},
		{"comma list", []string{"a; x=1, b, c; y"},
			[]extensions.Offer{
				{Name: "a", Params: extensions.Params{p("x", "1")}},
				{Name: "b"},
				{Name: "c", Params: extensions.Params{flag("y")}},
			}},
		{"several lines merged", []string{"a", "b; x=1, c"},
			[]extensions.Offer{{Name: "a"}, {Name: "b", Params: extensions.Params{p("x", "1")}}, {Name: "c"}}},
		{"repeated parameter kept for the extension to refuse", []string{"a; x=1; x=2, b; y; Y=2"},
			[]extensions.Offer{
				{Name: "a", Params: extensions.Params{p("x", "1"), p("x", "2")}},
				{Name: "b", Params: extensions.Params{flag("y"), p("Y", "2")}},
			}},
		{"same extension twice", []string{"a; x=1, a; x=2"},
			[]extensions.Offer{
				{Name: "a", Params: extensions.Params{p("x", "1")}},
				{Name: "a", Params: extensions.Params{p("x", "2")}},
			}},
		{"quoted value", []string{`a; x="10"`},
			[]extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "10")}}}},
		{"quoted pair", []string{`a; x="1\0"`},
			[]extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "10")}}}},
		{"quoted token chars", []string{`a; x="!#$%&'*+-.^_` + "`|~" + `"`},
			[]extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "!#$%&'*+-.^_`|~")}}}},
		{"odd whitespace", []string{" \ta \t;\tx \t= \t1 \t, \tb\t ;  y ; z= \"2\"  "},
			[]extensions.Offer{
				{Name: "a", Params: extensions.Params{p("x", "1")}},
				{Name: "b", Params: extensions.Params{flag("y"), p("z", "2")}},
			}},
		{"no whitespace", []string{"a;x=1;y,b"},
			[]extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "1"), flag("y")}}, {Name: "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extensions.ParseHeader(tt.values)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		msg    string // part of the error message
	}{
		{"empty line", []string{""}, "empty list element at byte 0"},
		{"blank line", []string{"  "}, "empty list element at byte 2"},
		{"empty second line", []string{"a", ""}, `empty list element at byte 0 of ""`},
		{"leading comma", []string{", a"}, "empty list element at byte 0"},
		{"trailing comma", []string{"a,"}, "empty list element at byte 2"},
		{"double comma", []string{"a, ,b"}, "empty list element at byte 3"},
		{"missing name", []string{"; x=1"}, `expected extension name, found ';' at byte 0`},
		{"trailing semicolon", []string{"a;"}, "expected parameter name, found end of line at byte 2"},
		{"double semicolon", []string{"a;;x"}, `expected parameter name, found ';' at byte 2`},
		{"missing value", []string{"a; x="}, "expected parameter value, found end of line at byte 5"},
		{"missing value before comma", []string{"a; x=, b"}, `expected parameter value, found ',' at byte 5`},
		{"space in name", []string{"a b"}, `expected ',' or end of line, found 'b' at byte 2`},
		{"slash in name", []string{"a/b"}, `found '/' at byte 1`},
		{"control char", []string{"a\x01"}, `found '\x01' at byte 1`},
		{"non-ASCII", []string{"a; x=é"}, `expected parameter value, found 'Ã' at byte 5`},
		{"equals in value", []string{"a; x=1=2"}, `found '=' at byte 6`},
		{"empty quoted value", []string{`a; x=""`}, `quoted value "" is not a token at byte 5`},
		{"space in quoted value", []string{`a; x="1 0"`}, `quoted value "1 0" is not a token`},
		{"comma in quoted value", []string{`a; x="1,0"`}, `quoted value "1,0" is not a token`},
		{"unterminated quote", []string{`a; x="10`}, "unterminated quoted string at byte 5"},
		{"unterminated escape", []string{`a; x="10\`}, "unterminated quoted string"},
		{"quote in name", []string{`"a"`}, `expected extension name, found '"' at byte 0`},
		{"text after quote", []string{`a; x="1"2`}, `found '2' at byte 8`},
		{"long line truncated", []string{strings.Repeat("a", 100) + " b"}, `"` + strings.Repeat("a", 64) + `"...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extensions.ParseHeader(tt.values)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, extensions.ErrMalformedHeader)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestFormatHeader(t *testing.T) {
	tests := []struct {
		name   string
		offers []extensions.Offer
		want   string
	}{
		{"none", nil, ""},
		{"bare", []extensions.Offer{{Name: "a"}}, "a"},
		{"params", []extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "1"), flag("y")}}}, "a; x=1; y"},
		{"list", []extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "1")}}, {Name: "b"}}, "a; x=1, b"},
		{"value ignored without HasValue", []extensions.Offer{{Name: "a", Params: extensions.Params{{Name: "y", Value: "1"}}}}, "a; y"},
		{"non-token value quoted", []extensions.Offer{{Name: "a", Params: extensions.Params{p("x", `1 "2"\`)}}}, `a; x="1 \"2\"\\"`},
		{"empty value quoted", []extensions.Offer{{Name: "a", Params: extensions.Params{p("x", "")}}}, `a; x=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, extensions.FormatHeader(tt.offers))
		})
	}
}

func TestParamsGetAfterParse(t *testing.T) {
	offers, err := extensions.ParseHeader([]string{"a; Server_Max_Window_Bits=10"})
	require.NoError(t, err)
	got, ok := offers[0].Params.Get("server_max_window_bits")
	require.True(t, ok)
	assert.Equal(t, p("Server_Max_Window_Bits", "10"), got)
}

// FuzzParseHeader checks that ParseHeader never panics, that its errors
// wrap ErrMalformedHeader, and that FormatHeader writes what it parsed in a
// form that parses back to the same offers. Lines of the header are
// separated by '\n' in the input.
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		offers, err := extensions.ParseHeader(strings.Split(header, "\n"))
		if err != nil {
			if !errors.Is(err, extensions.ErrMalformedHeader) {
				t.Fatalf("error %v does not wrap ErrMalformedHeader", err)
			}
			return
		}
		if len(offers) == 0 {
			t.Fatalf("ParseHeader(%q) accepted no offers", header)
		}
		formatted := extensions.FormatHeader(offers)
		again, err := extensions.ParseHeader([]string{formatted})
		if err != nil {
			t.Fatalf("ParseHeader(%q) (formatted from %q): %v", formatted, header, err)
		}
		assert.Equal(t, offers, again, "formatted as %q", formatted)
	})
}

func ExampleParseHeader() {
	offers, err := extensions.ParseHeader([]string{
		`permessage-deflate; client_max_window_bits="10", permessage-deflate`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range offers {
		bits, ok := o.Params.Get("client_max_window_bits")
		fmt.Printf("%s: client_max_window_bits=%q present=%v\n", o.Name, bits.Value, ok)
	}

	_, err = extensions.ParseHeader([]string{"permessage-deflate; a=1;; a=2"})
	fmt.Println(err)
	// Output:
	// permessage-deflate: client_max_window_bits="10" present=true
	// permessage-deflate: client_max_window_bits="" present=false
	// extensions: malformed Sec-WebSocket-Extensions header: expected parameter name, found ';' at byte 24 of "permessage-deflate; a=1;; a=2"
}

func ExampleFormatHeader() {
	fmt.Println(extensions.FormatHeader([]extensions.Offer{
		{Name: "permessage-deflate", Params: extensions.Params{
			{Name: "server_no_context_takeover"},
			{Name: "client_max_window_bits", Value: "12", HasValue: true},
		}},
		{Name: "x-custom"},
	}))
	// Output:
	// permessage-deflate; server_no_context_takeover; client_max_window_bits=12, x-custom
}

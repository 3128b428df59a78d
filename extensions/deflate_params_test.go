package extensions

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// params parses a parameter list written as in a header, such as
// "server_no_context_takeover; client_max_window_bits=10".
func params(t testing.TB, s string) Params {
	t.Helper()
	if s == "" {
		return nil
	}
	offers, err := ParseHeader([]string{"x; " + s})
	require.NoError(t, err)
	return offers[0].Params
}

// newTestDeflate returns an unconfigured extension with opts.
func newTestDeflate(opts DeflateOptions) *deflate {
	return NewDeflate(opts)().(*deflate)
}

func TestParseDeflateParams(t *testing.T) {
	tests := []struct {
		name    string
		params  string
		raw     Params // instead of params, for what ParseHeader refuses
		offer   bool
		want    deflateParams
		wantErr string // "" for success
	}{
		{name: "none", offer: true},
		{name: "all in offer", params: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9", offer: true,
			want: deflateParams{serverNoCtx: true, clientNoCtx: true, serverBits: 10, clientBits: 9, clientBitsPresent: true}},
		{name: "all in answer", params: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=8",
			want: deflateParams{serverNoCtx: true, clientNoCtx: true, serverBits: 15, clientBits: 8, clientBitsPresent: true}},
		{name: "value-less client bits in offer", params: "client_max_window_bits", offer: true,
			want: deflateParams{clientBitsPresent: true}},
		{name: "quoted value", params: `server_max_window_bits="12"`, offer: true, want: deflateParams{serverBits: 12}},
		{name: "names ignore case", params: "Server_No_Context_Takeover; CLIENT_MAX_WINDOW_BITS=11", offer: true,
			want: deflateParams{serverNoCtx: true, clientBits: 11, clientBitsPresent: true}},

		{name: "value-less client bits in answer", params: "client_max_window_bits", wantErr: "needs a value"},
		{name: "value-less server bits in offer", params: "server_max_window_bits", offer: true, wantErr: "needs a value"},
		{name: "value-less server bits in answer", params: "server_max_window_bits", wantErr: "needs a value"},
		{name: "unknown", params: "client_max_window_bits; x_mode=1", offer: true, wantErr: `unknown parameter "x_mode"`},
		{name: "unknown flag", params: "no_context_takeover", offer: true, wantErr: "unknown parameter"},
		{name: "flag with value", params: "server_no_context_takeover=1", offer: true, wantErr: "takes no value"},
		{name: "client flag with value", params: "client_no_context_takeover=true", wantErr: "takes no value"},
		{name: "bits 7", params: "server_max_window_bits=7", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 16", params: "client_max_window_bits=16", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 08", params: "server_max_window_bits=08", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 010", params: "client_max_window_bits=010", wantErr: "want 8 to 15"},
		{name: "bits abc", params: "server_max_window_bits=abc", offer: true, wantErr: "want 8 to 15"},
		{name: "bits +9", params: "server_max_window_bits=+9", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 0", params: "client_max_window_bits=0", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 1e1", params: "client_max_window_bits=1e1", offer: true, wantErr: "want 8 to 15"},
		{name: "bits 100", params: "client_max_window_bits=100", offer: true, wantErr: "want 8 to 15"},
		{name: "bits with space", raw: Params{{Name: paramServerMaxBits, Value: " 9", HasValue: true}}, offer: true, wantErr: "want 8 to 15"},
		{name: "bits empty", raw: Params{{Name: paramClientMaxBits, HasValue: true}}, offer: true, wantErr: "want 8 to 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.raw
			if ps == nil {
				ps = params(t, tt.params)
			}
			got, err := parseDeflateParams(ps, tt.offer)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrNegotiation)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseDeflateParamsRepeated(t *testing.T) {
	// ParseHeader leaves repeated names to the extension: Configure refuses them.
	for _, name := range deflateParamNames {
		for _, second := range []string{name, toUpper(name)} {
			ps := Params{{Name: name}, {Name: second}}
			if name == paramServerMaxBits || name == paramClientMaxBits {
				ps = Params{{Name: name, Value: "10", HasValue: true}, {Name: second, Value: "10", HasValue: true}}
			}
			_, err := parseDeflateParams(ps, true)
			assert.ErrorIs(t, err, ErrNegotiation, "%s then %s", name, second)
			assert.ErrorContains(t, err, "repeated")
		}
	}
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestDeflateServerAnswer(t *testing.T) {
	tests := []struct {
		name   string
		server DeflateOptions
		offer  string
		raw    Params // instead of offer, for what ParseHeader refuses
		want   string // the answer, or "refused"
	}{
		{name: "bare offer", offer: "", want: ""},
		{name: "browser offer", offer: "client_max_window_bits", want: ""},
		{name: "server no context asked", offer: "server_no_context_takeover",
			want: "server_no_context_takeover"},
		{name: "client no context hint repeated", offer: "client_no_context_takeover",
			want: "client_no_context_takeover"},
		{name: "server bits asked", offer: "server_max_window_bits=10",
			want: "server_max_window_bits=10"},
		{name: "server bits 8 asked", offer: "server_max_window_bits=8",
			want: "server_max_window_bits=8"},
		{name: "client bits value repeated", offer: "client_max_window_bits=9",
			want: "client_max_window_bits=9"},
		{name: "all asked", offer: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
			want: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12"},

		{name: "server keeps no context", server: DeflateOptions{ServerNoContextTakeover: true}, offer: "",
			want: "server_no_context_takeover"},
		{name: "server requires client no context", server: DeflateOptions{ClientNoContextTakeover: true}, offer: "",
			want: "client_no_context_takeover"},
		{name: "server limits its window", server: DeflateOptions{ServerMaxWindowBits: 10}, offer: "",
			want: "server_max_window_bits=10"},
		{name: "server limit stricter than asked", server: DeflateOptions{ServerMaxWindowBits: 9}, offer: "server_max_window_bits=12",
			want: "server_max_window_bits=9"},
		{name: "asked stricter than server limit", server: DeflateOptions{ServerMaxWindowBits: 12}, offer: "server_max_window_bits=9",
			want: "server_max_window_bits=9"},
		{name: "server limits client window", server: DeflateOptions{ClientMaxWindowBits: 10}, offer: "client_max_window_bits",
			want: "client_max_window_bits=10"},
		{name: "client offered a smaller window", server: DeflateOptions{ClientMaxWindowBits: 10}, offer: "client_max_window_bits=8",
			want: "client_max_window_bits=8"},
		{name: "server limit on client below offer", server: DeflateOptions{ClientMaxWindowBits: 9}, offer: "client_max_window_bits=14",
			want: "client_max_window_bits=9"},
		{name: "cannot limit a client that did not offer", server: DeflateOptions{ClientMaxWindowBits: 10}, offer: "",
			want: ""},
		{name: "everything", server: DeflateOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 11, ServerMaxWindowBits: 13},
			offer: "client_max_window_bits",
			want:  "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=13; client_max_window_bits=11"},

		{name: "unknown parameter", offer: "client_max_window_bits; mux", want: "refused"},
		{name: "duplicate", raw: Params{{Name: paramClientNoContext}, {Name: "CLIENT_NO_CONTEXT_TAKEOVER"}}, want: "refused"},
		{name: "duplicate bits", raw: Params{bitsParam(paramServerMaxBits, 10), bitsParam(paramServerMaxBits, 9)}, want: "refused"},
		{name: "value-less server bits", offer: "server_max_window_bits", want: "refused"},
		{name: "bits 7", offer: "server_max_window_bits=7", want: "refused"},
		{name: "bits 16", offer: "client_max_window_bits=16", want: "refused"},
		{name: "bits 08", offer: "client_max_window_bits=08", want: "refused"},
		{name: "bits abc", offer: "server_max_window_bits=abc", want: "refused"},
		{name: "flag with value", offer: "server_no_context_takeover=yes", want: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := tt.raw
			if offer == nil {
				offer = params(t, tt.offer)
			}
			d := newTestDeflate(tt.server)
			err := d.Configure(Server, offer)
			if tt.want == "refused" {
				assert.ErrorIs(t, err, ErrNegotiation)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, formatParams(d.ResponseParams()))

			// A client that offered exactly this accepts the answer.
			c := newTestDeflate(optionsFromOffer(t, offer))
			require.NoError(t, c.Configure(Client, d.ResponseParams()))
			assertAgree(t, c, d)
		})
	}
}

func TestDeflateClientOffer(t *testing.T) {
	tests := []struct {
		opts DeflateOptions
		want string
	}{
		{DeflateOptions{}, "client_max_window_bits"},
		{DeflateOptions{ClientMaxWindowBits: 15, ServerMaxWindowBits: 15}, "client_max_window_bits"},
		{DeflateOptions{ClientNoContextTakeover: true}, "client_no_context_takeover; client_max_window_bits"},
		{DeflateOptions{ServerNoContextTakeover: true}, "server_no_context_takeover; client_max_window_bits"},
		{DeflateOptions{ClientMaxWindowBits: 8}, "client_max_window_bits=8"},
		{DeflateOptions{ServerMaxWindowBits: 10}, "server_max_window_bits=10; client_max_window_bits"},
		{DeflateOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 9, ServerMaxWindowBits: 12},
			"client_no_context_takeover; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=9"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatParams(newTestDeflate(tt.opts).RequestParams()), "%+v", tt.opts)
	}
}

func TestDeflateClientAccept(t *testing.T) {
	tests := []struct {
		name    string
		client  DeflateOptions
		answer  string
		want    deflateAgreement // unless wantErr
		wantErr string
	}{
		{name: "bare answer", answer: "",
			want: deflateAgreement{clientBits: 15, serverBits: 15}},
		{name: "server chose no context", answer: "server_no_context_takeover",
			want: deflateAgreement{serverNoCtx: true, clientBits: 15, serverBits: 15}},
		{name: "server requires client no context", answer: "client_no_context_takeover",
			want: deflateAgreement{clientNoCtx: true, clientBits: 15, serverBits: 15}},
		{name: "server limits its window unasked", answer: "server_max_window_bits=9",
			want: deflateAgreement{clientBits: 15, serverBits: 9}},
		{name: "server limits client window", answer: "client_max_window_bits=10",
			want: deflateAgreement{clientBits: 10, serverBits: 15}},
		{name: "client keeps its hint", client: DeflateOptions{ClientNoContextTakeover: true, ClientMaxWindowBits: 11}, answer: "",
			want: deflateAgreement{clientNoCtx: true, clientBits: 11, serverBits: 15}},
		{name: "client bits lowered", client: DeflateOptions{ClientMaxWindowBits: 11}, answer: "client_max_window_bits=9",
			want: deflateAgreement{clientBits: 9, serverBits: 15}},
		{name: "client bits equal", client: DeflateOptions{ClientMaxWindowBits: 11}, answer: "client_max_window_bits=11",
			want: deflateAgreement{clientBits: 11, serverBits: 15}},
		{name: "server bits as asked", client: DeflateOptions{ServerMaxWindowBits: 10}, answer: "server_max_window_bits=10",
			want: deflateAgreement{clientBits: 15, serverBits: 10}},
		{name: "server bits below asked", client: DeflateOptions{ServerMaxWindowBits: 10}, answer: "server_max_window_bits=8",
			want: deflateAgreement{clientBits: 15, serverBits: 8}},
		{name: "server no context granted", client: DeflateOptions{ServerNoContextTakeover: true}, answer: "server_no_context_takeover",
			want: deflateAgreement{serverNoCtx: true, clientBits: 15, serverBits: 15}},

		{name: "server no context not granted", client: DeflateOptions{ServerNoContextTakeover: true}, answer: "",
			wantErr: "lacks server_no_context_takeover"},
		{name: "server bits not granted", client: DeflateOptions{ServerMaxWindowBits: 10}, answer: "",
			wantErr: "lacks server_max_window_bits"},
		{name: "server bits above asked", client: DeflateOptions{ServerMaxWindowBits: 10}, answer: "server_max_window_bits=11",
			wantErr: "exceeds the 10 offered"},
		{name: "client bits above offered", client: DeflateOptions{ClientMaxWindowBits: 9}, answer: "client_max_window_bits=10",
			wantErr: "exceeds the 9 offered"},
		{name: "value-less client bits", answer: "client_max_window_bits", wantErr: "needs a value"},
		{name: "value-less server bits", answer: "server_max_window_bits", wantErr: "needs a value"},
		{name: "unknown parameter", answer: "server_no_context_takeover; level=3", wantErr: "unknown parameter"},
		{name: "bits 7", answer: "server_max_window_bits=7", wantErr: "want 8 to 15"},
		{name: "bits 16", answer: "client_max_window_bits=16", wantErr: "want 8 to 15"},
		{name: "bits 09", answer: "client_max_window_bits=09", wantErr: "want 8 to 15"},
		{name: "flag with value", answer: "client_no_context_takeover=1", wantErr: "takes no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDeflate(tt.client)
			err := d.Configure(Client, params(t, tt.answer))
			if tt.wantErr != "" {
				assert.ErrorIs(t, err, ErrNegotiation)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, agreementOf(d))
			assert.Empty(t, d.ResponseParams())
		})
	}
}

func TestDeflateConfigureSide(t *testing.T) {
	err := newTestDeflate(DeflateOptions{}).Configure(Side(0), nil)
	assert.ErrorIs(t, err, ErrNegotiation)
}

// TestDeflateNegotiationMatrix negotiates every combination of the four
// parameters on both sides, including window bits 8 and explicit 15, and
// checks that both ends agree and that each side got at least what it
// asked for.
func TestDeflateNegotiationMatrix(t *testing.T) {
	all := allDeflateOptions()
	for _, co := range all {
		for _, so := range all {
			c, s := newTestDeflate(co), newTestDeflate(so)
			require.NoError(t, s.Configure(Server, c.RequestParams()), "client %+v server %+v", co, so)
			require.NoError(t, c.Configure(Client, s.ResponseParams()), "client %+v server %+v answer %q", co, so, formatParams(s.ResponseParams()))
			a := agreementOf(c)
			if !assertAgree(t, c, s) {
				t.Fatalf("client %+v server %+v", co, so)
			}
			// What each side asked for, it got.
			assert.Equal(t, co.ServerNoContextTakeover || so.ServerNoContextTakeover, a.serverNoCtx)
			assert.Equal(t, co.ClientNoContextTakeover || so.ClientNoContextTakeover, a.clientNoCtx)
			assert.Equal(t, orMaxBits(minBits(co.ServerMaxWindowBits, so.ServerMaxWindowBits)), a.serverBits)
			// The client always offers client_max_window_bits, so that the
			// server's limit applies.
			assert.Equal(t, orMaxBits(minBits(co.ClientMaxWindowBits, so.ClientMaxWindowBits)), a.clientBits)
		}
	}
}

// allDeflateOptions returns every combination of the negotiated options,
// with window bits 0, 8, 10 and 15.
func allDeflateOptions() []DeflateOptions {
	var all []DeflateOptions
	bits := []int{0, 8, 10, 15}
	for _, cn := range []bool{false, true} {
		for _, sn := range []bool{false, true} {
			for _, cb := range bits {
				for _, sb := range bits {
					all = append(all, DeflateOptions{ClientNoContextTakeover: cn, ServerNoContextTakeover: sn, ClientMaxWindowBits: cb, ServerMaxWindowBits: sb})
				}
			}
		}
	}
	return all
}

func TestNewDeflatePanics(t *testing.T) {
	for _, opts := range []DeflateOptions{
		{ClientMaxWindowBits: 7}, {ClientMaxWindowBits: 16}, {ServerMaxWindowBits: -1}, {ServerMaxWindowBits: 1},
		{Level: -1}, {Level: 10}, {Threshold: -1},
	} {
		assert.Panics(t, func() { NewDeflate(opts) }, "%+v", opts)
	}
	d := newTestDeflate(DeflateOptions{})
	assert.Equal(t, defaultDeflateLevel, d.opts.Level)
	assert.Equal(t, defaultDeflateThreshold, d.threshold)
	assert.Equal(t, deflateName, d.Name())
	assert.Equal(t, byte(0x40), d.ReservedBits())
}

// agreementOf returns what a configured extension uses.
func agreementOf(d *deflate) deflateAgreement {
	if d.side == Client {
		return deflateAgreement{clientNoCtx: d.outNoCtx, serverNoCtx: d.inNoCtx, clientBits: d.outBits, serverBits: d.inBits}
	}
	return deflateAgreement{clientNoCtx: d.inNoCtx, serverNoCtx: d.outNoCtx, clientBits: d.inBits, serverBits: d.outBits}
}

// assertAgree checks that a configured client and server use the same
// parameters for each direction.
func assertAgree(t testing.TB, c, s *deflate) bool {
	t.Helper()
	return assert.Equal(t, agreementOf(c), agreementOf(s), "client and server disagree")
}

// optionsFromOffer returns the options of a client whose RequestParams
// asks for what offer does.
func optionsFromOffer(t testing.TB, offer Params) DeflateOptions {
	t.Helper()
	p, err := parseDeflateParams(offer, true)
	require.NoError(t, err)
	return DeflateOptions{
		ClientNoContextTakeover: p.clientNoCtx,
		ServerNoContextTakeover: p.serverNoCtx,
		ClientMaxWindowBits:     p.clientBits,
		ServerMaxWindowBits:     p.serverBits,
	}
}

// formatParams writes params as they appear after the extension name in
// a header.
func formatParams(ps Params) string {
	s := FormatHeader([]Offer{{Name: "x", Params: ps}})
	if len(s) > 3 {
		return s[3:]
	}
	return ""
}

func TestDeflateErrorText(t *testing.T) {
	err := newTestDeflate(DeflateOptions{}).Configure(Server, Params{{Name: "x"}})
	assert.True(t, errors.Is(err, ErrNegotiation))
	assert.Equal(t, `extensions: negotiation failed: permessage-deflate: unknown parameter "x"`, err.Error())
	assert.Equal(t, fmt.Sprint(errNotConfigured), "extensions: permessage-deflate: not configured")
}

package extensions

// DeflateSettings returns what a configured permessage-deflate extension
// uses for each direction, for the tests of package extensions_test.
func DeflateSettings(e Extension) (clientNoCtx, serverNoCtx bool, clientBits, serverBits int) {
	a := agreementOf(e.(*deflate))
	return a.clientNoCtx, a.serverNoCtx, a.clientBits, a.serverBits
}

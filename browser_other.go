//go:build !(js && wasm)

package wsconn

import (
	"context"
	"net/http"
)

// inBrowser reports whether the program runs in a browser, where Dial uses
// the browser's WebSocket (see browser_js.go).
const inBrowser = false

// dialBrowser is not called outside a browser.
func dialBrowser(context.Context, string, *DialOptions) (*WebsocketConnection, *http.Response, error) {
	panic("wsconn: dialBrowser outside a browser")
}

package main

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/wsconn/wsconn"
)

// closeParam returns the close code that the query parameter close=CODE
// of a WebSocket URL asks for, or 0 when there is none. It lets a client
// see the server start the closing handshake (a browser test, for one),
// which an echo server otherwise never does. CODE is 1000 or an
// application's code, 3000 to 4999: codes that an endpoint may send for
// no protocol reason of its own.
func closeParam(r *http.Request) (wsconn.CloseCode, error) {
	q := r.URL.Query()
	if !q.Has("close") {
		return 0, nil
	}
	v := q.Get("close")
	code, err := strconv.Atoi(v)
	if err != nil || code != int(wsconn.CloseNormal) && (code < 3000 || code > 4999) {
		return 0, fmt.Errorf("echoserver: close=%s: want 1000 or a code from 3000 to 4999", v)
	}
	return wsconn.CloseCode(code), nil
}

// closeReason is the reason of a close that close=CODE asked for.
func closeReason(code wsconn.CloseCode) string {
	return fmt.Sprintf("close=%d asked for it", code)
}

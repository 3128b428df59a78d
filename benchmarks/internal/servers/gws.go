package servers

import (
	"net/http"

	"github.com/lxzan/gws"
)

// gwsEcho is gws's event handler: OnMessage writes each message back.
type gwsEcho struct{ gws.BuiltinEventHandler }

// OnMessage echoes m. gws handles write errors itself (its README says
// they can be ignored) by closing the connection.
func (gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close() // gives the buffer back to gws's pool
	c.WriteMessage(m.Opcode, m.Bytes())
}

// gwsHandler upgrades with gws's Upgrader and runs each connection's read
// loop on a goroutine of its own, as gws's README recommends, with
// messages handled in order on it (ParallelEnabled false).
// permessage-deflate has gws's defaults: no context takeover.
func gwsHandler(cfg Config) http.Handler {
	up := gws.NewUpgrader(gwsEcho{}, &gws.ServerOption{
		ParallelEnabled:    false,
		ReadMaxPayloadSize: MaxMessage,
		PermessageDeflate:  gws.PermessageDeflate{Enabled: cfg.Deflate},
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return // Upgrade has answered the request
		}
		go c.ReadLoop()
	})
}

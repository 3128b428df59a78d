module github.com/wsconn/wsconn/benchmarks

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/gobwas/ws v1.5.0
	github.com/gorilla/websocket v1.5.3
	github.com/lxzan/gws v1.8.9
	github.com/quic-go/quic-go v0.65.0
	github.com/wsconn/wsconn v0.0.0
	golang.org/x/net v0.56.0
)

require (
	github.com/cskr/pubsub/v2 v2.0.2 // indirect
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/klauspost/compress v1.18.4 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	golang.org/x/crypto v0.54.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.40.0 // indirect
)

replace github.com/wsconn/wsconn => ../

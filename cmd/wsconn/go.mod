module github.com/wsconn/wsconn/cmd/wsconn

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	github.com/quic-go/quic-go v0.65.0
	github.com/wsconn/wsconn v0.0.0
	github.com/wsconn/wsconn/http3 v0.0.0-00010101000000-000000000000
	golang.org/x/term v0.48.0
)

require (
	github.com/cskr/pubsub/v2 v2.0.2 // indirect
	github.com/klauspost/compress v1.18.4 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	golang.org/x/crypto v0.54.0 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.40.0 // indirect
)

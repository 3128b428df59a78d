module github.com/wsconn/wsconn/conformance

go 1.24.0

require (
	github.com/klauspost/compress v1.18.4
	github.com/wsconn/wsconn v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.43.0
)

require (
	github.com/cskr/pubsub/v2 v2.0.2 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/text v0.28.0 // indirect
)

replace github.com/wsconn/wsconn => ../

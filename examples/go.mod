module github.com/wsconn/wsconn/examples

go 1.24.0

require github.com/wsconn/wsconn v0.0.0-00010101000000-000000000000

require (
	github.com/cskr/pubsub/v2 v2.0.2 // indirect
	github.com/klauspost/compress v1.18.4 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/text v0.28.0 // indirect
)

replace github.com/wsconn/wsconn => ../

module github.com/wsconn/wsconn

go 1.24.0

require (
	github.com/cskr/pubsub/v2 v2.0.2
	github.com/klauspost/compress v1.18.4
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.43.0
	golang.org/x/sys v0.35.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.28.0 // indirect
)

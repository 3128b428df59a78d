package main

import (
	"crypto/tls"

	"github.com/wsconn/wsconn/internal/selfsigned"
)

// tlsConfig returns the TLS configuration of -tls: the certificate and key
// of the PEM files certFile and keyFile, or, when both are empty, a
// self-signed certificate made for this run. The http.Server and the
// HTTP/3 server add their ALPN protocols to copies of it.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if certFile != "" || keyFile != "" {
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	} else {
		// A self-signed certificate for 127.0.0.1, ::1 and localhost, in
		// memory only: a test server needs no files, and its clients skip
		// verification (echoclient -insecure, a browser's
		// --ignore-certificate-errors).
		cert, err = selfsigned.New("wsconn echoserver")
	}
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

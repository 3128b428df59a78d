package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"

	"github.com/wsconn/wsconn/internal/selfsigned"
)

// serverTLS returns listen's TLS configuration: the certificate and key of
// the PEM files certFile and keyFile or, when both are empty, a certificate
// made for this run, for 127.0.0.1, ::1 and localhost, whose key never
// leaves memory: no one can trust it ahead of time, so clients connect
// with -insecure, or compare the fingerprint that listen prints. net/http
// adds "h2" and "http/1.1" to its NextProtos, so that clients get HTTP/2
// by ALPN.
func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if certFile != "" {
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	} else {
		cert, err = selfsigned.New("wsconn listen")
	}
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// fingerprint returns the SHA-256 of cert's first certificate, in hex.
func fingerprint(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

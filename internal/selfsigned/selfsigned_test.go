package selfsigned

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHandshake: a client that trusts Pool(cert) completes a TLS
// handshake with a server of the certificate, for each of its names; PEM
// round-trips.
func TestHandshake(t *testing.T) {
	cfg, err := ServerConfig("test")
	require.NoError(t, err)
	cert := cfg.Certificates[0]
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	for _, name := range []string{"localhost", "127.0.0.1"} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: Pool(cert), ServerName: name})
		require.NoError(t, err, name)
		c.Close()
	}
	_, err = tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "localhost"})
	assert.Error(t, err, "the system roots do not trust it")

	certPEM, keyPEM, err := PEM(cert)
	require.NoError(t, err)
	again, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	assert.Equal(t, cert.Certificate[0], again.Certificate[0])
}

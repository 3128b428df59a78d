package conformance_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/conformance"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/selfsigned"
	"github.com/wsconn/wsconn/mainloop"
)

// TestConformanceHTTP2 runs every case over HTTP/2 (RFC 8441), in both
// roles, against wsconn in this process: in the server role against
// wsconn.Handler echoing every message, with the options of
// examples/echoserver, on an httptest server with HTTP/2 over TLS; in the
// client role against a wsconn client that plays the Autobahn protocol as
// examples/echoclient -autobahn -deflate does, dialing with
// DialOptions.HTTPProtocols, HTTP/2 only, to the suite's fuzzing server
// over TLS. It prints the results by category and fails unless every case
// is OK (or INFORMATIONAL), as TestConformance does over TCP.
func TestConformanceHTTP2(t *testing.T) {
	runHTTP2(t, true, nil)
}

// TestConformanceH2C runs the core cases, those of categories 1 to 7, over
// cleartext HTTP/2 with prior knowledge (h2c) in both roles: the paths of
// the suite and of wsconn that TLS does not take. TestConformanceHTTP2 runs
// every case over HTTP/2 already; the stream is the same without TLS.
func TestConformanceH2C(t *testing.T) {
	core := regexp.MustCompile(`^[1-7]\.`)
	runHTTP2(t, false, core.MatchString)
}

// runHTTP2 runs the cases that -cases and match select (match nil: all)
// over HTTP/2, over TLS (h2) or h2c, in both roles.
func runHTTP2(t *testing.T, overTLS bool, match func(string) bool) {
	opts := conformance.Options{Short: testing.Short()}
	var flagMatch func(string) bool
	if *casesFlag != "" {
		re, err := regexp.Compile(*casesFlag)
		if err != nil {
			t.Fatal(err)
		}
		flagMatch = re.MatchString
	}
	if match != nil || flagMatch != nil {
		opts.Match = func(id string) bool {
			return (match == nil || match(id)) && (flagMatch == nil || flagMatch(id))
		}
	}
	cases := conformance.Cases()
	var (
		mu      sync.Mutex
		results []conformance.Result
	)
	keep := func(rs []conformance.Result) {
		mu.Lock()
		results = append(results, rs...)
		mu.Unlock()
	}

	t.Run("server", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.Handle("/", echoHandler(64<<20)) // echoserver's default -max-message
		mux.Handle("/limit", echoHandler(smallLimit))
		srv := httptest.NewUnstartedServer(mux)
		srv.EnableHTTP2 = true
		scheme := "wss"
		if overTLS {
			srv.StartTLS()
		} else {
			srv.Config.Protocols = new(http.Protocols)
			srv.Config.Protocols.SetUnencryptedHTTP2(true)
			srv.Start()
			scheme = "ws"
		}
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		base := scheme + "://" + u.Host

		ctx, cancel := context.WithTimeout(context.Background(), runWait)
		defer cancel()
		fc := &conformance.FuzzingClient{Options: opts, URL: base + "/", LimitURL: base + "/limit", Limit: smallLimit, HTTP2: true}
		if overTLS {
			pool := x509.NewCertPool()
			pool.AddCert(srv.Certificate())
			fc.TLSConfig = &tls.Config{RootCAs: pool}
		}
		rs, err := fc.Run(ctx, cases)
		keep(rs)
		if err != nil {
			t.Error(err)
		}
		check(t, rs)
	})

	t.Run("client", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), runWait)
		defer cancel()
		fs := &conformance.FuzzingServer{Options: opts, Limit: clientLimit, HTTP2: true}
		dial := wsconn.DialOptions{}
		base := "ws://" + ln.Addr().String()
		if overTLS {
			cert, pool := selfSigned(t)
			fs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			dial.TLSConfig = &tls.Config{RootCAs: pool}
			dial.HTTPProtocols.SetHTTP2(true)
			base = "wss://" + ln.Addr().String()
		} else {
			dial.HTTPProtocols.SetUnencryptedHTTP2(true)
		}
		type served struct {
			rs  []conformance.Result
			err error
		}
		done := make(chan served, 1)
		go func() {
			rs, err := fs.Serve(ctx, ln, cases)
			done <- served{rs, err}
		}()

		log, runErr := autobahnClient(base, "wsconn", dial, time.Minute)
		if runErr != nil {
			cancel() // the client will not ask for the reports
		}
		s := <-done
		keep(s.rs)
		if runErr != nil {
			t.Errorf("Autobahn client: %v", runErr)
		}
		if s.err != nil {
			t.Errorf("fuzzing server: %v", s.err)
		}
		if log != "" {
			t.Logf("Autobahn client:\n%s", log)
		}
		check(t, s.rs)
	})

	var table, timings strings.Builder
	conformance.WriteTable(&table, results)
	conformance.WriteDurations(&timings, results, "9")
	if timings.Len() > 0 {
		t.Logf("durations of the limits/performance cases:\n%s", timings.String())
	}
	t.Logf("conformance results by category, over HTTP/2 (%s):\n%s", map[bool]string{true: "TLS", false: "h2c"}[overTLS], table.String())
}

// echoHandler is examples/echoserver's handler, with -max-message
// maxMessage: it accepts permessage-deflate with its defaults and sends
// every message back with its type.
func echoHandler(maxMessage int64) http.Handler {
	limit, queue := maxMessage, max(2*maxMessage, 16<<20)
	opts := &wsconn.AcceptOptions{
		InsecureSkipOriginCheck: true,
		Extensions:              extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{})),
		ConnectionOptions:       &wsconn.Options{MaxIncomingPayloadSize: limit, MaxTotalMessageSize: limit, MaxQueuedBytes: queue},
	}
	return wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			// As echoserver: when the client reads slower than it sends,
			// wait for the queue to drain.
			err := c.SendMessage(typ, data)
			if errors.Is(err, wsconn.ErrQueueFull) && c.Flush(context.Background()) == nil {
				c.SendMessage(typ, data)
			}
		})
	})
}

// autobahnClient plays the client side of the Autobahn fuzzing server at
// base as examples/echoclient -autobahn -deflate does, with dial's
// HTTPProtocols and TLSConfig: it gets the number of cases, runs each
// one, echoing every message, and asks for the reports. It returns what
// went wrong with the cases that could not run, and the error that
// stopped the run.
func autobahnClient(base, agent string, dial wsconn.DialOptions, timeout time.Duration) (string, error) {
	dial.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	dial.ConnectionOptions = &wsconn.Options{MaxIncomingPayloadSize: clientLimit, MaxTotalMessageSize: clientLimit, MaxQueuedBytes: -1}
	agentQuery := "agent=" + url.QueryEscape(agent)

	count := -1
	_, err := autobahnSession(base+"/getCaseCount", dial, timeout, func(c *wsconn.WebsocketConnection) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			if n, err := strconv.Atoi(string(data)); err == nil && typ == wsconn.DataText {
				count = n
			}
		})
	})
	if err != nil {
		return "", fmt.Errorf("getting the case count: %w", err)
	}
	if count < 0 {
		return "", errors.New("no case count")
	}
	var log strings.Builder
	for i := 1; i <= count; i++ {
		u := base + "/runCase?case=" + strconv.Itoa(i) + "&" + agentQuery
		_, err := autobahnSession(u, dial, timeout, func(c *wsconn.WebsocketConnection) {
			c.OnMessage(func(typ wsconn.DataType, data []byte) {
				c.SendMessage(typ, data) // fails only once the connection is closing
			})
		})
		if err != nil {
			fmt.Fprintf(&log, "case %d of %d: %v\n", i, count, err)
		}
	}
	if _, err := autobahnSession(base+"/updateReports?"+agentQuery, dial, timeout, nil); err != nil {
		return log.String(), fmt.Errorf("updating the reports: %w", err)
	}
	return log.String(), nil
}

// autobahnSession dials u and runs the connection on a mainloop.Loop on
// the calling goroutine until it is closed, or aborts it after timeout,
// as echoclient's session does.
func autobahnSession(u string, opts wsconn.DialOptions, timeout time.Duration, setup func(c *wsconn.WebsocketConnection)) (*wsconn.WebsocketConnection, error) {
	loop := mainloop.New()
	copts := *opts.ConnectionOptions
	copts.MainContext = loop
	opts.ConnectionOptions = &copts
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c, _, err := wsconn.Dial(ctx, u, &opts)
	cancel()
	if err != nil {
		return nil, err
	}
	c.OnClosed(loop.Quit)
	if setup != nil {
		setup(c)
	}
	timedOut := false // only touched on the loop
	timer := time.AfterFunc(timeout, func() {
		loop.Invoke(func() {
			timedOut = true
			c.Abort()
		})
	})
	loop.Run()
	timer.Stop()
	if timedOut {
		return c, fmt.Errorf("%s: gave up after %v", u, timeout)
	}
	return c, nil
}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	cert, err := selfsigned.New("conformance test")
	if err != nil {
		t.Fatal(err)
	}
	return cert, selfsigned.Pool(cert)
}

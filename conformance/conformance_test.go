package conformance_test

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsconn/wsconn/conformance"
	"github.com/wsconn/wsconn/internal/echotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var casesFlag = flag.String("cases", "", "run only the cases whose ID matches this `regexp`")

const (
	// smallLimit is the -max-message of the second echo server, against
	// which the cases about limits run.
	smallLimit = 64 << 10
	// clientLimit is the message limit of echoclient -autobahn.
	clientLimit = 64 << 20
	// runWait bounds a whole run of the suite in one role.
	runWait = 10 * time.Minute
)

// TestConformance runs every case against examples/echoserver (server
// role) and examples/echoclient -autobahn (client role), prints the
// results by category, and fails unless every case is OK (or
// INFORMATIONAL).
func TestConformance(t *testing.T) {
	server, client := echotest.Build(t, raceEnabled)
	opts := conformance.Options{Short: testing.Short()}
	if *casesFlag != "" {
		re, err := regexp.Compile(*casesFlag)
		if err != nil {
			t.Fatal(err)
		}
		opts.Match = re.MatchString
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
		srv := echotest.StartServer(t, server)
		defer stopServer(t, srv)
		limited := echotest.StartServer(t, server, "-max-message", strconv.Itoa(smallLimit))
		defer stopServer(t, limited)
		url, limitURL := srv.URL, limited.URL

		ctx, cancel := context.WithTimeout(context.Background(), runWait)
		defer cancel()
		fc := &conformance.FuzzingClient{Options: opts, URL: url, LimitURL: limitURL, Limit: smallLimit}
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
		fs := &conformance.FuzzingServer{Options: opts, Limit: clientLimit}
		type served struct {
			rs  []conformance.Result
			err error
		}
		done := make(chan served, 1)
		go func() {
			rs, err := fs.Serve(ctx, ln, cases)
			done <- served{rs, err}
		}()

		cmd := exec.CommandContext(ctx, client, "-autobahn", "ws://"+ln.Addr().String(), "-agent", "wsconn", "-deflate")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		if runErr != nil {
			cancel() // the client will not ask for the reports
		}
		s := <-done
		keep(s.rs)
		if runErr != nil {
			t.Errorf("echoclient -autobahn: %v\nstdout: %s\nstderr: %s", runErr, stdout.String(), stderr.String())
		}
		if s.err != nil {
			t.Errorf("fuzzing server: %v", s.err)
		}
		if stderr.Len() > 0 {
			t.Logf("echoclient -autobahn stderr:\n%s", stderr.String())
		}
		check(t, s.rs)
	})

	var table, timings strings.Builder
	conformance.WriteTable(&table, results)
	conformance.WriteDurations(&timings, results, "9")
	t.Logf("durations of the limits/performance cases:\n%s", timings.String())
	t.Logf("conformance results by category:\n%s", table.String())
}

// check fails t unless every result is OK or INFORMATIONAL, and unless
// there are results at all.
func check(t *testing.T, rs []conformance.Result) {
	t.Helper()
	if len(rs) == 0 {
		t.Error("no case ran")
	}
	for _, r := range rs {
		if r.Grade != conformance.OK && r.Grade != conformance.Informational {
			t.Errorf("%s role, case %s (%s): %s: %s", r.Role, r.ID, r.Description, r.Grade, r.Detail)
		}
	}
}

// stopServer stops an echoserver and reports an exit that is not clean.
func stopServer(t *testing.T, s *echotest.Server) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
}

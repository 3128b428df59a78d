package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsconn/wsconn/conformance"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var casesFlag = flag.String("cases", "", "run only the cases whose ID matches this `regexp`")

const (
	// smallLimit is the -max-message of the second echo server, against
	// which the cases about limits run.
	smallLimit = 64 << 10
	// clientLimit is the message limit of echoclient -autobahn.
	clientLimit = 64 << 20
	// programWait bounds waiting for the example programs to start and
	// stop.
	programWait = 60 * time.Second
	// runWait bounds a whole run of the suite in one role.
	runWait = 10 * time.Minute
)

// TestConformance runs every case against examples/echoserver (server
// role) and examples/echoclient -autobahn (client role), prints the
// results by category, and fails unless every case is OK (or
// INFORMATIONAL).
func TestConformance(t *testing.T) {
	server, client := buildPrograms(t)
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
		url, stop := startServer(t, server)
		defer stop()
		limitURL, stopLimited := startServer(t, server, "-max-message", strconv.Itoa(smallLimit))
		defer stopLimited()

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

// buildPrograms builds examples/echoserver and examples/echoclient into
// a temporary directory and returns their paths. With the race detector
// on, they are built with it too.
func buildPrograms(t *testing.T) (server, client string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("stopping echoserver needs SIGTERM")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	dir := t.TempDir()
	for _, name := range []string{"echoserver", "echoclient"} {
		args := []string{"build", "-o", filepath.Join(dir, name)}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/wsconn/wsconn/examples/"+name)
		if out, err := exec.Command(goTool, args...).CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return filepath.Join(dir, "echoserver"), filepath.Join(dir, "echoclient")
}

// startServer runs echoserver on a free loopback port with extra
// arguments, and returns its URL and a function that stops it with
// SIGTERM and reports, on t, an exit that is not clean.
func startServer(t *testing.T, path string, args ...string) (string, func()) {
	t.Helper()
	cmd := exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("echoserver %s: %v; stderr: %s", strings.Join(args, " "), err, stderr.String())
			}
		case <-time.After(programWait):
			cmd.Process.Kill()
			<-exited
			t.Errorf("echoserver %s did not exit after SIGTERM", strings.Join(args, " "))
		}
		if strings.Contains(stderr.String(), "DATA RACE") {
			t.Errorf("echoserver %s: data race:\n%s", strings.Join(args, " "), stderr.String())
		}
	}
	select {
	case line := <-first:
		m := regexp.MustCompile(`^listening on (ws://127\.0\.0\.1:[0-9]+/)$`).FindStringSubmatch(line)
		if m == nil {
			stop()
			t.Fatalf("echoserver printed %q, want \"listening on ws://127.0.0.1:PORT/\"", line)
		}
		return m[1], stop
	case err := <-exited:
		t.Fatalf("echoserver exited: %v; stderr: %s", err, stderr.String())
	case <-time.After(programWait):
		cmd.Process.Kill()
		<-exited
		t.Fatal("echoserver printed nothing")
	}
	panic("unreachable")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader on
// different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

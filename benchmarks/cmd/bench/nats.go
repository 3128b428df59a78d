package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"
)

// natsPkg is nats-server's main package, a tool of this module's go.mod,
// which pins its version: go build builds it from the module cache.
const natsPkg = "github.com/nats-io/nats-server/v2"

// natsBuildTimeout bounds the build of nats-server, a large program, on
// a cold cache.
const natsBuildTimeout = 10 * time.Minute

// buildNATS builds nats-server into dir and returns its path.
func buildNATS(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), natsBuildTimeout)
	defer cancel()
	bin := filepath.Join(dir, "nats-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, natsPkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", natsPkg, err)
	}
	return bin, nil
}

// The lines nats-server logs on stderr once it takes clients.
var (
	natsListening = regexp.MustCompile(`Listening for client connections on (127\.0\.0\.1:[0-9]+)$`)
	natsReady     = regexp.MustCompile(`Server is ready$`)
)

// natsProc is a running nats-server.
type natsProc struct {
	*child
	url string // nats://127.0.0.1:PORT
}

// startNATS runs nats-server at its defaults (no JetStream, no
// clustering) on a free loopback port, on the CPUs cpus if not empty,
// and waits until it is ready for clients.
func startNATS(bin, cpus string) (*natsProc, error) {
	c, err := launch(cpus, true, bin, "-a", "127.0.0.1", "-p", "-1")
	if err != nil {
		return nil, err
	}
	n := &natsProc{child: c}
	deadline := time.Now().Add(startTimeout)
	for ready := false; !ready; {
		line, err := c.nextLine(time.Until(deadline))
		if err != nil {
			c.stop()
			return nil, fmt.Errorf("nats-server: %w", err)
		}
		if m := natsListening.FindStringSubmatch(line); m != nil {
			n.url = "nats://" + m[1]
		}
		ready = n.url != "" && natsReady.MatchString(line)
	}
	return n, nil
}

package load

import (
	"context"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/proc"
)

// cpuUsage delivers the CPU time used over the window.
type cpuUsage <-chan cpuSample

// cpuSample is the CPU time the load generator (self) and the server used
// over the window; ok is false if the window was not reached.
type cpuSample struct {
	self, server time.Duration
	ok           bool
	err          error
}

// measureCPU reads the CPU time of this process and of process pid (if
// positive) at start+from and start+to.
func measureCPU(ctx context.Context, start time.Time, from, to time.Duration, pid int) cpuUsage {
	ch := make(chan cpuSample, 1)
	read := func() (self, server time.Duration, err error) {
		if self, err = proc.SelfCPUTime(); err != nil || pid <= 0 {
			return self, 0, err
		}
		server, err = proc.CPUTime(pid)
		return self, server, err
	}
	go func() {
		var s cpuSample
		defer func() { ch <- s }()
		if !sleepUntil(ctx, start.Add(from)) {
			return
		}
		self0, server0, err := read()
		if err != nil {
			s.err = err
			return
		}
		if !sleepUntil(ctx, start.Add(to)) {
			return
		}
		self1, server1, err := read()
		s = cpuSample{self: self1 - self0, server: server1 - server0, ok: err == nil, err: err}
	}()
	return ch
}

// sleepUntil waits until t and reports whether ctx was still live then.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

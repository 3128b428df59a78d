package proc

import (
	"os"
	"testing"
)

func TestSelf(t *testing.T) {
	// Burn a little CPU so that the times are not all zero.
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	_ = x
	pid := os.Getpid()
	cpu, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	self, err := SelfCPUTime()
	if err != nil || self <= 0 || cpu > self+clockTick {
		t.Errorf("CPU time from /proc %v, from getrusage %v (%v)", cpu, self, err)
	}
	st, err := ReadStatus(pid)
	if err != nil || st.RSS <= 0 || st.PeakRSS < st.RSS || st.Threads < 1 {
		t.Errorf("status %+v, %v", st, err)
	}
	if _, err := RaiseFileLimit(); err != nil {
		t.Error(err)
	}
}

// Package proc reads what the benchmark measures of a process from Linux's
// /proc file system (CPU time, resident memory, threads) and raises the
// limit on open files.
package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// CPUTime returns the user plus system CPU time that process pid has used
// so far, all its threads included, to the 10 ms tick of /proc.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// the fields are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("proc: /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// SelfCPUTime returns the user plus system CPU time of this process, to
// the microsecond.
func SelfCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// Status holds fields of /proc/PID/status.
type Status struct {
	RSS     int64 // VmRSS: resident memory now, in bytes
	PeakRSS int64 // VmHWM: the most resident memory so far, in bytes
	Threads int   // OS threads
}

// ReadStatus reads /proc/PID/status.
func ReadStatus(pid int) (Status, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Status{}, err
	}
	defer f.Close()
	var s Status
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "VmRSS":
			dst = &s.RSS
		case "VmHWM":
			dst = &s.PeakRSS
		case "Threads":
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil {
				return s, fmt.Errorf("proc: /proc/%d/status: Threads: %w", pid, err)
			}
			s.Threads = n
			found++
			continue
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return s, fmt.Errorf("proc: /proc/%d/status: %s: %w", pid, name, err)
		}
		*dst = kb << 10
		found++
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if found != 3 {
		return s, fmt.Errorf("proc: /proc/%d/status lacks VmRSS, VmHWM or Threads", pid)
	}
	return s, nil
}

// RaiseFileLimit raises this process's soft limit on open files to the
// hard limit and returns the new limit.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return lim.Cur, nil
}

package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times.
const clockTick = 10 * time.Millisecond

// cpuTime is the user plus system CPU a process has used so far, or false
// where there is no /proc. CPU per request stays meaningful on a noisy
// machine where latency does not: other load delays a request, but does not
// make it cost more.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime, fields 14 and 15 of /proc/<pid>/stat.
// Fields are counted after the command name, which is in parentheses and may
// itself hold spaces and parentheses.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// perRequest divides CPU by requests, in microseconds.
func perRequest(cpu time.Duration, requests int) float64 {
	if requests == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(requests)
}

// cpuReading is a process's CPU at one moment, read two ways: per thread in
// nanoseconds from /proc/<pid>/task/*/schedstat, and for the whole process,
// threads that have ended included, in clock ticks from /proc/<pid>/stat.
type cpuReading struct {
	ok      bool
	stat    time.Duration
	threads map[int]time.Duration // nil where schedstat cannot be read
}

func readCPU(pid int) cpuReading {
	var r cpuReading
	r.stat, r.ok = cpuTime(pid)
	if !r.ok {
		return r
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return r
	}
	threads := make(map[int]time.Duration, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue // the thread ended meanwhile; cpuBetween sees it missing
		}
		ns, ok := parseSchedstat(string(b))
		if !ok {
			return r
		}
		threads[tid] = ns
	}
	r.threads = threads
	return r
}

// parseSchedstat reads the first field of a schedstat line: time on a processor, in ns.
func parseSchedstat(s string) (time.Duration, bool) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || ns < 0 {
		return 0, false
	}
	return time.Duration(ns), true
}

// cpuBetween is the CPU a process used from a to b: to the nanosecond when
// every thread of a's is still there in b, else in whole clock ticks.
func cpuBetween(a, b cpuReading) (time.Duration, bool) {
	if !a.ok || !b.ok {
		return 0, false
	}
	if a.threads != nil && b.threads != nil {
		var d time.Duration
		for tid, v := range a.threads {
			w, ok := b.threads[tid]
			if !ok || w < v {
				return b.stat - a.stat, true
			}
			d += w - v
		}
		for tid, w := range b.threads {
			if _, ok := a.threads[tid]; !ok {
				d += w // a thread that started in between
			}
		}
		return d, true
	}
	return b.stat - a.stat, true
}

// busyCPU is what is left of cpu, used over window, once the process's idle
// use, idlePerSecond, is taken away; never below zero.
func busyCPU(cpu, window, idlePerSecond time.Duration) time.Duration {
	idle := time.Duration(float64(idlePerSecond) * window.Seconds())
	return max(cpu-idle, 0)
}

package main

import (
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// pacer waits for each send's due time. time.Sleep is not precise enough: when
// the process is otherwise idle, the Go runtime's poller waits in whole
// milliseconds, so a 200µs sleep can last a millisecond, and that lateness is
// the send lag this tool must keep below a tenth of what it measures. A
// timerfd registered with the same poller wakes it on the kernel's
// high-resolution timer instead; the last stretch before the due time, where
// a wake-up could still come late, is spun with the processor yielded.
type pacer struct {
	spin time.Duration
	f    *os.File
	fd   int
	tick [8]byte
}

func newPacer(spin time.Duration) (*pacer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &pacer{spin: spin, f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}, nil
}

// waitUntil returns once due has passed since start.
func (p *pacer) waitUntil(start time.Time, due time.Duration) {
	if rest := due - time.Since(start) - p.spin; rest > 0 {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(rest))}
		if unix.TimerfdSettime(p.fd, 0, &spec, nil) == nil {
			// A failed read leaves the rest to the spin below.
			_, _ = p.f.Read(p.tick[:])
		}
	}
	for time.Since(start) < due {
		runtime.Gosched()
	}
}

func (p *pacer) Close() error { return p.f.Close() }

package main

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// pacer waits for each send's due time. time.Sleep is not precise enough: the
// Go runtime's poller waits in whole milliseconds, so a 200µs sleep can last
// a millisecond, and that lateness is the send lag this tool must keep below
// a tenth of what it measures. Between begin and its release, the sending
// goroutine has a thread of its own: it sleeps in clock_nanosleep, which the
// kernel's high-resolution timer ends without a hop through the runtime's
// poller and another thread, and spins the last stretch before the due
// time, where a wake-up could still come late. Where permitted, that thread
// runs at real-time priority (SCHED_FIFO, the lowest level), so that other
// work on a shared machine cannot keep it waiting past a due time; it sleeps
// between sends, and its spin is cut short where it would keep a processor
// busy more than a quarter of the time, so it takes no more than it needs.
type pacer struct {
	spin     time.Duration
	realtime bool
	locked   bool
	curSpin  time.Duration // spin, or less at a high rate
	// Whether the last begin got real-time priority, and why not.
	gotRealtime bool
	rtErr       error
}

func newPacer(spin time.Duration, realtime bool) (*pacer, error) {
	return &pacer{spin: spin, realtime: realtime}, nil
}

// maxSpinShare is the largest share of a processor the pacer may spin away:
// at 5000/s, 50µs before each send. On a small machine the targets need the rest.
const maxSpinShare = 0.25

// begin readies the calling goroutine to send at rate; the function it
// returns undoes that, and must be called on the same goroutine.
func (p *pacer) begin(rate int) (release func()) {
	runtime.LockOSThread()
	p.locked = true
	p.gotRealtime, p.rtErr = false, nil
	p.curSpin = min(p.spin, time.Duration(maxSpinShare*float64(time.Second)/float64(max(rate, 1))))
	if p.realtime {
		p.rtErr = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}, 0)
		p.gotRealtime = p.rtErr == nil
	}
	return func() {
		p.locked, p.curSpin = false, p.spin
		if p.gotRealtime {
			if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}, 0); err != nil {
				// Leave the thread locked: the runtime ends it with this goroutine,
				// and no other goroutine inherits its priority.
				return
			}
		}
		runtime.UnlockOSThread()
	}
}

// waitUntil returns once due has passed since start.
func (p *pacer) waitUntil(start time.Time, due time.Duration) {
	spin := p.spin
	if p.locked {
		spin = p.curSpin
	}
	if rest := due - time.Since(start) - spin; rest > 0 {
		if p.locked {
			ts := unix.NsecToTimespec(int64(rest))
			// An interrupted or failed sleep leaves the rest to the spin below.
			_ = unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil)
		} else {
			time.Sleep(rest)
		}
	}
	for time.Since(start) < due {
		if !p.locked {
			runtime.Gosched()
		}
	}
}

func (p *pacer) Close() error { return nil }

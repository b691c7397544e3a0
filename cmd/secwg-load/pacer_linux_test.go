package main

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// begin raises the sending thread to real-time priority where it may, and
// its release puts it back, so that no other goroutine runs at that priority.
func TestPacerBeginAndRelease(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, _ := newPacer(time.Millisecond, true)
	release := p.begin(5000)
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.gotRealtime != (attr.Policy == unix.SCHED_FIFO) {
		t.Errorf("gotRealtime %v, policy %d", p.gotRealtime, attr.Policy)
	}
	if !p.gotRealtime && p.rtErr == nil {
		t.Error("no real-time priority and no reason given")
	}
	// At 5000/s a quarter of the interval is 50µs: the spin is cut to that.
	if p.curSpin != 50*time.Microsecond {
		t.Errorf("spin %v at 5000/s, want 50µs", p.curSpin)
	}
	start := time.Now()
	for i := range 20 {
		p.waitUntil(start, offset(i, 5000))
	}
	release()
	if attr, err := unix.SchedGetAttr(0, 0); err != nil || attr.Policy != unix.SCHED_NORMAL {
		t.Errorf("after release: policy %v, %v; want SCHED_NORMAL", attr.Policy, err)
	}
	if p.locked || p.curSpin != p.spin {
		t.Error("release left the pacer locked or its spin cut")
	}
	q, _ := newPacer(0, false)
	q.begin(1000)()
	if q.gotRealtime || q.rtErr != nil {
		t.Errorf("real-time priority without asking: %v %v", q.gotRealtime, q.rtErr)
	}
}

//go:build !linux

package main

import (
	"runtime"
	"time"
)

// pacer waits for each send's due time: a sleep, then a spin over the last
// stretch, where a sleep may overshoot. Only Linux has the timerfd that makes
// the sleep precise, so elsewhere the send lag is larger; the report says so.
type pacer struct{ spin time.Duration }

func newPacer(spin time.Duration) (*pacer, error) { return &pacer{spin: spin}, nil }

func (p *pacer) waitUntil(start time.Time, due time.Duration) {
	if rest := due - time.Since(start) - p.spin; rest > 0 {
		time.Sleep(rest)
	}
	for time.Since(start) < due {
		runtime.Gosched()
	}
}

func (p *pacer) Close() error { return nil }

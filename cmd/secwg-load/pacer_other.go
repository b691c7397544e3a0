//go:build !linux

package main

import (
	"errors"
	"runtime"
	"time"
)

// pacer waits for each send's due time: a sleep, then a spin over the last
// stretch, where a sleep may overshoot. Only Linux has the precise sleep and
// the real-time priority the Linux pacer uses, so elsewhere the send lag is
// larger; the report says so.
type pacer struct {
	spin        time.Duration
	realtime    bool
	gotRealtime bool
	rtErr       error
}

func newPacer(spin time.Duration, realtime bool) (*pacer, error) {
	return &pacer{spin: spin, realtime: realtime}, nil
}

func (p *pacer) begin(int) func() {
	p.gotRealtime, p.rtErr = false, nil
	if p.realtime {
		p.rtErr = errors.New("real-time priority is only set on Linux")
	}
	return func() {}
}

func (p *pacer) waitUntil(start time.Time, due time.Duration) {
	if rest := due - time.Since(start) - p.spin; rest > 0 {
		time.Sleep(rest)
	}
	for time.Since(start) < due {
		runtime.Gosched()
	}
}

func (p *pacer) Close() error { return nil }

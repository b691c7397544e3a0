package meetingsync

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/meeting"
)

func TestRunWithoutGroupsMakesNoPass(t *testing.T) {
	s, err := New(&meeting.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Errorf("Run = %v, want it to return at once", err)
	}
}

// countingFetcher serves a feed and records how many fetches overlap.
type countingFetcher struct {
	ics         []byte
	inside, max atomic.Int32
	calls       atomic.Int32
}

func (f *countingFetcher) Fetch(ctx context.Context, _ string) ([]byte, error) {
	n := f.inside.Add(1)
	defer f.inside.Add(-1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	for i := 0; i < 50; i++ { // widen the window in which an overlap would show
		runtime.Gosched()
	}
	f.calls.Add(1)
	return f.ics, ctx.Err()
}

func TestRunPassesNeverOverlapEachOtherOrLiveUpdates(t *testing.T) {
	e, fetcher := newFeedEnv(t)
	e.cfg.SyncInterval = time.Millisecond
	e.svc = e.newService(WithCalendarFetcher(fetcher))

	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(runCtx) }()
	for i := 0; i < 20; i++ {
		go func() { _ = e.svc.Sync(ctx(), e.clock.Now(), false, nil) }()
		go func(i int) { _ = e.svc.ItemChanged(ctx(), labelled("nodejs/node", 500+i, "x")) }(i)
	}
	deadline := time.Now().Add(30 * time.Second)
	for fetcher.calls.Load() < 40 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if fetcher.calls.Load() < 40 {
		t.Fatalf("only %d passes in 30s", fetcher.calls.Load())
	}
	if m := fetcher.max.Load(); m != 1 {
		t.Errorf("%d calendar reads overlapped, want passes and live updates one at a time", m)
	}
	if n := len(e.meetingIssues()); n != 1 {
		t.Errorf("%d meeting issues, want 1", n)
	}
}

func BenchmarkLiveAgendaUpdate1000(b *testing.B) {
	g := testGroup()
	s, err := New(&meeting.Config{Groups: []meeting.Group{g}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	items := make([]meeting.Item, 1000)
	for i := range items {
		items[i] = item(fmt.Sprintf("nodejs/repo-%02d", i%40), i+1, fmt.Sprintf("Agenda item %d with a title of ordinary length", i))
	}
	region, err := s.regionText(&g, items, nil)
	if err != nil {
		b.Fatal(err)
	}
	body := "before\n<!-- secwg:agenda:start group=security-wg -->\n" + region + "\n<!-- secwg:agenda:end group=security-wg -->\nafter\n"
	ev := labelled("nodejs/node", 424242, "A new item")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inside, err := meeting.AgendaRegion(body, g.ID)
		if err != nil {
			b.Fatal(err)
		}
		current, ok := decodeItems(inside)
		if !ok {
			b.Fatal("no items")
		}
		next, changed := applyAgenda(&g, current, ev)
		text, err := s.regionText(&g, next, nil)
		if err != nil || !changed {
			b.Fatal(err)
		}
		if out, err := meeting.ReplaceAgenda(body, g.ID, text); err != nil || !strings.Contains(out, "[#424242]") {
			b.Fatal(err)
		}
	}
}

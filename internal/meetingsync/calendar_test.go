package meetingsync

import (
	"os"
	"testing"

	"github.com/secwg/secwg/internal/meeting"
)

// newFeedEnv is an env whose group reads testdata/biweekly.ics through a
// counting fetcher.
func newFeedEnv(t *testing.T) (*env, *countingFetcher) {
	t.Helper()
	ics, err := os.ReadFile("testdata/biweekly.ics")
	if err != nil {
		t.Fatal(err)
	}
	fetcher := &countingFetcher{ics: ics}
	e := newEnv(t, leadTimeAt, WithCalendarFetcher(fetcher))
	e.cfg.Groups[0].Schedule = nil
	e.cfg.Groups[0].Calendar = &meeting.CalendarSource{URL: "https://calendar.example/basic.ics", Filter: "Security"}
	e.svc = e.newService(WithCalendarFetcher(fetcher))
	return e, fetcher
}

func TestSyncAndCommandsShareOneParsedFeed(t *testing.T) {
	e, fetcher := newFeedEnv(t)
	g := &e.cfg.Groups[0]
	first, err := e.svc.calendar(ctx(), g)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.calendar(ctx(), g)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("the unchanged feed was parsed twice")
	}
	if n := fetcher.calls.Load(); n != 2 {
		t.Errorf("%d fetches, want one per read (the fetcher revalidates by ETag)", n)
	}
}

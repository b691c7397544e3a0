package meeting

import (
	"context"
	"testing"
)

func TestCalendarCacheParsesAnUnchangedFeedOnce(t *testing.T) {
	g := testGroup()
	g.Calendar = &CalendarSource{URL: "https://calendar.example/a.ics", Filter: securityFilter}
	g.Schedule = nil
	feed := mustRead(t, "us-biweekly.ics")
	var cache CalendarCache
	first, fresh, err := cache.Load(context.Background(), &g, feed)
	if err != nil || !fresh {
		t.Fatalf("first Load = fresh %v, err %v; want a fresh parse", fresh, err)
	}
	again, fresh, err := cache.Load(context.Background(), &g, append([]byte(nil), feed...))
	if err != nil || fresh || again != first {
		t.Errorf("second Load of the same bytes = fresh %v, same %v, err %v; want the cached calendar", fresh, again == first, err)
	}
	changed, fresh, err := cache.Load(context.Background(), &g, mustRead(t, "eu-weekly.ics"))
	if err != nil || !fresh || changed == first {
		t.Errorf("Load of a changed feed = fresh %v, err %v; want a new parse", fresh, err)
	}
	g.Calendar.Filter = "Node.js TSC Meeting"
	if _, fresh, _ := cache.Load(context.Background(), &g, mustRead(t, "eu-weekly.ics")); !fresh {
		t.Error("Load after the filter changed reused the old calendar")
	}
}

func TestParseStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ParseICSContext(ctx, weeklyFeed(50), "", 0); err == nil {
		t.Fatal("ParseICSContext with an ended context succeeded")
	}
}

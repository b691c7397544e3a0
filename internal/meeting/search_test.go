package meeting

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// TestRulesThatCanNeverMatchAreSkipped holds that an event whose rule offers
// no date at all is skipped with a warning when the feed is read, while rules
// that are only rare are kept.
func TestRulesThatCanNeverMatchAreSkipped(t *testing.T) {
	tests := []struct {
		name, start, rule string
		never             bool
	}{
		{"day 30 of February", "20240101T100000Z", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", true},
		{"day 30 of February, counted", "20240101T100000Z", "FREQ=DAILY;COUNT=5;BYMONTH=2;BYMONTHDAY=30", true},
		{"day 31 from the end of April or June", "20240101T100000Z", "FREQ=YEARLY;BYMONTH=4,6;BYMONTHDAY=-31", true},
		{"every twelve months from February, on day 30", "20230215T100000Z", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", true},
		{"every twelve months from June, day 31", "20230615T100000Z", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", true},
		{"every six months from April, day 31", "20230415T100000Z", "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=31", false},
		{"monthly in February from the 31st", "20240131T100000Z", "FREQ=MONTHLY;BYMONTH=2", true},
		{"year day 1 in June", "20240101T100000Z", "FREQ=YEARLY;BYYEARDAY=1;BYMONTH=6", true},
		{"year day 60 on day 15", "20240101T100000Z", "FREQ=YEARLY;BYYEARDAY=60;BYMONTHDAY=15", true},
		{"week 1 in July", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=7", true},
		{"last week in March", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=-1;BYMONTH=3", true},
		{"every seven days from a Monday, on Tuesdays", "20240101T100000Z", "FREQ=DAILY;INTERVAL=7;BYDAY=TU", true},
		{"every 24 hours from 10:00, at 05:00", "20240101T100000Z", "FREQ=HOURLY;INTERVAL=24;BYHOUR=5", true},
		// Rare or unusual, but real.
		{"29 February", "20240101T100000Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", false},
		{"every twelve months from January, on day 31", "20230115T100000Z", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", false},
		{"every five months from February, on day 31", "20230215T100000Z", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31", false},
		{"year day 366", "20240101T100000Z", "FREQ=YEARLY;BYYEARDAY=366", false},
		{"year day 60 on 29 February", "20240101T100000Z", "FREQ=YEARLY;BYYEARDAY=60;BYMONTHDAY=29", false},
		{"week 53", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO", false},
		{"week 1 in December", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=12", false},
		{"week 53 in January", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=53;BYMONTH=1", false},
		{"last week in December", "20240101T100000Z", "FREQ=YEARLY;BYWEEKNO=-1;BYMONTH=12", false},
		{"every seven days from a Monday, on Mondays", "20240101T100000Z", "FREQ=DAILY;INTERVAL=7;BYDAY=MO", false},
		{"every 24 hours from 10:00, at 10:00", "20240101T100000Z", "FREQ=HOURLY;INTERVAL=24;BYHOUR=10", false},
		{"monthly from the 31st", "20240131T100000Z", "FREQ=MONTHLY", false},
		{"last day of February", "20240101T100000Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed := feedOf(
				fmt.Sprintf("UID:odd@secwg.test\r\nSUMMARY:Odd\r\nDTSTART:%s\r\nDURATION:PT1H\r\nRRULE:%s\r\n", tt.start, tt.rule),
				"UID:weekly@secwg.test\r\nSUMMARY:Weekly\r\nDTSTART:20250106T150000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n",
			)
			c, err := ParseICS(feed, "", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if got := warned(c, "can never match"); got != tt.never {
				t.Errorf("warned it can never match: %v, want %v (warnings %v)", got, tt.never, c.Warnings)
			}
			if got := len(c.series) == 1; got != tt.never {
				t.Errorf("%d series kept, want the odd one skipped: %v", len(c.series), tt.never)
			}
			if tt.never {
				return
			}
			// A kept rule is one rrule finds a date for.
			loc := time.UTC
			opt, err := parseRule(tt.rule, loc)
			if err != nil {
				t.Fatal(err)
			}
			opt.Dtstart = utc(tt.start[:4] + "-" + tt.start[4:6] + "-" + tt.start[6:8] + "T10:00:00Z")
			opt.Until = opt.Dtstart.AddDate(30, 0, 0)
			r, err := rrule.NewRRule(*opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.After(opt.Dtstart, false).IsZero() {
				t.Errorf("kept a rule with no date in thirty years")
			}
		})
	}
}

// TestRuleWorkIsCharged holds that a rule that finds no date within its search
// charges every period it tries, so its cost stays within the budget it is given.
func TestRuleWorkIsCharged(t *testing.T) {
	tests := []struct {
		name, rule string
		start      time.Time
	}{
		// Every 48 months from February 2023 is never a leap February.
		{"date arithmetic", "FREQ=MONTHLY;INTERVAL=48;BYMONTHDAY=29", time.Date(2023, 2, 15, 10, 0, 0, 0, time.UTC)},
		{"rrule", "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29;COUNT=3", time.Date(2023, 2, 15, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt, err := parseRule(tt.rule, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			s := &series{uid: "x", start: tt.start, dur: span{exact: time.Hour}, rules: []*rrule.ROption{opt}}
			const share = 50
			b := &budget{left: maxWork, share: share}
			periods := 0
			err = s.instances(tt.start, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), b, func(time.Time, *span) bool {
				periods++
				return true
			})
			if spent := maxWork - b.left; spent > share {
				t.Errorf("spent %d steps, over the share of %d", spent, share)
			}
			if tt.name == "date arithmetic" && !errors.Is(err, errSeriesOver) {
				t.Errorf("err = %v, want the series over its share: its empty periods were not charged", err)
			}
		})
	}
}

// TestDenseSeriesIsSkippedNotTheCalendar holds that one series that needs more
// than its share of the work is left out, and named, while the others still
// answer; the calendar fails only when nothing else has a meeting.
func TestDenseSeriesIsSkippedNotTheCalendar(t *testing.T) {
	dense := "UID:dense@secwg.test\r\nSUMMARY:Dense\r\nDTSTART:19900101T000000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=HOURLY;COUNT=100000000\r\n"
	weekly := "UID:weekly@secwg.test\r\nSUMMARY:Weekly\r\nDTSTART:20250106T150000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n"
	tests := []struct {
		name    string
		events  []string
		wantUID string // "" wants ErrTooMuchWork
	}{
		{"dense first", []string{dense, weekly}, "weekly@secwg.test"},
		{"dense last", []string{weekly, dense}, "weekly@secwg.test"},
		{"many dense", []string{dense, dense + "X-N:1\r\n", weekly, dense, dense, dense}, "weekly@secwg.test"},
		{"dense alone", []string{dense}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := make([]string, len(tt.events))
			for i, e := range tt.events {
				if strings.HasPrefix(e, "UID:dense") {
					e = strings.Replace(e, "UID:dense", fmt.Sprintf("UID:dense-%d", i), 1)
				}
				events[i] = e
			}
			c, err := ParseICS(feedOf(events...), "", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			got, warnings, err := c.NextWithWarnings(benchNow)
			if tt.wantUID == "" {
				if !errors.Is(err, ErrTooMuchWork) {
					t.Fatalf("err = %v, want ErrTooMuchWork", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != tt.wantUID {
				t.Errorf("UID = %q, want %q", got.UID, tt.wantUID)
			}
			if len(warnings) == 0 || !strings.Contains(warnings[0].Message, "dense-") {
				t.Errorf("warnings %v, want the dense series named", warnings)
			}
			if _, err := c.Between(benchNow, benchNow.Add(30*24*time.Hour)); err != nil {
				t.Errorf("Between: %v", err)
			}
		})
	}
}

// TestIsInstanceFindsRDates holds the binary search over RDATEs to the walk.
func TestIsInstanceFindsRDates(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	s := &series{uid: "x", start: base, dur: span{exact: time.Hour}}
	for i := 1; i <= 1000; i++ {
		s.rdates = append(s.rdates, rdate{start: base.Add(time.Duration(3*i) * time.Hour)})
	}
	weekly, err := parseRule("FREQ=WEEKLY", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		rules bool
		at    time.Time
		want  bool
	}{
		{"DTSTART", false, base, true},
		{"first RDATE", false, base.Add(3 * time.Hour), true},
		{"last RDATE", false, base.Add(3000 * time.Hour), true},
		{"between RDATEs", false, base.Add(4 * time.Hour), false},
		{"after every RDATE", false, base.Add(3003 * time.Hour), false},
		{"before DTSTART", false, base.Add(-time.Hour), false},
		{"a rule's instance", true, base.Add(7 * 24 * time.Hour), true},
		{"neither", true, base.Add(7*24*time.Hour + time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := *s
			if tt.rules {
				ss.rules = []*rrule.ROption{weekly}
			}
			b := newBudget()
			got, err := ss.isInstance(tt.at, b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("isInstance(%s) = %v, want %v", tt.at, got, tt.want)
			}
			// The RDATEs before the instance are passed over, not walked.
			if spent := maxWork - b.left; spent > 10 {
				t.Errorf("spent %d steps", spent)
			}
		})
	}
}

// TestCalendarDoesNotKeepTheFeed holds that the strings a calendar keeps are
// its own, not pieces of the feed's text, which would keep all of it alive.
func TestCalendarDoesNotKeepTheFeed(t *testing.T) {
	filler := strings.Repeat("X-FILLER:"+strings.Repeat("x", 1000)+"\r\n", 8<<10) // 8 MiB
	data := feedOf(
		"UID:kept@secwg.test\r\nSUMMARY:Kept\r\nDTSTART:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\n",
		"UID:kept@secwg.test\r\nSUMMARY:Kept, moved\r\nRECURRENCE-ID:20260112T100000Z\r\nDTSTART:20260113T100000Z\r\n",
		"UID:other@secwg.test\r\nSUMMARY:Other\r\nDTSTART:20260105T100000Z\r\n"+filler,
	)
	var c *Calendar
	retained := heapAfter(func() {
		var err error
		c, err = ParseICS(data, "kept", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
	})
	runtime.KeepAlive(data) // counted before and after alike
	if len(c.series) != 1 || len(c.series[0].overrides) != 1 {
		t.Fatalf("%d series, want 1 with its moved instance", len(c.series))
	}
	if retained > 1<<20 {
		t.Errorf("the calendar keeps %d KiB alive, want under 1 MiB: it holds on to the feed's text", retained>>10)
	}
	runtime.KeepAlive(c)
}

// heapAfter is how much more heap is live after f than before it.
func heapAfter(f func()) int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before := int64(m.HeapAlloc)
	f()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc) - before
}

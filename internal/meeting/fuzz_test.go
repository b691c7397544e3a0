package meeting

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/teambition/rrule-go"
)

func FuzzEscapeTitleCannotBreakOut(f *testing.F) {
	for _, s := range []string{"@nodejs/security-wg", "<script>x</script>", "a](b) [c", "| x |", "`", "1. x", "\n# h", "\u202e", strings.Repeat("@", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := EscapeTitle(title)
		if strings.ContainsAny(got, "<>\r\n\x00") {
			t.Fatalf("EscapeTitle(%q) = %q keeps a raw angle bracket or line break", title, got)
		}
		if mention.MatchString(got) {
			t.Fatalf("EscapeTitle(%q) = %q can mention", title, got)
		}
		if utf8.RuneCountInString(got) > MaxTitleRunes*len("@&#8203;") {
			t.Fatalf("EscapeTitle(%q) is %d runes", title, utf8.RuneCountInString(got))
		}
		for i := 0; i < len(got); i++ {
			if strings.IndexByte("[]`|*_", got[i]) >= 0 && (i == 0 || got[i-1] != '\\') {
				t.Fatalf("EscapeTitle(%q) = %q leaves %q unescaped at %d", title, got, got[i], i)
			}
		}
	})
}

func FuzzParseICSNeverPanics(f *testing.F) {
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Node.js Security Working Group\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRECURRENCE-ID:20260102T100000Z\r\nDTSTART;TZID=Europe/Paris:20260103\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseICS(data, "", time.Hour)
		if err != nil {
			return
		}
		_, _ = c.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}

// FuzzNextOccurrenceMatchesFullExpansion checks the lazy, fast-forwarded search
// against expanding the same rule from its first instance.
func FuzzNextOccurrenceMatchesFullExpansion(f *testing.F) {
	f.Add("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", int64(1736431200), int64(40_000_000), uint8(0))
	f.Add("FREQ=MONTHLY;BYDAY=3TH", int64(1700000000), int64(90_000_000), uint8(1))
	f.Add("FREQ=HOURLY;INTERVAL=5;BYMINUTE=15", int64(1710000000), int64(5_000_000), uint8(2))
	f.Add("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", int64(951782400), int64(800_000_000), uint8(3))
	f.Add("FREQ=DAILY;INTERVAL=3;BYHOUR=1,2,3", int64(1711846800), int64(3_000_000), uint8(1))
	f.Add("FREQ=WEEKLY;WKST=SU;BYDAY=SU,SA;INTERVAL=3", int64(1600000000), int64(200_000_000), uint8(2))
	// Shapes expanded by date arithmetic rather than by rrule.
	f.Add("FREQ=MONTHLY;BYMONTHDAY=31", int64(1706745600), int64(50_000_000), uint8(1))
	f.Add("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1,15", int64(1706745600), int64(70_000_000), uint8(2))
	f.Add("FREQ=MONTHLY;BYDAY=-1FR,2MO", int64(1711846800), int64(30_000_000), uint8(3))
	f.Add("FREQ=MONTHLY;BYDAY=TU", int64(1711846800), int64(10_000_000), uint8(1))
	f.Add("FREQ=MONTHLY", int64(1706745600+86400*30), int64(90_000_000), uint8(0))
	f.Add("FREQ=DAILY;INTERVAL=7;UNTIL=20300101T000000Z", int64(1711846800), int64(60_000_000), uint8(1))
	f.Add("FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270101T000000Z", int64(1711846800), int64(20_000_000), uint8(2))
	f.Add("FREQ=WEEKLY;INTERVAL=3;WKST=TH;BYDAY=WE,FR", int64(1711846800), int64(40_000_000), uint8(3))
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}
	f.Fuzz(func(t *testing.T, rule string, start, ahead int64, zone uint8) {
		if start < 946684800 || start > 1893456000 || ahead < 0 || ahead > 3*365*86400 {
			return
		}
		loc, _ := time.LoadLocation(zones[int(zone)%len(zones)])
		opt, err := parseRule(rule, loc)
		if err != nil || opt == nil || opt.Count > 0 || mixesOrdinalDays(opt) {
			return
		}
		s := &series{uid: "x", start: time.Unix(start, 0).In(loc), dur: span{exact: time.Hour}, rules: []*rrule.ROption{opt}}
		now := time.Unix(start+ahead, 0)
		got, err := s.next(now, newBudget())
		if err != nil {
			return // over the work cap: a clear error, not a wrong answer
		}
		full := *opt
		full.Dtstart = s.start
		if bound := now.Add(horizon + 25*time.Hour); full.Until.IsZero() || full.Until.After(bound) {
			full.Until = bound
		}
		r, err := rrule.NewRRule(full)
		if err != nil {
			t.Fatalf("rule %q builds for the search but not in full: %v", rule, err)
		}
		var want *time.Time
		if s.start.Add(time.Hour).After(now) {
			want = &s.start
		}
		next := r.Iterator()
		for steps := 0; want == nil && steps < maxWork; steps++ {
			x, ok := next()
			if !ok || x.After(now.Add(horizon)) {
				break
			}
			if x.Add(time.Hour).After(now) {
				want = &x
			}
		}
		switch {
		case want == nil && got != nil && got.Start.Before(now.Add(horizon)):
			t.Fatalf("rule %q from %s: search found %s, full expansion none before %s", rule, s.start, got.Start, now.Add(horizon))
		case want != nil && got == nil:
			t.Fatalf("rule %q from %s at %s: search found none, full expansion %s", rule, s.start, now, want)
		case want != nil && !got.Start.Equal(*want):
			t.Fatalf("rule %q from %s at %s: search found %s, full expansion %s", rule, s.start, now, got.Start, want.UTC())
		}
	})
}

// mixesOrdinalDays reports a BYDAY that lists plain and numbered weekdays
// together (FR,1MO): rrule-go v1.8.2, the oracle here, expands such a rule to
// nothing at all, so it cannot judge the search's answer.
func mixesOrdinalDays(o *rrule.ROption) bool {
	plain, numbered := false, false
	for _, d := range o.Byweekday {
		if d.N() == 0 {
			plain = true
		} else {
			numbered = true
		}
	}
	return plain && numbered
}

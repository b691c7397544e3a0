package meeting

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// TestNextOccurrenceInProducersFeeds pins the next meeting read from feeds in
// the shapes Exchange, Outlook and Google export, and from the RFC 5545 cases
// those producers rely on.
func TestNextOccurrenceInProducersFeeds(t *testing.T) {
	tests := []struct {
		name, fixture, filter, now string
		wantStart, wantEnd         string
		wantSummary                string
	}{
		// Time zones as files carry them.
		{"Exchange: Windows name W. Europe Standard Time in winter", "exchange-windows-zones.ics", securityFilter, "2026-03-10T00:00:00Z", "2026-03-19T14:00:00Z", "2026-03-19T15:00:00Z", ""},
		{"Exchange: Windows name W. Europe Standard Time in summer", "exchange-windows-zones.ics", securityFilter, "2026-03-20T00:00:00Z", "2026-04-02T13:00:00Z", "2026-04-02T14:00:00Z", ""},
		{"Exchange: GMT Standard Time before British summer time", "exchange-windows-zones.ics", "triage", "2026-03-20T00:00:00Z", "2026-03-23T10:00:00Z", "2026-03-23T10:30:00Z", ""},
		{"Exchange: GMT Standard Time in British summer time", "exchange-windows-zones.ics", "triage", "2026-03-25T00:00:00Z", "2026-03-30T09:00:00Z", "2026-03-30T09:30:00Z", ""},
		{"Outlook: display-name TZID uses its VTIMEZONE, US winter", "outlook-display-zones.ics", securityFilter, "2026-02-01T00:00:00Z", "2026-02-19T15:00:00Z", "2026-02-19T16:00:00Z", ""},
		{"Outlook: display-name TZID uses its VTIMEZONE, US summer", "outlook-display-zones.ics", securityFilter, "2026-03-01T00:00:00Z", "2026-03-19T14:00:00Z", "2026-03-19T15:00:00Z", ""},
		{"Outlook: Customized Time Zone in its daylight time", "outlook-display-zones.ics", "Customized", "2026-03-30T00:00:00Z", "2026-04-01T22:30:00Z", "2026-04-01T23:30:00Z", ""},
		{"Outlook: Customized Time Zone in its standard time", "outlook-display-zones.ics", "Customized", "2026-04-03T00:00:00Z", "2026-04-08T23:30:00Z", "2026-04-09T00:30:00Z", ""},
		{"Google: lowercase IANA TZID, EXDATE VALUE=DATE, comma in SUMMARY", "google-export.ics", securityFilter, "2026-03-01T00:00:00Z", "2026-03-19T14:00:00Z", "2026-03-19T15:00:00Z", "Biweekly, Node.js Security Working Group Meeting"},
		{"Google: lowercase IANA TZID follows IANA's summer time", "google-export.ics", securityFilter, "2026-03-20T00:00:00Z", "2026-04-02T13:00:00Z", "2026-04-02T14:00:00Z", ""},
		// RFC 5545 semantics.
		{"every RRULE counts", "rfc5545-semantics.ics", "Case multi-rrule", "2026-01-06T00:00:00Z", "2026-01-07T16:00:00Z", "2026-01-07T17:00:00Z", ""},
		{"duplicate UID: highest SEQUENCE wins", "rfc5545-semantics.ics", "Case duplicate-uid", "2026-01-09T00:00:00Z", "2026-01-11T10:00:00Z", "2026-01-11T11:00:00Z", ""},
		{"duplicate UID, same SEQUENCE: latest DTSTAMP wins", "rfc5545-semantics.ics", "Case same-sequence", "2026-01-10T00:00:00Z", "2026-01-12T10:00:00Z", "2026-01-12T11:00:00Z", ""},
		{"duplicate override: highest SEQUENCE wins", "rfc5545-semantics.ics", "Case override-sequence", "2026-01-12T00:00:00Z", "2026-01-15T10:00:00Z", "2026-01-15T11:00:00Z", "Case override-sequence (moved twice)"},
		{"RANGE=THISANDFUTURE moves the later instances too", "rfc5545-semantics.ics", "Case this-and-future", "2026-01-20T00:00:00Z", "2026-01-23T15:00:00Z", "2026-01-23T16:00:00Z", "Case this-and-future (later)"},
		{"instances before a THISANDFUTURE range keep their time", "rfc5545-semantics.ics", "Case this-and-future", "2026-01-08T00:00:00Z", "2026-01-09T12:00:00Z", "2026-01-09T13:00:00Z", "Case this-and-future"},
		{"DURATION:P1D is a calendar day across daylight saving", "rfc5545-semantics.ics", "Case nominal-day", "2026-03-28T00:00:00Z", "2026-03-28T11:00:00Z", "2026-03-29T10:00:00Z", ""},
		{"RDATE period with an end keeps its own length", "rfc5545-semantics.ics", "Case rdate-period", "2026-02-05T00:00:00Z", "2026-02-10T10:00:00Z", "2026-02-10T13:00:00Z", ""},
		{"RDATE period with a duration keeps its own length", "rfc5545-semantics.ics", "Case rdate-period", "2026-02-11T00:00:00Z", "2026-02-17T10:00:00Z", "2026-02-17T12:00:00Z", ""},
		{"override of no real instance adds no meeting", "rfc5545-semantics.ics", "Case phantom-override", "2026-01-08T00:00:00Z", "2026-01-14T10:00:00Z", "2026-01-14T11:00:00Z", ""},
		{"override of a real instance moves it", "rfc5545-semantics.ics", "Case real-override", "2026-01-08T00:00:00Z", "2026-01-13T10:00:00Z", "2026-01-13T11:00:00Z", ""},
		{"bad escapes in SUMMARY are kept as written", "rfc5545-semantics.ics", "Case bad-escape", "2026-01-19T00:00:00Z", "2026-01-20T10:00:00Z", "2026-01-20T11:00:00Z", `Case bad-escape \(draft\), see C:\path`},
		// One bad event never fails the feed.
		{"other events' mistakes and a malformed line are skipped", "broken-feed.ics", securityFilter, "2026-03-01T00:00:00Z", "2026-03-19T14:00:00Z", "2026-03-19T15:00:00Z", ""},
		{"with an empty filter the readable events still count", "broken-feed.ics", "", "2026-03-02T00:00:00Z", "2026-03-19T14:00:00Z", "2026-03-19T15:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadICS(t, tt.fixture, tt.filter)
			got, err := c.Next(utc(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(utc(tt.wantStart)) || !got.End.Equal(utc(tt.wantEnd)) {
				t.Errorf("Next(%s) = %s–%s, want %s–%s", tt.now, got.Start.Format(time.RFC3339), got.End.Format(time.RFC3339), tt.wantStart, tt.wantEnd)
			}
			if tt.wantSummary != "" && got.Summary != tt.wantSummary {
				t.Errorf("Summary = %q, want %q", got.Summary, tt.wantSummary)
			}
		})
	}
}

func TestDuplicateUIDsYieldOneMeeting(t *testing.T) {
	c := loadICS(t, "rfc5545-semantics.ics", "Case duplicate-uid")
	got, err := c.Between(utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Start.Equal(utc("2026-01-11T10:00:00Z")) {
		t.Errorf("Between = %v, want only the SEQUENCE:2 copy on 2026-01-11", got)
	}
}

func TestExdateValueDateExcludesThatDaysInstance(t *testing.T) {
	c := loadICS(t, "google-export.ics", securityFilter)
	if _, err := c.On("2026-03-05"); !errors.Is(err, ErrNoOccurrence) {
		t.Errorf("On(2026-03-05) err = %v, want ErrNoOccurrence: EXDATE;VALUE=DATE:20260305 excludes it", err)
	}
	if _, err := c.On("2026-02-19"); err != nil {
		t.Errorf("On(2026-02-19): %v", err)
	}
}

func TestUnresolvableZoneSkipsOnlyItsEvent(t *testing.T) {
	c := loadICS(t, "outlook-display-zones.ics", "")
	if c.Skipped == 0 || !warned(c, "Atlantis Standard Time") {
		t.Errorf("warnings %v, want one naming the unknown TZID", c.Warnings)
	}
	_, err := ParseICS(mustRead(t, "outlook-display-zones.ics"), "Atlantis", time.Hour)
	if err == nil || !strings.Contains(err.Error(), "unknown TZID") || !strings.Contains(err.Error(), "line ") {
		t.Errorf("err = %v, want the unknown TZID with its line, since only that event matches", err)
	}
}

func TestBrokenFeedWarnsWithLineNumbers(t *testing.T) {
	c := loadICS(t, "broken-feed.ics", securityFilter)
	// The stray line, and the matching event whose DTEND is before its DTSTART.
	for _, want := range []string{"line 4:", "line 9:"} {
		found := false
		for _, w := range c.Warnings {
			found = found || strings.HasPrefix(w.String(), want)
		}
		if !found {
			t.Errorf("no warning for %s in %v", want, c.Warnings)
		}
	}
}

func TestParseErrorsCarryTheLine(t *testing.T) {
	head := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Node.js Security Working Group\r\n"
	tail := "END:VEVENT\r\nEND:VCALENDAR\r\n"
	tests := []struct {
		name, feed, want string
	}{
		{"DTEND before DTSTART", head + "DTSTART:20260101T100000Z\r\nDTEND:20260101T090000Z\r\n" + tail, "line 7:"},
		{"UNTL typo", head + "DTSTART:20260101T100000Z\r\nRRULE:FREQ=WEEKLY;UNTL=20261231T000000Z\r\n" + tail, "line 7:"},
		{"empty EXDATE", head + "DTSTART:20260101T100000Z\r\nRRULE:FREQ=WEEKLY\r\nEXDATE:\r\n" + tail, "line 8:"},
		{"junk RRULE prefix", head + "DTSTART:20260101T100000Z\r\nRRULE:X-JUNK;FREQ=WEEKLY\r\n" + tail, "line 7:"},
		{"unknown zone", head + "DTSTART;TZID=Mars/Olympus_Mons:20260101T100000\r\n" + tail, "line 6:"},
		{"unclosed event", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Node.js Security Working Group\r\nDTSTART:20260101T100000Z\r\n", "line 2:"},
		{"malformed DTSTART line", head + "DTSTART;TZID=\"Europe/Berlin:20260101T100000\r\n" + tail, "line 6"},
		{"not a calendar", "BEGIN:VTODO\r\nEND:VTODO\r\n", "line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseICS([]byte(tt.feed), securityFilter, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

func TestIANANamesMatchIgnoringCaseAndLeadingSlash(t *testing.T) {
	for _, tzid := range []string{"Europe/Lisbon", "europe/lisbon", "Europe/lisbon", "/Europe/Lisbon", "/mozilla.org/20070129_1/Europe/Lisbon"} {
		loc, ok := ianaZone(tzid)
		if !ok || loc.String() != "Europe/Lisbon" {
			t.Errorf("ianaZone(%q) = %v, %v; want Europe/Lisbon", tzid, loc, ok)
		}
	}
	for _, tzid := range []string{"W. Europe Standard Time", "w. europe standard time"} {
		loc, ok := windowsZone(tzid)
		if !ok || loc.String() != "Europe/Berlin" {
			t.Errorf("windowsZone(%q) = %v, %v; want Europe/Berlin", tzid, loc, ok)
		}
	}
}

func warned(c *Calendar, text string) bool {
	for _, w := range c.Warnings {
		if strings.Contains(w.Message, text) {
			return true
		}
	}
	return false
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSimpleRulesMatchRRule holds the date-arithmetic expansion of common rule
// shapes to rrule's, across daylight saving changes, over two years.
func TestSimpleRulesMatchRRule(t *testing.T) {
	rules := []string{
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
		"FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA,WE", "FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=31,-1",
		"FREQ=MONTHLY;BYDAY=3TH", "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR,1MO", "FREQ=MONTHLY;BYDAY=WE",
		"FREQ=WEEKLY;BYDAY=MO;UNTIL=20260401T000000Z",
	}
	starts := []string{"2024-01-31T02:30:00", "2025-03-30T02:30:00", "2025-10-26T01:30:00"}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range rules {
			for _, st := range starts {
				start, _ := time.ParseInLocation("2006-01-02T15:04:05", st, loc)
				opt, err := parseRule(rule, loc)
				if err != nil {
					t.Fatal(err)
				}
				if simpleIterator(opt, start, start) == nil {
					t.Fatalf("%s is not expanded by date arithmetic", rule)
				}
				full := *opt
				full.Dtstart = start
				full.Until = start.AddDate(2, 1, 0)
				if !opt.Until.IsZero() && opt.Until.Before(full.Until) {
					full.Until = opt.Until
				}
				r, err := rrule.NewRRule(full)
				if err != nil {
					t.Fatal(err)
				}
				want := r.All()
				var got []time.Time
				s := &series{start: start, rules: []*rrule.ROption{opt}}
				err = s.instances(start, full.Until, newBudget(), func(x time.Time, _ *span) bool {
					got = append(got, x)
					return true
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) > 0 && got[0].Equal(start) && (len(want) == 0 || !want[0].Equal(start)) {
					got = got[1:] // DTSTART counts even when the rule would skip it
				}
				if len(got) != len(want) {
					t.Errorf("%s from %s in %s: %d instances, rrule %d", rule, st, zone, len(got), len(want))
					continue
				}
				for i := range got {
					if !got[i].Equal(want[i]) {
						t.Errorf("%s from %s in %s: instance %d is %s, rrule %s", rule, st, zone, i, got[i], want[i])
						break
					}
				}
			}
		}
	}
}

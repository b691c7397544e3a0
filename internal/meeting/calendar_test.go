package meeting

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const securityFilter = "Node.js Security Working Group"

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func loadICS(t *testing.T, name, filter string) *Calendar {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseICS(data, filter, time.Hour)
	if err != nil {
		t.Fatalf("ParseICS(%s): %v", name, err)
	}
	return c
}

func TestNextOccurrenceFromCalendar(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		now       string
		wantStart string
		wantEnd   string
	}{
		{"first instance of a TZID rule in US winter time", "us-biweekly.ics", "2026-01-01T00:00:00Z", "2026-01-08T15:00:00Z", "2026-01-08T16:00:00Z"},
		{"EXDATE skips the cancelled instance", "us-biweekly.ics", "2026-01-30T00:00:00Z", "2026-02-19T15:00:00Z", "2026-02-19T16:00:00Z"},
		{"meeting in progress is still the next one", "us-biweekly.ics", "2026-03-05T15:30:00Z", "2026-03-05T15:00:00Z", "2026-03-05T16:00:00Z"},
		{"RECURRENCE-ID moves the instance to its new time", "us-biweekly.ics", "2026-03-05T16:00:00Z", "2026-03-20T16:00:00Z", "2026-03-20T17:00:00Z"},
		{"US daylight saving moves the UTC time an hour earlier", "us-biweekly.ics", "2026-03-21T00:00:00Z", "2026-04-02T14:00:00Z", "2026-04-02T15:00:00Z"},
		{"a STATUS:CANCELLED instance is skipped", "us-biweekly.ics", "2026-04-03T00:00:00Z", "2026-04-30T14:00:00Z", "2026-04-30T15:00:00Z"},
		{"US autumn: last daylight-time instance", "us-biweekly.ics", "2026-10-20T00:00:00Z", "2026-10-29T14:00:00Z", "2026-10-29T15:00:00Z"},
		{"US autumn: first standard-time instance", "us-biweekly.ics", "2026-10-30T00:00:00Z", "2026-11-12T15:00:00Z", "2026-11-12T16:00:00Z"},
		{"filter matches DESCRIPTION; cancelled series and its moved instance are skipped", "eu-weekly.ics", "2026-03-16T00:00:00Z", "2026-03-17T14:00:00Z", "2026-03-17T15:00:00Z"},
		{"Europe daylight saving week", "eu-weekly.ics", "2026-03-25T00:00:00Z", "2026-03-31T13:00:00Z", "2026-03-31T14:00:00Z"},
		{"Europe autumn: before the change", "eu-weekly.ics", "2026-10-14T00:00:00Z", "2026-10-20T13:00:00Z", "2026-10-20T14:00:00Z"},
		{"Europe autumn: after the change", "eu-weekly.ics", "2026-10-21T00:00:00Z", "2026-10-27T14:00:00Z", "2026-10-27T15:00:00Z"},
		{"one-off event after the rule's UNTIL", "eu-weekly.ics", "2026-12-30T00:00:00Z", "2027-01-12T10:00:00Z", "2027-01-12T11:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadICS(t, tt.fixture, securityFilter)
			got, err := c.Next(utc(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(utc(tt.wantStart)) || !got.End.Equal(utc(tt.wantEnd)) {
				t.Errorf("Next(%s) = %s–%s, want %s–%s", tt.now, got.Start.Format(time.RFC3339), got.End.Format(time.RFC3339), tt.wantStart, tt.wantEnd)
			}
			if got.Start.Location() != time.UTC {
				t.Errorf("Start is in %s, want UTC", got.Start.Location())
			}
		})
	}
}

func TestNextOccurrenceReportsNoneAfterTheLastEvent(t *testing.T) {
	c := loadICS(t, "eu-weekly.ics", securityFilter)
	if _, err := c.Next(utc("2027-01-13T00:00:00Z")); !errors.Is(err, ErrNoOccurrence) {
		t.Fatalf("err = %v, want ErrNoOccurrence", err)
	}
}

func TestCalendarFilterIgnoresOtherGroupsEvents(t *testing.T) {
	c := loadICS(t, "us-biweekly.ics", "Node.js TSC Meeting")
	got, err := c.Next(utc("2026-01-02T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(utc("2026-01-07T15:00:00Z")) || got.End.Sub(got.Start) != 90*time.Minute {
		t.Errorf("got %v–%v, want the TSC's Wednesday 15:00Z for 1h30m", got.Start, got.End)
	}
	if got.UID != "tsc@secwg.test" || got.Summary != "Node.js TSC Meeting" {
		t.Errorf("got UID %q summary %q", got.UID, got.Summary)
	}
}

func TestCalendarBetweenListsMovedInstanceOnce(t *testing.T) {
	c := loadICS(t, "us-biweekly.ics", securityFilter)
	got, err := c.Between(utc("2026-03-01T00:00:00Z"), utc("2026-04-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-05T15:00:00Z", "2026-03-20T16:00:00Z"}
	if len(got) != len(want) {
		t.Fatalf("got %d occurrences %v, want %v", len(got), got, want)
	}
	for i := range want {
		if !got[i].Start.Equal(utc(want[i])) {
			t.Errorf("occurrence %d starts %s, want %s", i, got[i].Start.Format(time.RFC3339), want[i])
		}
	}
	if !strings.Contains(got[1].Summary, "moved") {
		t.Errorf("moved instance has summary %q, want the override's", got[1].Summary)
	}
}

func TestCalendarOnFindsTheMeetingOfADate(t *testing.T) {
	c := loadICS(t, "us-biweekly.ics", securityFilter)
	got, err := c.On("2026-03-20")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(utc("2026-03-20T16:00:00Z")) {
		t.Errorf("On = %v", got.Start)
	}
	if _, err := c.On("2026-03-19"); !errors.Is(err, ErrNoOccurrence) {
		t.Errorf("On(moved-away date) err = %v, want ErrNoOccurrence", err)
	}
	if _, err := c.On("19-03-2026"); err == nil {
		t.Error("On accepted a malformed date")
	}
}

func TestParseICSRejectsBrokenMatchingEvents(t *testing.T) {
	head := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Node.js Security Working Group\r\n"
	tail := "END:VEVENT\r\nEND:VCALENDAR\r\n"
	tests := []struct {
		name, body, want string
	}{
		{"unknown zone", "DTSTART;TZID=Mars/Olympus_Mons:20260101T100000\r\n", "unknown TZID"},
		{"no start", "DTEND:20260101T100000Z\r\n", "no DTSTART"},
		{"bad rule", "DTSTART:20260101T100000Z\r\nRRULE:FREQ=SOMETIMES\r\n", "RRULE"},
		{"too dense a rule", "DTSTART:20260101T100000Z\r\nRRULE:FREQ=SECONDLY\r\n", "at most hourly"},
		{"ends before start", "DTSTART:20260101T100000Z\r\nDTEND:20260101T090000Z\r\n", "DTEND is before DTSTART"},
		{"bad date", "DTSTART:2026-01-01\r\n", "DTSTART"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseICS([]byte(head+tt.body+tail), securityFilter, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	for _, junk := range []string{"", "not a calendar", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"} {
		if _, err := ParseICS([]byte(junk), securityFilter, time.Hour); err == nil {
			t.Errorf("ParseICS(%q) succeeded", junk)
		}
	}
}

func TestScheduleNextOccurrence(t *testing.T) {
	tests := []struct {
		name      string
		schedule  Schedule
		now       string
		wantStart string
	}{
		{"biweekly Thursdays in UTC", Schedule{RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", Start: "2025-01-09T14:00:00Z", Timezone: "UTC"}, "2026-03-10T00:00:00Z", "2026-03-19T14:00:00Z"},
		{"rule with RRULE: prefix and no zone", Schedule{RRule: "RRULE:FREQ=MONTHLY;BYDAY=3TH", Start: "2026-01-15T14:00:00Z"}, "2026-01-16T00:00:00Z", "2026-02-19T14:00:00Z"},
		{"London wall clock before British summer time", Schedule{RRule: "FREQ=WEEKLY;BYDAY=TH", Start: "2026-03-19T14:00:00", Timezone: "Europe/London"}, "2026-03-20T00:00:00Z", "2026-03-26T14:00:00Z"},
		{"London wall clock in British summer time", Schedule{RRule: "FREQ=WEEKLY;BYDAY=TH", Start: "2026-03-19T14:00:00", Timezone: "Europe/London"}, "2026-03-27T00:00:00Z", "2026-04-02T13:00:00Z"},
		{"RFC 3339 start keeps the zone's wall clock", Schedule{RRule: "FREQ=WEEKLY;BYDAY=TH", Start: "2026-03-05T10:00:00-05:00", Timezone: "America/New_York"}, "2026-03-06T00:00:00Z", "2026-03-12T14:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGroup()
			g.Calendar, g.Schedule = nil, &tt.schedule
			c, err := g.LoadCalendar(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Next(utc(tt.now))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(utc(tt.wantStart)) || got.End.Sub(got.Start) != g.Duration {
				t.Errorf("Next = %s (%s), want %s (%s)", got.Start.Format(time.RFC3339), got.End.Sub(got.Start), tt.wantStart, g.Duration)
			}
		})
	}
}

func TestZoneTimesFollowEachZonesDaylightSaving(t *testing.T) {
	tests := []struct {
		start string
		want  map[string]string
	}{
		// US on daylight time, Europe not yet: the gap weeks of March.
		{"2026-03-19T14:00:00Z", map[string]string{
			"US / Eastern": "Thu 19-Mar-2026 10:00 (10:00 AM)", "EU / Western": "Thu 19-Mar-2026 14:00 (02:00 PM)",
			"EU / Central": "Thu 19-Mar-2026 15:00 (03:00 PM)", "Sydney": "Fri 20-Mar-2026 01:00 (01:00 AM)",
		}},
		// Both on summer time.
		{"2026-04-02T14:00:00Z", map[string]string{
			"US / Eastern": "Thu 02-Apr-2026 10:00 (10:00 AM)", "EU / Western": "Thu 02-Apr-2026 15:00 (03:00 PM)",
			"EU / Central": "Thu 02-Apr-2026 16:00 (04:00 PM)", "Sydney": "Fri 03-Apr-2026 01:00 (01:00 AM)",
		}},
		// Europe back on standard time, US not yet.
		{"2026-10-29T14:00:00Z", map[string]string{
			"US / Pacific": "Thu 29-Oct-2026 07:00 (07:00 AM)", "EU / Western": "Thu 29-Oct-2026 14:00 (02:00 PM)",
			"EU / Central": "Thu 29-Oct-2026 15:00 (03:00 PM)", "Chennai": "Thu 29-Oct-2026 19:30 (07:30 PM)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			rows, err := ZoneTimes(utc(tt.start), DefaultZones)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 12 {
				t.Fatalf("got %d rows, want the WG's 12", len(rows))
			}
			for _, r := range rows {
				if want, ok := tt.want[r.Label]; ok && r.Local != want {
					t.Errorf("%s = %q, want %q", r.Label, r.Local, want)
				}
			}
		})
	}
}

func TestLocalTimeLinksCarryTheUTCInstant(t *testing.T) {
	start := utc("2026-03-19T14:00:00Z")
	if got, want := TimeAndDateURL("Node.js Security team Meeting 2026-03-19", start),
		"https://www.timeanddate.com/worldclock/fixedtime.html?msg=Node.js+Security+team+Meeting+2026-03-19&iso=20260319T140000"; got != want {
		t.Errorf("TimeAndDateURL = %s, want %s", got, want)
	}
	if got, want := WolframAlphaURL(start), "https://www.wolframalpha.com/input/?i=02%3A00+PM+UTC%2C+Mar+19%2C+2026+in+local+time"; got != want {
		t.Errorf("WolframAlphaURL = %s, want %s", got, want)
	}
}

package meeting

import (
	"strings"
	"testing"
	"time"
)

// A numbered weekday out of RFC 5545's range skips the event with a reason:
// rrule-go would index past its tables and panic the whole expansion.
func TestOutOfRangeWeekdayNumbersAreRefused(t *testing.T) {
	tests := []struct {
		rule    string
		refused string // in the error, or "" when the rule is read
	}{
		{"FREQ=MONTHLY;BYDAY=8TH", "1 to 5"},
		{"FREQ=MONTHLY;BYDAY=8TH;COUNT=3", "1 to 5"},
		{"FREQ=MONTHLY;BYDAY=-9TH;COUNT=2", "1 to 5"},
		{"FREQ=YEARLY;BYDAY=60TH", "1 to 53"},
		{"FREQ=YEARLY;BYMONTH=2;BYDAY=6FR", "1 to 5"},
		{"FREQ=WEEKLY;BYDAY=2MO", "MONTHLY or YEARLY"},
		{"FREQ=MONTHLY;BYDAY=5FR,-5MO;COUNT=4", ""},
		{"FREQ=YEARLY;BYDAY=53TH;COUNT=2", ""},
		{"FREQ=YEARLY;BYDAY=-53MO", ""},
		{"FREQ=YEARLY;BYMONTH=2;BYDAY=5FR;COUNT=2", ""},
		{"FREQ=MONTHLY;BYDAY=2TH", ""},
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			ics := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Security WG\r\nDTSTART:20240101T120000Z\r\n" +
				"DTEND:20240101T130000Z\r\nRRULE:" + tt.rule + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			cal, err := ParseICS([]byte(ics), "", time.Hour)
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("err = %v, want one saying %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Neither search may panic.
			_, _ = cal.Next(now)
			if _, err := cal.Between(now, now.AddDate(1, 0, 0)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

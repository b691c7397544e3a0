package meeting

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFindMarker(t *testing.T) {
	tests := []struct {
		body, id, date string
		ok             bool
	}{
		{"<!-- secwg:meeting group=security-wg date=2026-03-19 -->\n## Time", "security-wg", "2026-03-19", true},
		{"people wrote this\r\n\r\n<!-- secwg:meeting group=tsc date=2026-01-07 -->\r\n", "tsc", "2026-01-07", true},
		{"<!-- secwg:meeting group=security-wg date=2026-13-40 -->", "", "", false},
		{"<!-- secwg:meeting group=Security date=2026-03-19 -->", "", "", false},
		{"no marker at all", "", "", false},
	}
	for _, tt := range tests {
		id, date, ok := FindMarker(tt.body)
		if id != tt.id || date != tt.date || ok != tt.ok {
			t.Errorf("FindMarker(%q) = %q %q %v, want %q %q %v", tt.body, id, date, ok, tt.id, tt.date, tt.ok)
		}
	}
	occ := Occurrence{Start: time.Date(2026, 3, 19, 23, 30, 0, 0, time.FixedZone("PDT", -7*3600))}
	if id, date, ok := FindMarker(MeetingMarker("security-wg", occ)); !ok || id != "security-wg" || date != "2026-03-20" {
		t.Errorf("round trip = %q %q %v, want the UTC date 2026-03-20", id, date, ok)
	}
}

func TestReplaceAgendaPreservesTextOutsideMarkers(t *testing.T) {
	const start, end = "<!-- secwg:agenda:start group=security-wg -->", "<!-- secwg:agenda:end group=security-wg -->"
	tests := []struct {
		name, body, agenda, want string
	}{
		{
			"LF body with human edits around the region",
			"Edited by a person ✓\n\n## Agenda\n\n" + start + "\nold agenda\n" + end + "\n\n## Invited\n* me  \n",
			"new\n\n### nodejs/node\n\n* item\n",
			"Edited by a person ✓\n\n## Agenda\n\n" + start + "\nnew\n\n### nodejs/node\n\n* item\n" + end + "\n\n## Invited\n* me  \n",
		},
		{
			"CRLF body keeps CRLF everywhere",
			"top\r\n" + start + "\r\nold\r\n" + end + "\r\nbottom\r\n",
			"a\nb\r\nc",
			"top\r\n" + start + "\r\na\r\nb\r\nc\r\n" + end + "\r\nbottom\r\n",
		},
		{
			"empty region and empty agenda",
			start + end,
			"",
			start + "\n" + end,
		},
		{
			"another group's region is untouched",
			"<!-- secwg:agenda:start group=tsc -->\nx\n<!-- secwg:agenda:end group=tsc -->\n" + start + "\nold\n" + end,
			"y",
			"<!-- secwg:agenda:start group=tsc -->\nx\n<!-- secwg:agenda:end group=tsc -->\n" + start + "\ny\n" + end,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReplaceAgenda(tt.body, "security-wg", tt.agenda)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			again, err := ReplaceAgenda(got, "security-wg", tt.agenda)
			if err != nil || again != got {
				t.Errorf("second replacement changed the body: %q (%v)", again, err)
			}
		})
	}
}

func TestReplaceAgendaRejectsBrokenMarkers(t *testing.T) {
	const start, end = "<!-- secwg:agenda:start group=security-wg -->", "<!-- secwg:agenda:end group=security-wg -->"
	tests := []struct {
		name, body, want string
	}{
		{"missing", "a body people rewrote", "no agenda region"},
		{"start only", start + "\nx", "1 start and 0 end"},
		{"end only", "x\n" + end, "0 start and 1 end"},
		{"duplicated", start + end + start + end, "2 start and 2 end"},
		{"reversed", end + "\nx\n" + start, "before its start"},
		{"other group's markers only", "<!-- secwg:agenda:start group=tsc --><!-- secwg:agenda:end group=tsc -->", "no agenda region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReplaceAgenda(tt.body, "security-wg", "new")
			if !errors.Is(err, ErrAgendaMarkers) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrAgendaMarkers mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDueFrozenAndMinutesDue(t *testing.T) {
	occ := Occurrence{Start: utc("2026-03-19T14:00:00Z"), End: utc("2026-03-19T15:00:00Z")}
	lead, delay := 72*time.Hour, 2*time.Hour
	tests := []struct {
		now                       string
		due, frozen, minutesReady bool
	}{
		{"2026-03-16T13:59:59Z", false, false, false},
		{"2026-03-16T14:00:00Z", true, false, false},
		{"2026-03-19T13:59:59Z", true, false, false},
		{"2026-03-19T14:00:00Z", false, true, false},
		{"2026-03-19T16:59:59Z", false, true, false},
		{"2026-03-19T17:00:00Z", false, true, true},
	}
	for _, tt := range tests {
		now := utc(tt.now)
		if got := Due(now, occ, lead); got != tt.due {
			t.Errorf("Due at %s = %v", tt.now, got)
		}
		if got := Frozen(now, occ); got != tt.frozen {
			t.Errorf("Frozen at %s = %v", tt.now, got)
		}
		if got := MinutesDue(now, occ, delay); got != tt.minutesReady {
			t.Errorf("MinutesDue at %s = %v", tt.now, got)
		}
	}
}

package meeting

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ErrAgendaMarkers means a body lacks a well-formed agenda region for the group.
var ErrAgendaMarkers = errors.New("agenda markers")

var meetingMarker = regexp.MustCompile(`<!-- secwg:meeting group=([a-z0-9][a-z0-9._-]{0,62}) date=(\d{4}-\d{2}-\d{2}) -->`)

// MeetingMarker is the hidden line that identifies a group's meeting issue.
func MeetingMarker(groupID string, occ Occurrence) string {
	return fmt.Sprintf("<!-- secwg:meeting group=%s date=%s -->", groupID, MeetingDate(occ.Start))
}

// FindMarker reads the meeting marker of an issue body: the group and the UTC date
// of the meeting it is for.
func FindMarker(body string) (groupID, date string, ok bool) {
	m := meetingMarker.FindStringSubmatch(body)
	if m == nil {
		return "", "", false
	}
	if _, err := time.Parse(time.DateOnly, m[2]); err != nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func agendaStart(groupID string) string { return "<!-- secwg:agenda:start group=" + groupID + " -->" }
func agendaEnd(groupID string) string   { return "<!-- secwg:agenda:end group=" + groupID + " -->" }

// agendaRegion is the marked region as the issue template places it.
func agendaRegion(groupID, agenda string, nl string) string {
	agenda = strings.TrimRight(strings.ReplaceAll(agenda, "\r\n", "\n"), "\n")
	agenda = strings.TrimLeft(agenda, "\n")
	if nl != "\n" {
		agenda = strings.ReplaceAll(agenda, "\n", nl)
	}
	if agenda == "" {
		return agendaStart(groupID) + nl + agendaEnd(groupID)
	}
	return agendaStart(groupID) + nl + agenda + nl + agendaEnd(groupID)
}

// ReplaceAgenda rewrites the group's marked agenda region of body with agenda and
// keeps every other byte. A CRLF body gets CRLF lines in the region. It fails
// with ErrAgendaMarkers when the markers are missing, repeated or out of order.
func ReplaceAgenda(body, groupID, agenda string) (string, error) {
	start, end := agendaStart(groupID), agendaEnd(groupID)
	ns, ne := strings.Count(body, start), strings.Count(body, end)
	switch {
	case ns == 0 && ne == 0:
		return "", fmt.Errorf("%w: no agenda region for group %q", ErrAgendaMarkers, groupID)
	case ns != 1 || ne != 1:
		return "", fmt.Errorf("%w: group %q has %d start and %d end markers, want one of each", ErrAgendaMarkers, groupID, ns, ne)
	}
	i, j := strings.Index(body, start), strings.Index(body, end)
	if j < i {
		return "", fmt.Errorf("%w: group %q's end marker comes before its start marker", ErrAgendaMarkers, groupID)
	}
	nl := "\n"
	if strings.Contains(body, "\r\n") {
		nl = "\r\n"
	}
	return body[:i] + agendaRegion(groupID, agenda, nl) + body[j+len(end):], nil
}

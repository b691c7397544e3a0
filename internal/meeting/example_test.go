package meeting_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/secwg/secwg/internal/meeting"
)

// The flow a reconcile follows: group → next occurrence → agenda from a search →
// issue body → later, only the marked agenda region is rewritten.
func Example() {
	g := meeting.DefaultGroup()
	g.ID, g.Org, g.Repo = "security-wg", "nodejs", "nodejs/security-wg"
	g.Schedule = &meeting.Schedule{RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", Start: "2025-01-09T14:00:00Z", Timezone: "UTC"}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	cal, _ := g.LoadCalendar(nil) // a calendar group passes the fetched feed instead
	now := time.Date(2026, 3, 16, 15, 0, 0, 0, time.UTC)
	occ, _ := cal.Next(now)
	fmt.Println("due:", meeting.Due(now, occ, g.LeadTime), "frozen:", meeting.Frozen(now, occ))

	items, _, _ := meeting.ParseSearchItems([]byte(`{"total_count":1,"items":[{"number":1552,"title":"Node.js PURL is missing namespace",
		"html_url":"https://github.com/nodejs/security-wg/issues/1552","repository_url":"https://api.github.com/repos/nodejs/security-wg"}]}`))
	r, _ := meeting.DefaultRenderer()
	issue, _ := r.RenderIssue(&g, meeting.Meeting{Occurrence: occ, Agenda: meeting.NewAgenda(g.Repo, items)})
	fmt.Println(issue.Title)

	id, date, _ := meeting.FindMarker(issue.Body)
	fmt.Println("marker:", id, date)

	agenda, _ := r.RenderAgenda(&g, meeting.NewAgenda(g.Repo, nil))
	body, _ := meeting.ReplaceAgenda(issue.Body, g.ID, agenda)
	fmt.Println("still lists #1552:", strings.Contains(body, "#1552"))
	path, _ := g.MinutesPath(occ)
	fmt.Println("minutes:", path)
	// Output:
	// due: true frozen: false
	// Node.js Security team Meeting 2026-03-19
	// marker: security-wg 2026-03-19
	// still lists #1552: false
	// minutes: meetings/2026-03-19.md
}

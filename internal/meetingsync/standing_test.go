package meetingsync

import (
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

const vulnRepo = "nodejs/nodejs-dependency-vuln-assessments"

// newStandingEnv is a group whose Vulnerability Review lists the open issues
// of the repository that files one per vulnerability found.
func newStandingEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	e := newEnv(t, now)
	e.cfg.Groups[0].StandingItems = []meeting.StandingItem{
		{Title: "Vulnerability Review", URL: "https://github.com/" + vulnRepo + "/issues", Search: "repo:" + vulnRepo + " is:issue"},
		{Title: "OpenSSF Scorecard Monitor Review", URL: "https://github.com/nodejs/security-wg/issues"},
	}
	e.svc = e.newService()
	e.state.Add(meetingsynctest.Issue{Repo: vulnRepo, Number: 213, Title: "CVE-2025-0001 (zlib) may affect Node.js", Author: "github-actions[bot]"})
	e.state.Add(meetingsynctest.Issue{Repo: vulnRepo, Number: 214, Title: "CVE-2025-0002 (@nodejs/undici) may affect Node.js", Author: "github-actions[bot]"})
	e.state.Add(meetingsynctest.Issue{Repo: vulnRepo, Number: 200, Title: "CVE-2024-9999 (openssl) may affect Node.js", Author: "github-actions[bot]", Closed: true})
	return e
}

func TestStandingItemListsTheOpenResultsOfItsSearch(t *testing.T) {
	e := newStandingEnv(t, leadTimeAt)
	e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
	e.sync()
	query := "is:open repo:" + vulnRepo + " is:issue"
	if n := e.state.Searches(query); n != 1 {
		t.Errorf("standing query ran %d times in one pass, want 1", n)
	}
	body := e.onlyMeetingIssue().Body
	for _, want := range []string{
		"### Standing items\n\n- Vulnerability Review - https://github.com/" + vulnRepo + "/issues\n" +
			"  - CVE-2025-0001 (zlib) may affect Node.js [#213](https://github.com/" + vulnRepo + "/issues/213)\n" +
			"  - CVE-2025-0002 (@&#8203;nodejs/undici) may affect Node.js [#214]",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("issue lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "#200") {
		t.Error("a closed result is listed")
	}

	// A label event rewrites the agenda without running the standing query and
	// keeps its results.
	e.agendaItem("nodejs/node", 59935, "Auditing permissions")
	if err := e.svc.ItemChanged(ctx(), labelled("nodejs/node", 59935, "Auditing permissions")); err != nil {
		t.Fatal(err)
	}
	if n := e.state.Searches(query); n != 1 {
		t.Errorf("a label event ran the standing query (%d runs in all, want 1)", n)
	}
	body = e.onlyMeetingIssue().Body
	if !strings.Contains(body, "[#59935]") || !strings.Contains(body, "[#213]") {
		t.Errorf("after the label event the agenda lacks the new item or the standing results:\n%s", body)
	}

	// The minutes list the results under the item's checkbox.
	e.clock.Set(meetingStart.Add(3 * time.Hour))
	e.sync()
	minutes := e.onlyMinutes("meetings/2026-03-19.md")
	want := "- [ ] Vulnerability Review - https://github.com/" + vulnRepo + "/issues\n" +
		"  - CVE-2025-0001 (zlib) may affect Node.js [#213](https://github.com/" + vulnRepo + "/issues/213)\n"
	if !strings.Contains(minutes, want) || !strings.Contains(minutes, "- [ ] OpenSSF Scorecard Monitor Review - https://github.com/nodejs/security-wg/issues\n") {
		t.Errorf("minutes lack the standing results under their item:\n%s", minutes)
	}
}

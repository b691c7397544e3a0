package meetingsync

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

func TestSyncCreatesTheIssueAtLeadTimeAndNeverTwice(t *testing.T) {
	e := newEnv(t, leadTimeAt.Add(-time.Second))
	e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
	e.agendaItem("nodejs/node", 59935, "Auditing permissions")

	// The first pass settles the previous meeting's minutes: it has no issue.
	if n := e.calls(e.sync); n != 2 || len(e.meetingIssues()) != 0 {
		t.Fatalf("first pass before lead time: %d calls, %d issues; want 2 (installation, list) and none", n, len(e.meetingIssues()))
	}
	if n := e.calls(e.sync); n != 0 {
		t.Fatalf("second pass before lead time: %d calls, want none", n)
	}

	e.clock.Set(leadTimeAt)
	if n := e.calls(e.sync); n != 3 {
		t.Errorf("pass at lead time: %d calls, want 3 (list, one search page, creation)", n)
	}
	is := e.onlyMeetingIssue()
	if is.Title != "Node.js Security team Meeting 2026-03-19" {
		t.Errorf("title = %q", is.Title)
	}
	for _, want := range []string{
		"<!-- secwg:meeting group=security-wg date=2026-03-19 -->",
		"**UTC Thu 19-Mar-2026 14:00 (02:00 PM)**",
		"| EU / Central  | Thu 19-Mar-2026 15:00 (03:00 PM) |",
		"Extracted from **security-wg-agenda** labelled issues and pull requests from the **nodejs org** prior to the meeting.",
		"### nodejs/security-wg\n\n* Node.js PURL is missing namespace [#1552](https://github.com/nodejs/security-wg/issues/1552)",
		"### nodejs/node\n\n* Auditing permissions [#59935]",
		"* Minutes: <https://github.com/nodejs/security-wg/blob/HEAD/meetings/2026-03-19.md>",
	} {
		if !strings.Contains(is.Body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, is.Body)
		}
	}
	if strings.Index(is.Body, "### nodejs/security-wg") > strings.Index(is.Body, "### nodejs/node") {
		t.Error("the group's own repository is not listed first")
	}

	// Warm and unchanged: list and search, no write.
	if n := e.calls(e.sync); n != 2 {
		t.Errorf("second pass: %d calls, want 2 (list, search)", n)
	}
	// A new process (a CronJob) finds the issue again by its marker.
	e.svc = e.newService()
	e.sync()
	e.onlyMeetingIssue()
}

func TestSyncNeverRecreatesAClosedIssue(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.sync()
	is := e.onlyMeetingIssue()
	e.state.Update(repo, is.Number, func(i *meetingsynctest.Issue) { i.Closed = true })
	e.agendaItem(repo, 7, "new item")
	for _, svc := range []*Service{e.svc, e.newService()} {
		e.svc = svc
		e.sync()
	}
	if got := e.onlyMeetingIssue(); got.Body != is.Body {
		t.Errorf("closed issue was rewritten:\n%s", got.Body)
	}
}

func TestSyncIgnoresAMarkerAPersonPasted(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	pasted := e.state.Add(meetingsynctest.Issue{Repo: repo, Title: "copy", Author: "mallory",
		Body: "<!-- secwg:meeting group=security-wg date=2026-03-19 -->\n<!-- secwg:agenda:start group=security-wg -->\n<!-- secwg:agenda:end group=security-wg -->"})
	e.sync()
	if e.onlyMeetingIssue().Number == pasted {
		t.Fatal("the pasted issue was taken for the meeting issue")
	}
	if got, _ := e.state.Issue(repo, pasted); strings.Contains(got.Body, "Nothing is labelled") {
		t.Error("the pasted issue was written to")
	}
}

func TestSyncRefreshesOnlyTheAgendaRegion(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.agendaItem(repo, 1, "first")
	e.sync()
	is := e.onlyMeetingIssue()
	edited := "A person wrote this first.\r\n\r\n" + strings.ReplaceAll(is.Body, "## Invited", "## Invited\n\n* someone added by hand") + "\nAnd this last."
	e.state.Update(repo, is.Number, func(i *meetingsynctest.Issue) { i.Body = edited })
	e.agendaItem("nodejs/node", 2, "second")
	e.state.Update(repo, 1, func(i *meetingsynctest.Issue) { i.Closed = true })

	if n := e.calls(e.sync); n != 3 {
		t.Errorf("refresh: %d calls, want 3 (list, search, update)", n)
	}
	got := e.onlyMeetingIssue().Body
	if strings.Contains(got, "[#1]") || !strings.Contains(got, "second [#2]") {
		t.Errorf("agenda not refreshed:\n%s", got)
	}
	outside := func(body string) string {
		i := strings.Index(body, "<!-- secwg:agenda:start")
		j := strings.Index(body, "<!-- secwg:agenda:end")
		return body[:i] + body[j:]
	}
	if outside(got) != outside(edited) {
		t.Errorf("text outside the markers changed:\n got %q\nwant %q", outside(got), outside(edited))
	}
}

func TestSyncSearchesOnePagePerHundredItems(t *testing.T) {
	for _, n := range []int{0, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t, leadTimeAt)
			for i := 1; i <= n; i++ {
				e.agendaItem("nodejs/node", i, fmt.Sprintf("item %d", i))
			}
			e.sync() // warms the installation cache
			pages := max(1, (n+99)/100)
			if got := e.gh.Count("GET /search/issues"); got != pages {
				t.Errorf("%d search pages, want %d", got, pages)
			}
			if strings.Count(e.onlyMeetingIssue().Body, "* item ") != n {
				t.Errorf("agenda does not list all %d items", n)
			}
			e.agendaItem(repo, 100000, "one more")
			if calls := e.calls(e.sync); calls != (n+1+99)/100+2 {
				t.Errorf("warm pass with %d items: %d calls, want %d search pages + list + update", n+1, calls, (n+1+99)/100)
			}
		})
	}
}

func TestSyncLeavesTheIssueOnceTheMeetingStarted(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.sync()
	before := e.onlyMeetingIssue().Body
	e.agendaItem(repo, 9, "too late")
	for _, now := range []time.Time{meetingStart, meetingStart.Add(30 * time.Minute)} {
		e.clock.Set(now)
		if n := e.calls(e.sync); n != 0 {
			t.Errorf("at %s: %d calls, want none", now.Format(time.RFC3339), n)
		}
	}
	if e.onlyMeetingIssue().Body != before {
		t.Error("a started meeting's issue was rewritten")
	}
}

func TestSyncDryRunWritesNothing(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.agendaItem(repo, 3, "Review @nodejs/tsc <script>")
	out := newOut()
	if err := e.svc.Sync(ctx(), e.clock.Now(), true, out); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.gh.Requests() {
		if r.Method != "GET" && !strings.HasSuffix(r.Path, "/access_tokens") {
			t.Errorf("dry run wrote: %s %s", r.Method, r.Path)
		}
	}
	for _, want := range []string{"would create the meeting issue in nodejs/security-wg", "title: Node.js Security team Meeting 2026-03-19", "&lt;script&gt;"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if len(e.meetingIssues()) != 0 {
		t.Error("dry run created an issue")
	}
}

func TestSyncProposesMinutesOnceAfterTheDelay(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
	e.sync()
	issue := e.onlyMeetingIssue()

	end := meetingStart.Add(time.Hour)
	e.clock.Set(end.Add(2*time.Hour - time.Second))
	if n := e.calls(e.sync); n != 0 {
		t.Errorf("before the delay: %d calls, want none", n)
	}
	e.clock.Set(end.Add(2 * time.Hour))
	e.sync()
	pulls := e.state.Pulls()
	if len(pulls) != 1 {
		t.Fatalf("%d pull requests, want 1", len(pulls))
	}
	want := "Fixes: https://github.com/nodejs/security-wg/issues/" + fmt.Sprint(issue.Number)
	if pulls[0].Body != want || pulls[0].Head != "secwg/security-wg/minutes-2026-03-19" || pulls[0].Base != "main" {
		t.Errorf("pull request = %+v, want body %q from secwg/security-wg/minutes-2026-03-19 into main", pulls[0], want)
	}
	minutes := e.state.File(pulls[0].Head, "meetings/2026-03-19.md")
	for _, line := range []string{"# Node.js Security team Meeting 2026-03-19", "* **GitHub Issue**: https://github.com/nodejs/security-wg/issues/",
		"* **Minutes**: https://github.com/nodejs/security-wg/blob/HEAD/meetings/2026-03-19.md\n",
		"### nodejs/security-wg\n\n* Node.js PURL is missing namespace [#1552](https://github.com/nodejs/security-wg/issues/1552)", "## Q&A, Other"} {
		if !strings.Contains(minutes, line) {
			t.Errorf("minutes lack %q:\n%s", line, minutes)
		}
	}
	// Later passes, also from a new process, neither propose again nor reopen a
	// closed proposal.
	if n := e.calls(e.sync); n != 0 {
		t.Errorf("pass after proposing: %d calls, want none", n)
	}
	e.state.ClosePulls()
	e.svc = e.newService()
	if n := e.calls(e.sync); n != 3 {
		t.Errorf("new process: %d calls, want 3 (installation, list, pulls)", n)
	}
	if len(e.state.Pulls()) != 1 {
		t.Errorf("%d pull requests, want still 1", len(e.state.Pulls()))
	}
}

func TestPreviousIsTheLastEndedMeeting(t *testing.T) {
	g := testGroup()
	cal, err := g.LoadCalendar(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now, want string
		ok        bool
	}{
		{"2026-03-19T14:30:00Z", "2026-03-05", true},
		{"2026-03-19T15:00:00Z", "2026-03-19", true},
		{"2026-04-01T00:00:00Z", "2026-03-19", true},
		{"2025-01-01T00:00:00Z", "", false},
	}
	for _, tt := range tests {
		occ, ok, err := previous(cal, at(tt.now))
		if err != nil || ok != tt.ok || (ok && meeting.MeetingDate(occ.Start) != tt.want) {
			t.Errorf("previous(%s) = %v %v %v, want %s %v", tt.now, occ.Start, ok, err, tt.want, tt.ok)
		}
	}
}

// TestDryRunPrintsWhatThePassWrites runs each decision twice: printed, with no
// write, then written, so that the printer and the writer answer one pass.
func TestDryRunPrintsWhatThePassWrites(t *testing.T) {
	end := meetingStart.Add(time.Hour)
	tests := []struct {
		name    string
		prepare func(e *env)
		printed string
		written func(e *env) bool
	}{
		{"agenda rewritten", func(e *env) {
			e.sync()
			e.agendaItem(repo, 7, "a new item")
		}, "would rewrite the agenda of nodejs/security-wg#", func(e *env) bool {
			return strings.Contains(e.onlyMeetingIssue().Body, "a new item")
		}},
		{"minutes proposed", func(e *env) {
			e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
			e.sync()
			e.clock.Set(end.Add(2 * time.Hour))
		}, "would propose the minutes of nodejs/security-wg#", func(e *env) bool {
			return len(e.state.Pulls()) == 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, leadTimeAt)
			tt.prepare(e)
			writes := func() int {
				n := 0
				for _, r := range e.gh.Requests() {
					if r.Method != "GET" && !strings.HasSuffix(r.Path, "/access_tokens") {
						n++
					}
				}
				return n
			}
			before := writes()
			out := newOut()
			if err := e.svc.Sync(ctx(), e.clock.Now(), true, out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.printed) {
				t.Errorf("dry run printed %q, want %q", out, tt.printed)
			}
			if n := writes() - before; n != 0 || tt.written(e) {
				t.Fatalf("dry run wrote %d requests", n)
			}
			e.sync()
			if !tt.written(e) {
				t.Error("the pass that writes did not write what the dry run printed")
			}
		})
	}
}

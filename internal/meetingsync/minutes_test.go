package meetingsync

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// endedEnv has a meeting issue whose meeting has ended, and no minutes yet.
func endedEnv(t *testing.T) (*env, int) {
	e := newEnv(t, leadTimeAt)
	e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
	e.sync()
	e.clock.Set(meetingStart.Add(90 * time.Minute)) // ended, minutes not due yet
	return e, e.onlyMeetingIssue().Number
}

func TestProposeMinutesOpensOnePullRequestAndUpdatesIt(t *testing.T) {
	e, number := endedEnv(t)
	url, err := e.svc.ProposeMinutes(ctx(), "security-wg", "nodejs/Security-WG", number)
	if err != nil {
		t.Fatal(err)
	}
	pulls := e.state.Pulls()
	if len(pulls) != 1 || url != fmt.Sprintf("https://github.com/%s/pull/%d", repo, pulls[0].Number) {
		t.Fatalf("url %q, pulls %+v; want one pull request", url, pulls)
	}
	if want := fmt.Sprintf("Fixes: https://github.com/%s/issues/%d", repo, number); pulls[0].Body != want {
		t.Errorf("body %q, want %q", pulls[0].Body, want)
	}
	const path = "meetings/2026-03-19.md"
	first := e.state.File(pulls[0].Head, path)
	if !strings.HasPrefix(first, "# Node.js Security team Meeting 2026-03-19\n") {
		t.Errorf("minutes:\n%s", first)
	}

	// Asked again with nothing changed: no commit, no branch move, same pull request.
	writes := func(f func()) (n int) {
		before := len(e.gh.Requests())
		f()
		for _, r := range e.gh.Requests()[before:] {
			if r.Method != "GET" && !strings.HasSuffix(r.Path, "/access_tokens") && r.Pattern != "POST /repos/{owner}/{repo}/git/trees" {
				n++
			}
		}
		return n
	}
	var again string
	if n := writes(func() { again, err = e.svc.ProposeMinutes(ctx(), "security-wg", repo, number) }); err != nil || again != url || n != 0 {
		t.Errorf("second request: %q %v with %d writes; want the same pull request and no write", again, err, n)
	}

	// The default branch moved on: the branch is rebuilt on it, the pull request reused.
	e.state.AdvanceDefaultBranch("README.md", "news")
	if again, err = e.svc.ProposeMinutes(ctx(), "security-wg", repo, number); err != nil || again != url {
		t.Fatalf("third request: %q %v", again, err)
	}
	if len(e.state.Pulls()) != 1 {
		t.Errorf("%d pull requests, want 1", len(e.state.Pulls()))
	}
	if e.gh.Count("PATCH /repos/{owner}/{repo}/git/refs/{ref...}") != 1 || e.state.File(pulls[0].Head, "README.md") != "news" || e.state.File(pulls[0].Head, path) != first {
		t.Error("the branch was not force-updated onto the new default branch")
	}
}

func TestProposeMinutesRefusesOtherIssues(t *testing.T) {
	e, number := endedEnv(t)
	person := e.state.Add(meetingsynctest.Issue{Repo: repo, Title: "copy", Author: "mallory", Body: e.onlyMeetingIssue().Body})
	tests := []struct {
		name, group, repo string
		number            int
	}{
		{"a person's copy", "security-wg", repo, person},
		{"another repository", "security-wg", "nodejs/node", number},
	}
	for _, tt := range tests {
		if _, err := e.svc.ProposeMinutes(ctx(), tt.group, tt.repo, tt.number); !errors.Is(err, ErrNotMeetingIssue) {
			t.Errorf("%s: err = %v, want ErrNotMeetingIssue", tt.name, err)
		}
	}
	if _, err := e.svc.ProposeMinutes(ctx(), "tsc", repo, number); err == nil {
		t.Error("unknown group accepted")
	}
	if len(e.state.Pulls()) != 0 {
		t.Error("a pull request was opened")
	}
}

func TestMeetingIssueGroupChecksMarkerRepositoryAndAuthor(t *testing.T) {
	e, _ := endedEnv(t)
	body := e.onlyMeetingIssue().Body
	tests := []struct {
		name, repo, body, author string
		ok                       bool
	}{
		{"the App's issue", repo, body, meetingsynctest.AppLogin, true},
		{"a person pasted the marker", repo, body, "mallory", false},
		{"another repository", "nodejs/node", body, meetingsynctest.AppLogin, false},
		{"no marker", repo, "hello", meetingsynctest.AppLogin, false},
		{"unknown group", repo, "<!-- secwg:meeting group=tsc date=2026-03-19 -->", meetingsynctest.AppLogin, false},
	}
	for _, tt := range tests {
		id, ok := e.svc.MeetingIssueGroup(tt.repo, tt.body, tt.author)
		if ok != tt.ok || (ok && id != "security-wg") {
			t.Errorf("%s: %q %v, want %v", tt.name, id, ok, tt.ok)
		}
	}
}

func TestNextMeetingAnswersWithTimesIssueAndAgenda(t *testing.T) {
	e, number := endedEnv(t)
	e.clock.Set(at("2026-03-30T14:00:00Z")) // 2026-04-02 is due
	e.agendaItem("nodejs/node", 5, "Later item")
	e.sync()
	answer, err := e.svc.NextMeeting(ctx(), "security-wg")
	if err != nil {
		t.Fatal(err)
	}
	next := e.meetingIssues()
	if len(next) != 2 || next[1].Number == number {
		t.Fatalf("want the 2026-04-02 issue created, have %+v", next)
	}
	for _, want := range []string{"**Node.js Security team Meeting 2026-04-02**", "**UTC Thu 02-Apr-2026 14:00 (02:00 PM)**",
		"| EU / Central | Thu 02-Apr-2026 16:00 (04:00 PM) |", fmt.Sprintf("Meeting issue: https://github.com/%s/issues/%d", repo, next[1].Number),
		"Later item [#5]", "Node.js PURL is missing namespace [#1552]"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
}

// mergedMinutesEnv has a meeting whose minutes are due and already on the
// default branch, committed there without a pull request from the minutes branch.
func mergedMinutesEnv(t *testing.T) *env {
	t.Helper()
	const path = "meetings/2026-03-19.md"
	twin, number := endedEnv(t)
	if _, err := twin.svc.ProposeMinutes(ctx(), "security-wg", repo, number); err != nil {
		t.Fatal(err)
	}
	e, _ := endedEnv(t)
	e.state.AdvanceDefaultBranch(path, twin.onlyMinutes(path))
	e.clock.Set(meetingStart.Add(3 * time.Hour)) // minutes due
	return e
}

// Minutes already on the default branch settle the meeting: the pass succeeds,
// the next one makes no call, and a dry run says so instead of a proposal.
func TestMinutesAlreadyOnTheDefaultBranchAreDone(t *testing.T) {
	nonGET := func(e *env) int {
		n := 0
		for _, r := range e.gh.Requests() {
			if r.Method != "GET" && !strings.HasSuffix(r.Path, "/access_tokens") {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name    string
		dryRun  bool
		printed string
		writes  int // requests other than GET the pass makes
	}{
		{"dry run", true, "the minutes of nodejs/security-wg#1001 are already on the default branch as meetings/2026-03-19.md; nothing to propose", 0},
		{"write", false, "", 1}, // the tree that shows the minutes are there
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mergedMinutesEnv(t)
			before := nonGET(e)
			out := newOut()
			if err := e.svc.Sync(ctx(), e.clock.Now(), tt.dryRun, out); err != nil {
				t.Fatalf("pass: %v", err)
			}
			if n := nonGET(e) - before; n != tt.writes {
				t.Errorf("pass made %d writes, want %d", n, tt.writes)
			}
			if !strings.Contains(out.String(), tt.printed) || strings.Contains(out.String(), "would propose") {
				t.Errorf("printed %q, want %q", out, tt.printed)
			}
			if tt.dryRun {
				return
			}
			if n := e.calls(e.sync); n != 0 {
				t.Errorf("pass after the minutes were found merged: %d calls, want none", n)
			}
			if len(e.state.Pulls()) != 0 {
				t.Errorf("%d pull requests, want none", len(e.state.Pulls()))
			}
		})
	}
}

// Proposing the minutes lists the pull requests from their branch once, from a
// pass and on request alike.
func TestProposingMinutesListsPullRequestsOnce(t *testing.T) {
	tests := []struct {
		name    string
		propose func(e *env, number int) error
	}{
		{"pass", func(e *env, _ int) error {
			e.clock.Set(meetingStart.Add(3 * time.Hour))
			return e.svc.Sync(ctx(), e.clock.Now(), false, nil)
		}},
		{"request", func(e *env, number int) error {
			_, err := e.svc.ProposeMinutes(ctx(), "security-wg", repo, number)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, number := endedEnv(t)
			const list = "GET /repos/{owner}/{repo}/pulls"
			before := e.gh.Count(list)
			if err := tt.propose(e, number); err != nil {
				t.Fatal(err)
			}
			if n := e.gh.Count(list) - before; n != 1 {
				t.Errorf("%d listings of the minutes pull requests, want 1", n)
			}
			if len(e.state.Pulls()) != 1 {
				t.Errorf("%d pull requests, want 1", len(e.state.Pulls()))
			}
		})
	}
}

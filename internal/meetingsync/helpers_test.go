package meetingsync

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

const (
	repo  = "nodejs/security-wg"
	label = "security-wg-agenda"
)

// Meetings every other Thursday at 14:00 UTC: 2026-03-19 is one.
var (
	meetingStart = time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC)
	leadTimeAt   = meetingStart.Add(-meeting.DefaultLeadTime)
)

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time   { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)  { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func newClock(t time.Time) *clock { return &clock{t: t} }
func at(s string) time.Time       { t, _ := time.Parse(time.RFC3339, s); return t }
func ctx() context.Context        { return context.Background() }
func newOut() *bytes.Buffer       { return &bytes.Buffer{} }

func testGroup() meeting.Group {
	g := meeting.DefaultGroup()
	g.ID, g.Org, g.Repo = "security-wg", "nodejs", repo
	g.Schedule = &meeting.Schedule{RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", Start: "2025-01-09T14:00:00Z", Timezone: "UTC"}
	g.Timezones = []meeting.Zone{{Label: "US / Eastern", Zone: "America/New_York"}, {Label: "EU / Central", Zone: "Europe/Amsterdam"}}
	g.Minutes.Delay = 2 * time.Hour
	return g
}

// env is a Service against a fake GitHub holding a repository's issues.
type env struct {
	t      *testing.T
	gh     *githubtest.Server
	state  *meetingsynctest.GitHub
	clock  *clock
	svc    *Service
	cfg    *meeting.Config
	create githubapp.ClientCreator
}

func newEnv(t *testing.T, now time.Time, opts ...Option) *env {
	t.Helper()
	gh := githubtest.New(t)
	state := meetingsynctest.New(gh)
	c := newClock(now)
	state.SetClock(c.Now)
	g := testGroup()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg := &meeting.Config{Groups: []meeting.Group{g}}
	e := &env{t: t, gh: gh, state: state, clock: c, cfg: cfg, create: newCreator(t, gh)}
	e.svc = e.newService(opts...)
	return e
}

func newCreator(t *testing.T, gh *githubtest.Server) githubapp.ClientCreator {
	t.Helper()
	var ghc githubapp.Config
	ghc.V3APIURL = gh.URL()
	ghc.App.IntegrationID = githubtest.AppID
	ghc.App.PrivateKey = string(gh.PrivateKeyPEM())
	cc, err := githubclient.NewCreator(githubclient.Options{Config: ghc, CacheSize: 1 << 20,
		Retry: githubclient.RetryPolicy{MaxAttempts: 1, MaxElapsed: time.Second, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// newService is a second process against the same GitHub: nothing remembered.
func (e *env) newService(opts ...Option) *Service {
	e.t.Helper()
	base := []Option{WithClock(e.clock.Now), WithApp(appid.Fixed(0, githubtest.AppSlug))}
	s, err := New(e.cfg, e.create, append(base, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// calls counts the API calls made by f, token creation excluded.
func (e *env) calls(f func()) int {
	e.t.Helper()
	before := e.gh.CallsExcludingAuth()
	f()
	return e.gh.CallsExcludingAuth() - before
}

func (e *env) sync() {
	e.t.Helper()
	if err := e.svc.Sync(ctx(), e.clock.Now(), false, nil); err != nil {
		e.t.Fatal(err)
	}
}

// agendaItem puts a labelled open issue in the org.
func (e *env) agendaItem(repo string, n int, title string) {
	e.state.Add(meetingsynctest.Issue{Repo: repo, Number: n, Title: title, Author: "octocat", Labels: []string{label}})
}

// meetingIssues are the App's meeting issues in the repository.
func (e *env) meetingIssues() []meetingsynctest.Issue {
	var out []meetingsynctest.Issue
	for _, is := range e.state.IssuesBy(repo, meetingsynctest.AppLogin) {
		if _, _, ok := meeting.FindMarker(is.Body); ok {
			out = append(out, is)
		}
	}
	return out
}

func (e *env) onlyMeetingIssue() meetingsynctest.Issue {
	e.t.Helper()
	list := e.meetingIssues()
	if len(list) != 1 {
		e.t.Fatalf("%d meeting issues, want 1: %+v", len(list), list)
	}
	return list[0]
}

// onlyMinutes is the minutes file proposed by the only minutes pull request.
func (e *env) onlyMinutes(path string) string {
	e.t.Helper()
	pulls := e.state.Pulls()
	if len(pulls) != 1 {
		e.t.Fatalf("%d pull requests, want 1", len(pulls))
	}
	return e.state.File(pulls[0].Head, path)
}

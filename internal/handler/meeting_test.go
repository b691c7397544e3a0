package handler

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

const meetingSecret = "meeting-test-secret"

// meetingFixture is a synced meeting service behind go-githubapp's dispatcher.
type meetingFixture struct {
	gh       *githubtest.Server
	state    *meetingsynctest.GitHub
	dispatch http.Handler
	handler  *Meeting
}

func newMeetingFixture(t *testing.T, now time.Time) *meetingFixture {
	t.Helper()
	gh := githubtest.New(t)
	state := meetingsynctest.New(gh)
	state.SetClock(func() time.Time { return now })
	var ghc githubapp.Config
	ghc.V3APIURL = gh.URL()
	ghc.App.IntegrationID = githubtest.AppID
	ghc.App.PrivateKey = string(gh.PrivateKeyPEM())
	ghc.App.WebhookSecret = meetingSecret
	clients, err := githubclient.NewCreator(githubclient.Options{Config: ghc, CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	g := meeting.DefaultGroup()
	g.ID, g.Org, g.Repo = "security-wg", "nodejs", "nodejs/security-wg"
	g.Schedule = &meeting.Schedule{RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", Start: "2025-01-09T14:00:00Z", Timezone: "UTC"}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	app := appid.Fixed(0, githubtest.AppSlug)
	svc, err := meetingsync.New(&meeting.Config{Groups: []meeting.Group{g}}, clients,
		meetingsync.WithClock(func() time.Time { return now }), meetingsync.WithApp(app))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(context.Background(), now, false, nil); err != nil {
		t.Fatal(err)
	}
	h := &Meeting{Base: Base{Clients: clients, App: app}, Agenda: svc}
	return &meetingFixture{gh: gh, state: state, handler: h,
		dispatch: githubapp.NewEventDispatcher(combine([]githubapp.EventHandler{h}), meetingSecret)}
}

// deliver posts a fixture as GitHub would and returns the API calls it cost.
func (f *meetingFixture) deliver(t *testing.T, event, fixture string) int {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "meeting", fixture))
	if err != nil {
		t.Fatal(err)
	}
	before := f.gh.CallsExcludingAuth()
	req := httptest.NewRequest(http.MethodPost, "/api/github/hook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", fixture)
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte(meetingSecret), body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.dispatch.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %s", fixture, rec.Code, rec.Body)
	}
	return f.gh.CallsExcludingAuth() - before
}

func (f *meetingFixture) body(t *testing.T) string {
	t.Helper()
	issues := f.state.IssuesBy("nodejs/security-wg", meetingsynctest.AppLogin)
	if len(issues) != 1 {
		t.Fatalf("%d meeting issues, want 1", len(issues))
	}
	return issues[0].Body
}

func TestMeetingHandlerKeepsTheAgendaLive(t *testing.T) {
	f := newMeetingFixture(t, time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC))
	steps := []struct {
		event, fixture string
		calls          int
		has, lacks     []string
	}{
		{"issues", "issues-labeled.json", 2, []string{"### nodejs/node", "Permission model: @&#8203;nodejs/tsc &lt;b&gt;review&lt;/b&gt; [#61000](https://github.com/nodejs/node/issues/61000)"}, nil},
		{"issues", "issues-labeled.json", 1, []string{"[#61000]"}, nil},
		{"issues", "issues-labeled-other.json", 0, nil, []string{"[#61001]"}},
		{"issues", "issues-edited-body.json", 0, []string{"review"}, nil},
		{"issues", "issues-assigned.json", 0, nil, []string{"[#1600]"}},
		{"issues", "issues-edited-title.json", 2, []string{"Permission model, renamed [#61000]"}, []string{"review"}},
		{"issues", "issues-transferred.json", 2, []string{"### nodejs/security-wg", "Permission model, renamed [#1600](https://github.com/nodejs/security-wg/issues/1600)"}, []string{"[#61000]", "### nodejs/node"}},
		{"pull_request", "pull_request-labeled.json", 2, []string{"src: harden \\| the \\](parser) [#62000](https://github.com/nodejs/node/pull/62000)"}, nil},
		{"pull_request", "pull_request-closed.json", 2, nil, []string{"[#62000]"}},
		{"issues", "issues-unlabeled.json", 1, nil, []string{"[#61000]"}},
	}
	for _, st := range steps {
		if n := f.deliver(t, st.event, st.fixture); n != st.calls {
			t.Errorf("%s: %d API calls, want %d", st.fixture, n, st.calls)
		}
		body := f.body(t)
		for _, want := range st.has {
			if !strings.Contains(body, want) {
				t.Errorf("%s: agenda lacks %q:\n%s", st.fixture, want, body)
			}
		}
		for _, bad := range st.lacks {
			if strings.Contains(body, bad) {
				t.Errorf("%s: agenda still has %q", st.fixture, bad)
			}
		}
	}
}

func TestMeetingHandlerQueuesOnlyAgendaActions(t *testing.T) {
	h := &Meeting{}
	tests := []struct {
		event, action string
		want          bool
	}{
		{"issues", "labeled", true}, {"issues", "unlabeled", true}, {"issues", "closed", true},
		{"issues", "reopened", true}, {"issues", "edited", true}, {"issues", "transferred", true},
		{"issues", "opened", false}, {"issues", "assigned", false}, {"issues", "deleted", false},
		{"pull_request", "labeled", true}, {"pull_request", "closed", true}, {"pull_request", "edited", true},
		{"pull_request", "synchronize", false}, {"pull_request", "transferred", false},
		{"issue_comment", "created", false},
	}
	for _, tt := range tests {
		if got := h.HandlesAction(tt.event, tt.action); got != tt.want {
			t.Errorf("HandlesAction(%s, %s) = %v, want %v", tt.event, tt.action, got, tt.want)
		}
	}
}

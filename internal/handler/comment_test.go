package handler_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/metrics"
)

// Routes the comment handler may call, as the fake GitHub registers them.
const (
	routeMembership = "GET /orgs/{org}/teams/{team_slug}/memberships/{username}"
	routePermission = "GET /repos/{owner}/{repo}/collaborators/{username}/permission"
	routeAddLabels  = "POST /repos/{owner}/{repo}/issues/{issue_number}/labels"
	routeDelLabel   = "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"
	routeReaction   = "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
	routeListReply  = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
	routePostReply  = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
	routeDelReply   = "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"
)

const appLogin = githubtest.AppSlug + "[bot]"

// cmdGitHub is the fake GitHub's state as the comment handler sees it:
// who is in which team, who has which role, and what was written.
type cmdGitHub struct {
	t  *testing.T
	gh *githubtest.Server

	mu        sync.Mutex
	members   map[string]string // login → membership state
	roles     map[string]string // login → role_name
	comments  []cmdReply
	nextID    int64
	labels    []string // "+name" added, "-name" removed, in order
	reactions []string
	// issueLabels are the labels on the issue as GitHub answers label writes.
	issueLabels []string
	// beforePost runs as a reply is posted, to act as another replica would.
	beforePost func()
}

type cmdReply struct {
	ID    int64
	Login string
	Type  string
	Body  string
}

func newCmdGitHub(t *testing.T) *cmdGitHub {
	f := &cmdGitHub{t: t, gh: githubtest.New(t), members: map[string]string{}, roles: map[string]string{}, nextID: githubtest.BigID + 9_000_000}
	f.gh.Handle(routeMembership, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("org") != "nodejs" || r.PathValue("team_slug") != "security-wg" {
			t.Errorf("membership asked of team %s/%s", r.PathValue("org"), r.PathValue("team_slug"))
		}
		f.mu.Lock()
		state, ok := f.members[strings.ToLower(r.PathValue("username"))]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]any{"message": "Not Found"})
			return
		}
		writeJSON(w, 200, githubtest.TeamMembership(r.PathValue("org"), r.PathValue("team_slug"), r.PathValue("username"), state, "member"))
	})
	f.gh.Handle(routePermission, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		role, ok := f.roles[strings.ToLower(r.PathValue("username"))]
		f.mu.Unlock()
		if !ok {
			role = "read"
		}
		perm := map[string]string{"triage": "read", "maintain": "write"}[role]
		if perm == "" {
			perm = role
		}
		writeJSON(w, 200, githubtest.CollaboratorPermission(r.PathValue("username"), perm, role))
	})
	f.gh.Handle(routeAddLabels, func(w http.ResponseWriter, r *http.Request) {
		// GitHub takes a bare list or {"labels": [...]}; go-github sends the list.
		var raw json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&raw)
		var labels []string
		if json.Unmarshal(raw, &labels) != nil {
			var body struct{ Labels []string }
			_ = json.Unmarshal(raw, &body)
			labels = body.Labels
		}
		f.mu.Lock()
		for _, l := range labels {
			f.labels = append(f.labels, "+"+l)
			if !slices.Contains(f.issueLabels, l) {
				f.issueLabels = append(f.issueLabels, l)
			}
		}
		now := githubtest.Labels(f.issueLabels...)
		f.mu.Unlock()
		writeJSON(w, 200, now)
	})
	f.gh.Handle(routeDelLabel, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.labels = append(f.labels, "-"+r.PathValue("name"))
		f.issueLabels = slices.DeleteFunc(f.issueLabels, func(l string) bool { return l == r.PathValue("name") })
		now := githubtest.Labels(f.issueLabels...)
		f.mu.Unlock()
		writeJSON(w, 200, now)
	})
	f.gh.Handle(routeReaction, func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Content string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		key := r.PathValue("comment_id") + ":" + body.Content
		f.mu.Lock()
		// GitHub answers 200 with the existing reaction when the App already reacted.
		status := http.StatusCreated
		if slices.Contains(f.reactions, key) {
			status = http.StatusOK
		}
		f.reactions = append(f.reactions, key)
		id := githubtest.BigID + int64(len(f.reactions))
		f.mu.Unlock()
		writeJSON(w, status, githubtest.Reaction(id, body.Content, appLogin))
	})
	f.gh.Handle(routeListReply, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("since") == "" {
			t.Errorf("replies listed without since: %s", r.URL.RawQuery)
		}
		f.mu.Lock()
		out := make([]any, 0, len(f.comments))
		n, _ := strconv.Atoi(r.PathValue("issue_number"))
		for _, c := range f.comments {
			comment := githubtest.IssueComment(r.PathValue("owner")+"/"+r.PathValue("repo"), n, c.ID, c.Login, c.Body)
			comment["user"].(map[string]any)["type"] = c.Type
			out = append(out, comment)
		}
		f.mu.Unlock()
		// As GitHub does: an entity tag and a max-age, so the client's cache
		// must revalidate rather than serve a list from before the reply.
		body, _ := json.Marshal(out)
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	f.gh.Handle(routePostReply, func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if f.beforePost != nil {
			f.beforePost()
		}
		id := f.add(appLogin, "Bot", body.Body)
		n, _ := strconv.Atoi(r.PathValue("issue_number"))
		writeJSON(w, 201, githubtest.IssueComment(r.PathValue("owner")+"/"+r.PathValue("repo"), n, id, appLogin, body.Body))
	})
	f.gh.Handle(routeDelReply, func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
		f.mu.Lock()
		f.comments = slices.DeleteFunc(f.comments, func(c cmdReply) bool { return c.ID == id })
		f.mu.Unlock()
		w.WriteHeader(204)
	})
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// add records a comment on the issue and returns its id.
func (f *cmdGitHub) add(login, typ, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.comments = append(f.comments, cmdReply{ID: f.nextID, Login: login, Type: typ, Body: body})
	return f.nextID
}

func (f *cmdGitHub) replies() []cmdReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cmdReply(nil), f.comments...)
}

func (f *cmdGitHub) labelChanges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.labels...)
}

func (f *cmdGitHub) reacted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reactions...)
}

// clients is a production client creator pointed at the fake.
func (f *cmdGitHub) clients() githubapp.ClientCreator {
	var cfg githubapp.Config
	cfg.V3APIURL = f.gh.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(f.gh.PrivateKeyPEM())
	cc, err := githubclient.NewCreator(githubclient.Options{Config: cfg, CacheSize: 1 << 20,
		Retry: githubclient.RetryPolicy{MaxAttempts: 2, MaxElapsed: 5 * time.Second, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		f.t.Fatal(err)
	}
	return cc
}

// cmdMeetings is the meeting service as the comment handler uses it. Meeting
// issues are those whose body starts with "<!-- test-meeting <group> -->",
// written by the App.
type cmdMeetings struct {
	groups []meeting.Group
	err    error

	mu      sync.Mutex
	next    []string
	minutes []string
}

func (m *cmdMeetings) Groups() []meeting.Group { return m.groups }

func (m *cmdMeetings) NextMeeting(_ context.Context, groupID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next = append(m.next, groupID)
	if m.err != nil {
		return "", m.err
	}
	return "The next meeting of " + groupID + " is on Thursday 2026-03-19 at 15:00 UTC.\n\n/agenda is how to add an issue.\n", nil
}

func (m *cmdMeetings) MeetingIssueGroup(repo, body, author string) (string, bool) {
	id, ok := strings.CutPrefix(body, "<!-- test-meeting ")
	if !ok || author != appLogin || repo != "nodejs/security-wg" {
		return "", false
	}
	id, _, _ = strings.Cut(id, " -->")
	return id, true
}

func (m *cmdMeetings) ProposeMinutes(_ context.Context, groupID, repo string, issue int) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.minutes = append(m.minutes, fmt.Sprintf("%s %s#%d", groupID, repo, issue))
	if m.err != nil {
		return "", m.err
	}
	return "https://github.com/nodejs/security-wg/pull/1501", nil
}

type cmdChecks struct {
	mu   sync.Mutex
	runs []string
}

func (c *cmdChecks) Recheck(_ context.Context, inst int64, repo string, number int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs = append(c.runs, fmt.Sprintf("%d %s#%d", inst, repo, number))
	return nil
}

// cmdGroups is the configuration the tests run with: one group in nodejs,
// one in another organization.
func cmdGroups() []meeting.Group {
	wg := meeting.DefaultGroup()
	wg.ID, wg.Org, wg.Repo, wg.Team = "security-wg", "nodejs", "security-wg", "nodejs/security-wg"
	other := meeting.DefaultGroup()
	other.ID, other.Org, other.Repo, other.AgendaLabel, other.Team = "tooling", "openjs", "tooling", "tooling-agenda", ""
	return []meeting.Group{wg, other}
}

// twoNodeGroups has two groups in the nodejs organization, so commands
// there must name theirs.
func twoNodeGroups() []meeting.Group {
	gs := cmdGroups()
	tsc := gs[0]
	tsc.ID, tsc.Repo, tsc.AgendaLabel, tsc.Team = "tsc", "TSC", "tsc-agenda", "nodejs/tsc"
	return append(gs[:1], tsc)
}

// cmdEnv is one comment handler against the fake GitHub.
type cmdEnv struct {
	*cmdGitHub
	h        *handler.Comment
	meetings *cmdMeetings
	checks   *cmdChecks
	logs     *bytes.Buffer
}

type cmdOptions struct {
	groups     []meeting.Group
	noMeetings bool
	noChecks   bool
}

func newCmdEnv(t *testing.T, o cmdOptions) *cmdEnv {
	f := newCmdGitHub(t)
	return f.env(o)
}

// env builds a handler on f: a second one on the same fake is a second replica.
func (f *cmdGitHub) env(o cmdOptions) *cmdEnv {
	if o.groups == nil {
		o.groups = cmdGroups()
	}
	e := &cmdEnv{cmdGitHub: f, meetings: &cmdMeetings{groups: o.groups}, checks: &cmdChecks{}, logs: &bytes.Buffer{}}
	var meetings handler.Meetings = e.meetings
	if o.noMeetings {
		meetings = nil
	}
	var checks handler.Checks = e.checks
	if o.noChecks {
		checks = nil
	}
	base := handler.Base{Clients: f.clients(), Metrics: metrics.New(), App: appid.Fixed(0, githubtest.AppSlug)}
	e.h = handler.NewComment(base, o.groups, meetings, checks)
	return e
}

// handle runs the handler on a payload, as the queue would.
func (e *cmdEnv) handle(payload []byte) error {
	e.t.Helper()
	logger := zerolog.New(e.logs)
	ctx := logger.WithContext(context.Background())
	return e.h.Handle(ctx, "issue_comment", "delivery-1", payload)
}

// cmdEvent describes a payload: a fixture with some fields changed.
type cmdEvent struct {
	fixture     string // file under testdata/comment
	action      string
	body        string
	login       string
	userType    string
	commentID   int64
	labels      []string
	association string
}

func (ev cmdEvent) payload(t *testing.T) []byte {
	t.Helper()
	fixture := ev.fixture
	if fixture == "" {
		fixture = "issue.json"
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "comment", fixture))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	comment := m["comment"].(map[string]any)
	user := comment["user"].(map[string]any)
	if ev.action != "" {
		m["action"] = ev.action
	}
	if ev.body != "" {
		comment["body"] = ev.body
	}
	if ev.login != "" {
		user["login"] = ev.login
		m["sender"].(map[string]any)["login"] = ev.login
	}
	if ev.userType != "" {
		user["type"] = ev.userType
	}
	if ev.commentID != 0 {
		comment["id"] = ev.commentID
	}
	if ev.association != "" {
		comment["author_association"] = ev.association
	}
	if ev.labels != nil {
		var ls []any
		for _, l := range ev.labels {
			ls = append(ls, map[string]any{"name": l})
		}
		m["issue"].(map[string]any)["labels"] = ls
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// calls lists the API calls other than token creation and a server's
// identity check, by route.
func (f *cmdGitHub) calls() []string {
	var out []string
	for _, r := range f.gh.Requests() {
		if strings.HasSuffix(r.Path, "/access_tokens") || r.Path == "/app" {
			continue
		}
		out = append(out, r.Pattern)
	}
	return out
}

// auditLines are the handler's "command" log lines.
func (e *cmdEnv) auditLines() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "command" {
			out = append(out, m)
		}
	}
	return out
}

func TestCommentRunsAllowedCommands(t *testing.T) {
	tests := []struct {
		name     string
		event    cmdEvent
		members  []string
		roles    map[string]string
		calls    []string // API calls in order
		labels   []string
		reaction string
		reply    []string // the reply holds each, in order; nil: no reply
		checks   []string
		next     []string
		minutes  []string
	}{
		{
			name: "agenda by a team member", members: []string{"alice"},
			event: cmdEvent{body: "/agenda"},
			calls: []string{routeMembership, routeAddLabels, routeReaction}, labels: []string{"+security-wg-agenda"}, reaction: "+1",
		},
		{
			name: "agenda naming the group, in any case", members: []string{"alice"},
			event: cmdEvent{body: "/AGENDA security-wg"},
			calls: []string{routeMembership, routeAddLabels, routeReaction}, labels: []string{"+security-wg-agenda"}, reaction: "+1",
		},
		{
			name: "agenda by a triager outside the team", roles: map[string]string{"alice": "triage"},
			event: cmdEvent{body: "/agenda"},
			calls: []string{routeMembership, routePermission, routeAddLabels, routeReaction}, labels: []string{"+security-wg-agenda"}, reaction: "+1",
		},
		{
			name: "agenda on an issue that already has the label", members: []string{"alice"},
			event: cmdEvent{body: "/agenda", labels: []string{"security-wg-agenda"}},
			calls: []string{routeMembership, routeReaction}, reaction: "+1",
		},
		{
			name: "agenda on a pull request", members: []string{"dave"},
			event: cmdEvent{fixture: "pull_request.json", body: "/agenda"},
			calls: []string{routeMembership, routeAddLabels, routeReaction}, labels: []string{"+security-wg-agenda"}, reaction: "+1",
		},
		{
			name: "agenda remove", members: []string{"alice"},
			event: cmdEvent{body: "/agenda remove", labels: []string{"security", "security-wg-agenda"}},
			calls: []string{routeMembership, routeDelLabel, routeReaction}, labels: []string{"-security-wg-agenda"}, reaction: "+1",
		},
		{
			name: "remove-agenda alias on an issue without the label", members: []string{"alice"},
			event: cmdEvent{body: "/remove-agenda security-wg"},
			calls: []string{routeMembership, routeReaction}, reaction: "+1",
		},
		{
			name:  "recheck by the pull request's author",
			event: cmdEvent{fixture: "pull_request.json", body: "/recheck"},
			calls: []string{routeReaction}, reaction: "+1", checks: []string{"31337 nodejs/node#5151"},
		},
		{
			name: "recheck by a writer", roles: map[string]string{"erin": "write"},
			event: cmdEvent{fixture: "pull_request.json", body: "/recheck", login: "erin"},
			calls: []string{routePermission, routeReaction}, reaction: "+1", checks: []string{"31337 nodejs/node#5151"},
		},
		{
			name:  "meeting by anyone",
			event: cmdEvent{body: "/meeting", login: "mallory"},
			calls: []string{routeReaction, routeListReply, routePostReply, routeListReply}, reaction: "+1",
			reply: []string{"> \\/meeting\n", "The next meeting of security-wg is on Thursday 2026-03-19 at 15:00 UTC.", "\\/agenda is how to add an issue."},
			next:  []string{"security-wg"},
		},
		{
			name: "minutes on a meeting issue by a team member", members: []string{"alice"},
			event: cmdEvent{fixture: "meeting_issue.json"},
			calls: []string{routeMembership, routeReaction, routeListReply, routePostReply, routeListReply}, reaction: "+1",
			reply:   []string{"> \\/minutes\n", "The minutes pull request is ready for review: https://github.com/nodejs/security-wg/pull/1501"},
			minutes: []string{"security-wg nodejs/security-wg#1500"},
		},
		{
			name:  "help by anyone",
			event: cmdEvent{body: "/help", login: "mallory"},
			calls: []string{routeReaction, routeListReply, routePostReply, routeListReply}, reaction: "+1",
			reply: []string{"> \\/help\n", "Adds the group's agenda label"},
		},
		{
			name: "several commands run in order with one reply", members: []string{"alice"},
			event:  cmdEvent{body: "/agenda\n/meeting\n/help"},
			calls:  []string{routeMembership, routeAddLabels, routeReaction, routeListReply, routePostReply, routeListReply},
			labels: []string{"+security-wg-agenda"}, reaction: "+1",
			reply: []string{"> \\/meeting\n", "The next meeting of security-wg", "> \\/help\n"},
			next:  []string{"security-wg"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t, cmdOptions{})
			for _, m := range tt.members {
				e.members[m] = "active"
			}
			for u, r := range tt.roles {
				e.roles[u] = r
			}
			if err := e.handle(tt.event.payload(t)); err != nil {
				t.Fatal(err)
			}
			if got := e.calls(); !slices.Equal(got, tt.calls) {
				t.Errorf("API calls\n got %q\nwant %q", got, tt.calls)
			}
			if got := e.labelChanges(); !slices.Equal(got, tt.labels) {
				t.Errorf("labels %q, want %q", got, tt.labels)
			}
			if got := e.reacted(); len(got) != 1 || !strings.HasSuffix(got[0], ":"+tt.reaction) {
				t.Errorf("reactions %q, want one %s", got, tt.reaction)
			}
			replies := e.replies()
			switch {
			case tt.reply == nil && len(replies) != 0:
				t.Errorf("unexpected reply:\n%s", replies[0].Body)
			case tt.reply != nil && len(replies) != 1:
				t.Errorf("%d replies, want 1", len(replies))
			case tt.reply != nil:
				assertInOrder(t, replies[0].Body, tt.reply)
				assertNoCommands(t, replies[0].Body)
				if strings.Contains(replies[0].Body, "/help` for the commands") {
					t.Errorf("a successful reply points to /help:\n%s", replies[0].Body)
				}
			}
			if !slices.Equal(e.checks.runs, tt.checks) || !slices.Equal(e.meetings.next, tt.next) || !slices.Equal(e.meetings.minutes, tt.minutes) {
				t.Errorf("services: rechecks %q, next meeting %q, minutes %q", e.checks.runs, e.meetings.next, e.meetings.minutes)
			}
		})
	}
}

func assertInOrder(t *testing.T, body string, parts []string) {
	t.Helper()
	rest := body
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("reply lacks %q (in order):\n%s", p, body)
			return
		}
		rest = rest[i+len(p):]
	}
}

// assertNoCommands pins that a reply can never run a command itself.
func assertNoCommands(t *testing.T, body string) {
	t.Helper()
	if cmds := command.Parse(body); len(cmds) != 0 {
		t.Errorf("reply reads as %d commands, first %q:\n%s", len(cmds), cmds[0].Raw, body)
	}
}

func TestCommentRefusesAndExplains(t *testing.T) {
	withOverrides := func(o command.Overrides) []meeting.Group {
		gs := cmdGroups()
		gs[0].Commands = o
		return gs
	}
	refusedCalls := []string{routeMembership, routePermission, routeReaction, routeListReply, routePostReply, routeListReply}
	replyCalls := []string{routeReaction, routeListReply, routePostReply, routeListReply}
	tests := []struct {
		name    string
		opts    cmdOptions
		event   cmdEvent
		pending []string // team members whose invitation is pending
		failAPI bool     // permission checks answer 500
		calls   []string
		reply   string
	}{
		{
			name:  "agenda by a reader, whatever the payload's author_association says",
			event: cmdEvent{body: "/agenda", login: "mallory", association: "MEMBER"},
			calls: refusedCalls,
			reply: "> \\/agenda\n\nOnly members of team nodejs\\/security\\-wg or people with triage access or higher on nodejs\\/node may run \\/agenda\\.\n",
		},
		{
			name:    "agenda remove by someone whose team invitation is pending",
			event:   cmdEvent{body: "/agenda remove", login: "mallory", labels: []string{"security-wg-agenda"}},
			pending: []string{"mallory"},
			calls:   refusedCalls,
			reply:   "> \\/agenda remove\n\nOnly members of team nodejs\\/security\\-wg or people with triage access or higher on nodejs\\/node may run \\/agenda remove\\.\n",
		},
		{
			name:  "remove-agenda by a reader",
			event: cmdEvent{body: "/remove-agenda", login: "mallory", labels: []string{"security-wg-agenda"}},
			calls: refusedCalls,
			reply: "> \\/remove\\-agenda\n\nOnly members of team nodejs\\/security\\-wg or people with triage access or higher on nodejs\\/node may run \\/agenda remove\\.\n",
		},
		{
			name:  "recheck by a reader who did not open the pull request",
			event: cmdEvent{fixture: "pull_request.json", body: "/recheck", login: "mallory"},
			calls: []string{routePermission, routeReaction, routeListReply, routePostReply, routeListReply},
			reply: "> \\/recheck\n\nOnly the author or people with write access or higher on nodejs\\/node may run \\/recheck\\.\n",
		},
		{
			name:  "minutes by someone outside the team",
			event: cmdEvent{fixture: "meeting_issue.json", login: "mallory"},
			calls: []string{routeMembership, routeReaction, routeListReply, routePostReply, routeListReply},
			reply: "> \\/minutes\n\nOnly members of team nodejs\\/security\\-wg may run \\/minutes\\.\n",
		},
		{
			name:  "meeting when the group allows its team only",
			opts:  cmdOptions{groups: withOverrides(command.Overrides{"meeting": command.Team})},
			event: cmdEvent{body: "/meeting", login: "mallory"},
			calls: []string{routeMembership, routeReaction, routeListReply, routePostReply, routeListReply},
			reply: "> \\/meeting\n\nOnly members of team nodejs\\/security\\-wg may run \\/meeting\\.\n",
		},
		{
			name:  "help when the group allows triagers only",
			opts:  cmdOptions{groups: withOverrides(command.Overrides{"help": command.Triage})},
			event: cmdEvent{body: "/help", login: "mallory"},
			calls: []string{routePermission, routeReaction, routeListReply, routePostReply, routeListReply},
			reply: "> \\/help\n\nOnly people with triage access or higher on nodejs\\/node may run \\/help\\.\n",
		},
		{
			name:  "minutes on an ordinary issue",
			event: cmdEvent{body: "/minutes"},
			calls: replyCalls,
			reply: "> \\/minutes\n\n\\/minutes works only on a meeting issue\\.\n",
		},
		{
			name:  "recheck on an issue",
			event: cmdEvent{body: "/recheck"},
			calls: replyCalls,
			reply: "> \\/recheck\n\n\\/recheck works only on a pull request\\.\n",
		},
		{
			name:  "agenda naming a group that does not exist",
			event: cmdEvent{body: "/agenda tsc"},
			calls: replyCalls,
			reply: "> \\/agenda tsc\n\nThere is no group tsc\\; the groups are security\\-wg\\, tooling\\.\n",
		},
		{
			name:  "agenda naming another organization's group",
			event: cmdEvent{body: "/agenda tooling"},
			calls: replyCalls,
			reply: "> \\/agenda tooling\n\nThe agenda of group tooling lists issues of the openjs organization only\\.\n",
		},
		{
			name:  "help with an argument it does not take",
			event: cmdEvent{body: "/help me"},
			calls: replyCalls,
			reply: "> \\/help me\n\nThis command could not be read\\: \\/help takes no arguments\\, but got \\\"me\\\"\\.\n",
		},
		{
			name:  "agenda without a group where two groups share the organization",
			opts:  cmdOptions{groups: twoNodeGroups()},
			event: cmdEvent{body: "/agenda"},
			calls: replyCalls,
			reply: "> \\/agenda\n\nSeveral groups meet for the nodejs organization\\; name one of security\\-wg\\, tsc\\.\n",
		},
		{
			name:  "meeting when meetings are off",
			opts:  cmdOptions{noMeetings: true},
			event: cmdEvent{body: "/meeting"},
			calls: replyCalls,
			reply: "> \\/meeting\n\nMeetings are not enabled on this server\\.\n",
		},
		{
			name:  "recheck when the check is off",
			opts:  cmdOptions{noChecks: true},
			event: cmdEvent{fixture: "pull_request.json", body: "/recheck"},
			calls: replyCalls,
			reply: "> \\/recheck\n\nThe threat\\-model check is not enabled on this server\\.\n",
		},
		{
			name:    "agenda when GitHub cannot say who the user is",
			event:   cmdEvent{body: "/agenda"},
			failAPI: true,
			calls:   []string{routeMembership, routeMembership, routePermission, routePermission, routeReaction, routeListReply, routePostReply, routeListReply},
			reply:   "> \\/agenda\n\nYour permission could not be checked\\, so nothing was done\\; please try again in a few minutes\\.\n\n<details><summary>Details</summary>\n\n```text\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t, tt.opts)
			for _, m := range tt.pending {
				e.members[m] = "pending"
			}
			if tt.failAPI {
				e.gh.Handle(routeMembership, githubtest.Response{Status: 500}.ServeHTTP)
				e.gh.Handle(routePermission, githubtest.Response{Status: 500}.ServeHTTP)
			}
			ev := tt.event
			if err := e.handle(ev.payload(t)); err != nil {
				t.Fatal(err)
			}
			if got := e.calls(); !slices.Equal(got, tt.calls) {
				t.Errorf("API calls\n got %q\nwant %q", got, tt.calls)
			}
			if got := e.labelChanges(); len(got) != 0 {
				t.Errorf("labels changed: %q", got)
			}
			if len(e.checks.runs)+len(e.meetings.next)+len(e.meetings.minutes) != 0 {
				t.Errorf("a refused command ran: %q %q %q", e.checks.runs, e.meetings.next, e.meetings.minutes)
			}
			if got := e.reacted(); len(got) != 1 || !strings.HasSuffix(got[0], ":confused") {
				t.Errorf("reactions %q, want one confused", got)
			}
			replies := e.replies()
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			var commentID int64 = 5550001
			switch ev.fixture {
			case "pull_request.json":
				commentID = 5550002
			case "meeting_issue.json":
				commentID = 5550003
			}
			want := command.ReplyMarker(commentID) + "\n\n" + tt.reply
			if !strings.HasPrefix(replies[0].Body, want) {
				t.Errorf("reply\n%s\nwant it to start\n%s", replies[0].Body, want)
			}
			if footer := "\n<sub>Comment `/help` for the commands and who may use them.</sub>\n"; !strings.HasSuffix(replies[0].Body, footer) {
				t.Errorf("reply does not end with the /help footer:\n%s", replies[0].Body)
			}
			assertNoCommands(t, replies[0].Body)
		})
	}
}

func TestCommentIgnoresWhatAsksNothing(t *testing.T) {
	tests := []struct {
		name  string
		event cmdEvent
	}{
		{"bot author", cmdEvent{body: "/agenda", login: "dependabot[bot]", userType: "Bot"}},
		{"the App's own comment", cmdEvent{body: "/agenda", login: appLogin, userType: "Bot"}},
		{"the App's login even when typed as a user", cmdEvent{body: "/help", login: "SECWG-TEST[bot]", userType: "User"}},
		{"edited comment", cmdEvent{action: "edited", body: "/agenda"}},
		{"deleted comment", cmdEvent{action: "deleted", body: "/agenda"}},
		{"no command", cmdEvent{body: "Looks good to me. See /usr/lib and /agendas."}},
		{"unknown command", cmdEvent{body: "/lgtm\n/assign @alice"}},
		{"commands in code, quotes and comments", cmdEvent{body: "```\n/agenda\n```\n\n    /agenda\n\n`/agenda`\n\n> /agenda\n\n<!--\n/agenda\n-->"}},
		{"look-alike slash", cmdEvent{body: "\uff0fagenda\n\u200b/agenda"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t, cmdOptions{})
			e.members["alice"] = "active"
			payload := tt.event.payload(t)
			if err := e.handle(payload); err != nil {
				t.Fatal(err)
			}
			if got := e.gh.Requests(); len(got) != 0 {
				t.Errorf("%d requests, the first %s %s; want none, not even a token", len(got), got[0].Method, got[0].Path)
			}
			if lines := e.auditLines(); len(lines) != 0 {
				t.Errorf("audit lines %v", lines)
			}
		})
	}
	h := handler.NewComment(handler.Base{}, nil, nil, nil)
	for action, want := range map[string]bool{"created": true, "edited": false, "deleted": false} {
		if got := h.HandlesAction("issue_comment", action); got != want {
			t.Errorf("HandlesAction(issue_comment, %s) = %v, want %v", action, got, want)
		}
	}
}

func TestCommentAgendaBudget(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	e.members["alice"] = "active"
	steps := []struct {
		name  string
		event cmdEvent
		calls int
	}{
		{"cold permission cache", cmdEvent{body: "/agenda", commentID: 1}, 3},
		{"warm permission cache", cmdEvent{body: "/agenda", commentID: 2}, 2},
		{"same user, other case", cmdEvent{body: "/agenda", login: "Alice", commentID: 3}, 2},
		{"no command", cmdEvent{body: "Thanks!", commentID: 4}, 0},
	}
	before := 0
	for _, s := range steps {
		if err := e.handle(s.event.payload(t)); err != nil {
			t.Fatal(err)
		}
		now := e.gh.CallsExcludingAuth()
		if got := now - before; got != s.calls {
			t.Errorf("%s: %d REST calls, budget %d (%q)", s.name, got, s.calls, e.calls()[before:])
		}
		before = now
	}
	if n := e.gh.Count(routeMembership); n != 1 {
		t.Errorf("%d membership checks for one user, want 1", n)
	}
}

func TestCommentAnswersRepeatedDeliveryOnce(t *testing.T) {
	tests := []struct {
		name   string
		event  cmdEvent
		member bool
	}{
		{"content reply", cmdEvent{body: "/meeting"}, false},
		{"refusal", cmdEvent{body: "/agenda", login: "mallory"}, false},
		{"success without reply", cmdEvent{body: "/agenda"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCmdGitHub(t)
			if tt.member {
				f.members["alice"] = "active"
			}
			first, replica := f.env(cmdOptions{}), f.env(cmdOptions{})
			payload := tt.event.payload(t)
			if err := first.handle(payload); err != nil {
				t.Fatal(err)
			}
			replies := len(f.replies())
			posts := f.gh.Count(routePostReply)
			for _, h := range []*cmdEnv{first, replica} {
				if err := h.handle(payload); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.replies(); len(got) != replies || f.gh.Count(routePostReply) != posts {
				t.Errorf("%d replies after repeats (%d posted), want %d", len(got), f.gh.Count(routePostReply), replies)
			}
			if f.gh.Count(routeDelReply) != 0 {
				t.Error("a repeat posted and deleted a reply")
			}
			revalidated := 0
			for _, r := range f.gh.Requests() {
				if r.Pattern == routeListReply && r.Status == http.StatusNotModified {
					revalidated++
				}
			}
			if replies > 0 && revalidated == 0 {
				t.Error("no look for the reply was revalidated; the ETag cache went unexercised")
			}
			// GitHub answers 201 for a new reaction and 200 for one already there.
			reactions := map[int]int{}
			for _, r := range f.gh.Requests() {
				if r.Pattern == routeReaction {
					reactions[r.Status]++
				}
			}
			if reactions[http.StatusCreated] > 1 || (reactions[http.StatusCreated] == 1 && reactions[http.StatusOK] == 0) {
				t.Errorf("reaction answers %v; want one 201, then 200 for the repeats", reactions)
			}
		})
	}
}

func TestCommentReplyIgnoresMarkersOthersWrote(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	e.add("mallory", "User", command.ReplyMarker(5550001)+"\nsilenced")
	if err := e.handle(cmdEvent{body: "/help"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.gh.Count(routePostReply); n != 1 {
		t.Errorf("%d replies posted; a marker typed by someone else must not count", n)
	}
}

func TestCommentReplicaRaceKeepsTheFirstReply(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	// Another replica posts its reply after this one looked and before it posts.
	var once sync.Once
	e.beforePost = func() {
		once.Do(func() { e.add(appLogin, "Bot", command.ReplyMarker(5550001)+"\n\nthe other replica's answer") })
	}
	if err := e.handle(cmdEvent{body: "/help"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	got := e.replies()
	if len(got) != 1 || !strings.Contains(got[0].Body, "the other replica's answer") {
		t.Errorf("replies %+v, want only the earlier one", got)
	}
	if n := e.gh.Count(routeDelReply); n != 1 {
		t.Errorf("%d deletions, want this replica's own reply deleted", n)
	}
}

func TestCommentAuditsEachCommand(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	e.members["alice"] = "active"
	if err := e.handle(cmdEvent{body: "/agenda\n/recheck\n/agenda nope"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	lines := e.auditLines()
	want := []struct{ command, decision, result, level, reason string }{
		{"/agenda", "allowed (team)", "done", "info", ""},
		{"/recheck", "refused", "failed", "warn", "/recheck works only on a pull request."},
		{"/agenda nope", "refused", "failed", "warn", "There is no group nope; the groups are security-wg, tooling."},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), e.logs)
	}
	for i, w := range want {
		l := lines[i]
		if l["command"] != w.command || l["decision"] != w.decision || l["result"] != w.result || l["level"] != w.level ||
			l["user"] != "alice" || l["repository"] != "nodejs/node" || l["issue"] != float64(4242) ||
			(w.reason != "" && l["reason"] != w.reason) {
			t.Errorf("audit line %d = %v, want %+v by alice on nodejs/node#4242", i, l, w)
		}
	}
}

// hostileBodies are comments built to cost time, memory or API calls.
func hostileBodies() map[string]string {
	invalid := strings.Repeat("\xff\xfe/agenda \xc3(\n", 100)
	return map[string]string{
		"64 KiB of slashes":          strings.Repeat("/", 64<<10),
		"10,000 command lines":       strings.Repeat("/agenda\n", 10_000),
		"10,000 unknown commands":    strings.Repeat("/lgtm\n", 10_000),
		"deeply nested quotes":       strings.Repeat(">", 60<<10) + " /agenda\n/agenda",
		"invalid UTF-8 around help":  invalid + "/help\n",
		"a command past the cap":     strings.Repeat("x", command.MaxBodyBytes) + "\n/agenda\n",
		"thousands of open fences":   strings.Repeat("```\n/agenda\n", 5_000),
		"one huge argument":          "/agenda " + strings.Repeat("a", 60<<10),
		"ten thousand html comments": strings.Repeat("<!--\n/agenda\n", 5_000),
	}
}

func TestCommentHostileBodiesStayInBudget(t *testing.T) {
	for name, body := range hostileBodies() {
		t.Run(name, func(t *testing.T) {
			e := newCmdEnv(t, cmdOptions{})
			e.members["alice"] = "active"
			start := time.Now()
			if err := e.handle(cmdEvent{body: body}.payload(t)); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			// At most: one membership check, one label, one reaction and the
			// reply's look, post and second look.
			if n := e.gh.CallsExcludingAuth(); n > 6 {
				t.Errorf("%d API calls: %q", n, e.calls())
			}
			if n := e.gh.Count(routeAddLabels); n > 1 {
				t.Errorf("the label was added %d times", n)
			}
			for _, r := range e.replies() {
				if len(r.Body) > command.MaxReplyBytes+1024 {
					t.Errorf("reply of %d bytes", len(r.Body))
				}
				assertNoCommands(t, r.Body)
			}
		})
	}
}

func TestCommentPermissionErrorIsNotARefusal(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	e.gh.Handle(routeMembership, githubtest.Response{Status: 403, Body: map[string]any{"message": "Resource not accessible by integration"}}.ServeHTTP)
	e.roles["alice"] = "maintain"
	if err := e.handle(cmdEvent{body: "/agenda"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.labelChanges(); !slices.Equal(got, []string{"+security-wg-agenda"}) {
		t.Errorf("labels %q: a maintainer should get in when the team cannot be read", got)
	}
}

func TestCommentMeetingServiceFailureIsReported(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{})
	e.meetings.err = errors.New("calendar feed answered 502")
	if err := e.handle(cmdEvent{body: "/meeting security-wg"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	got := e.replies()
	if len(got) != 1 || !strings.Contains(got[0].Body, "The next meeting of group security\\-wg could not be looked up\\.") ||
		!strings.Contains(got[0].Body, "calendar feed answered 502") {
		t.Errorf("replies %+v", got)
	}
	if r := e.reacted(); len(r) != 1 || !strings.HasSuffix(r[0], ":confused") {
		t.Errorf("reactions %q", r)
	}
}

func TestCommentNamedGroupAmongSeveral(t *testing.T) {
	e := newCmdEnv(t, cmdOptions{groups: twoNodeGroups()})
	e.members["alice"] = "active"
	if err := e.handle(cmdEvent{body: "/agenda security-wg"}.payload(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.labelChanges(); !slices.Equal(got, []string{"+security-wg-agenda"}) {
		t.Errorf("labels %q", got)
	}
}

// Every recorded issue_comment payload from GitHub goes through the handler;
// none of them holds a command, so none may cost an API call.
func TestCommentCorpusPayloadsCostNothing(t *testing.T) {
	for _, d := range githubtest.Corpus(t) {
		if d.Event != "issue_comment" {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			e := newCmdEnv(t, cmdOptions{})
			if err := e.handle(d.Body); err != nil {
				t.Fatal(err)
			}
			if n := len(e.gh.Requests()); n != 0 {
				t.Errorf("%d requests", n)
			}
		})
	}
}

func BenchmarkCommentHandle(b *testing.B) {
	benches := map[string]string{
		"short comment without a command": "Thanks, this looks right to me.",
		"64 KiB without a command":        strings.Repeat("Some prose about /usr/lib paths.\n", (64<<10)/33),
		"64 KiB of slashes":               strings.Repeat("/", 64<<10),
	}
	for name, body := range benches {
		b.Run(name, func(b *testing.B) {
			raw, err := os.ReadFile(filepath.Join("testdata", "comment", "issue.json"))
			if err != nil {
				b.Fatal(err)
			}
			var m map[string]any
			_ = json.Unmarshal(raw, &m)
			m["comment"].(map[string]any)["body"] = body
			payload, _ := json.Marshal(m)
			h := handler.NewComment(handler.Base{App: appid.Fixed(0, githubtest.AppSlug)}, cmdGroups(), nil, nil)
			ctx := zerolog.Nop().WithContext(context.Background())
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Handle(ctx, "issue_comment", "d", payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

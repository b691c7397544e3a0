package server

import (
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// TestServeRunsTheMeetingGroups shows the features plugged into the real server:
// the sync pass that serve starts creates the meeting issue, a label event keeps
// its agenda current, and a command in a comment is answered.
func TestServeRunsTheMeetingGroups(t *testing.T) {
	var fake *meetingsynctest.GitHub
	a := startApp(t, appOptions{
		github:    func(gh *githubtest.Server) { fake = meetingsynctest.New(gh) },
		configure: func(c *configT) { withSecurityWG(t, c) },
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(a.logs.String())
		}
	})
	eventually(t, "the meeting issue", func() bool {
		return len(fake.IssuesBy("nodejs/security-wg", meetingsynctest.AppLogin)) == 1
	})
	meetingIssue := fake.IssuesBy("nodejs/security-wg", meetingsynctest.AppLogin)[0]

	fake.Add(meetingsynctest.Issue{Repo: "nodejs/node", Number: 4242, Title: "Harden the permission model", Author: "octocat",
		Labels: []string{"security-wg-agenda"}, Created: time.Now()})
	body := `{"action":"labeled","label":{"name":"security-wg-agenda"},
	  "issue":{"number":4242,"title":"Harden the permission model","state":"open",
	    "html_url":"https://github.com/nodejs/node/issues/4242","repository_url":"https://api.github.com/repos/nodejs/node",
	    "labels":[{"name":"security-wg-agenda"}],"user":{"login":"octocat","type":"User"}},
	  "repository":{"full_name":"nodejs/node","name":"node","owner":{"login":"nodejs","type":"Organization"}},
	  "installation":{"id":7},"sender":{"login":"octocat","type":"User"}}`
	if status, msg := a.deliver("issues", "wired-label", body); status != 200 || !strings.Contains(msg, "processed") {
		t.Fatalf("label event: %d %q", status, msg)
	}
	eventually(t, "the agenda to list the item", func() bool {
		is, _ := fake.Issue("nodejs/security-wg", meetingIssue.Number)
		return strings.Contains(is.Body, "Harden the permission model")
	})

	comment := `{"action":"created","comment":{"id":99,"body":"/help","user":{"login":"octocat","type":"User"},
	    "created_at":"2026-03-16T14:00:00Z","html_url":"https://github.com/nodejs/node/issues/4242#issuecomment-99"},
	  "issue":{"number":4242,"title":"Harden the permission model","state":"open","user":{"login":"octocat","type":"User"},
	    "labels":[{"name":"security-wg-agenda"}]},
	  "repository":{"full_name":"nodejs/node","name":"node","owner":{"login":"nodejs","type":"Organization"}},
	  "installation":{"id":7},"sender":{"login":"octocat","type":"User"}}`
	a.github.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 200, []any{})
	a.github.ReplyJSON("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", 201,
		map[string]any{"id": 1, "node_id": "R_1", "content": "+1", "created_at": "2026-03-16T14:00:00Z", "user": nil})
	a.github.ReplyJSON("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 201, map[string]any{
		"id": 100, "node_id": "IC_100", "body": "reply", "user": map[string]any{"login": githubtest.AppSlug + "[bot]", "type": "Bot"},
		"url": "https://api.github.com/repos/nodejs/node/issues/comments/100", "html_url": "https://github.com/nodejs/node/issues/4242#issuecomment-100",
		"issue_url": "https://api.github.com/repos/nodejs/node/issues/4242", "author_association": "NONE",
		"created_at": "2026-03-16T14:00:01Z", "updated_at": "2026-03-16T14:00:01Z"})
	if status, _ := a.deliver("issue_comment", "wired-help", comment); status != 200 {
		t.Fatalf("comment: %d", status)
	}
	eventually(t, "the help reply", func() bool {
		for _, r := range a.github.Requests() {
			if r.Method == "POST" && strings.HasSuffix(r.Path, "/issues/4242/comments") && strings.Contains(string(r.Body), "/agenda") {
				return true
			}
		}
		return false
	})
}

// withSecurityWG configures one group with a daily meeting, the next one or two
// hours ahead: within the lead time, not started.
func withSecurityWG(t *testing.T, c *configT) {
	t.Helper()
	g := meeting.DefaultGroup()
	g.ID, g.Org, g.Repo = "security-wg", "nodejs", "nodejs/security-wg"
	g.Schedule = &meeting.Schedule{RRule: "FREQ=DAILY", Start: time.Now().UTC().Truncate(time.Hour).Add(-238 * time.Hour).Format(time.RFC3339), Timezone: "UTC"}
	c.Meetings = meeting.Config{Groups: []meeting.Group{g}}
	if err := c.Meetings.Validate(); err != nil {
		t.Fatal(err)
	}
}

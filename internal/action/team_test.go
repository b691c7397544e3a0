package action_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/githubtest"
)

// TestWorkflowTokenJudgesTeamsByRepositoryPermission pins the fallback for a
// token that cannot read teams: a command only the group's team may run is
// allowed to whoever has write access to the workflow's repository, refused
// to anyone with less, and the team API is never asked. An App token asks it.
func TestWorkflowTokenJudgesTeamsByRepositoryPermission(t *testing.T) {
	teamOnly := func(t testing.TB) string {
		return writeFile(t, "secwg.yml", `meetings:
  groups:
    - id: hello-wg
      org: Codertocat
      repo: Codertocat/Hello-World
      agenda_label: wg-agenda
      team: Codertocat/wg
      schedule: {rrule: "FREQ=DAILY", start: "2026-01-01T14:00:00Z", timezone: UTC}
      commands:
        agenda: team
`)
	}
	const (
		membership = "GET /orgs/Codertocat/teams/wg/memberships/Codertocat"
		permission = "GET " + repoPath + "/collaborators/Codertocat/permission"
		label      = "POST " + repoPath + "/issues/1/labels"
		reaction   = "POST " + repoPath + "/issues/comments/" + commentID + "/reactions"
		listReply  = "GET " + repoPath + "/issues/1/comments"
		reply      = "POST " + repoPath + "/issues/1/comments"
	)
	for _, c := range []struct {
		name   string
		kind   action.TokenKind
		role   string
		member bool
		want   []string
	}{
		{"writer counts as the team", action.WorkflowToken, "write", false, []string{permission, label, reaction}},
		{"maintainer counts as the team", action.WorkflowToken, "maintain", false, []string{permission, label, reaction}},
		{"triager does not", action.WorkflowToken, "triage", false, []string{permission, reaction, listReply, reply, listReply}},
		{"App token asks the team", action.AppToken, "read", true, []string{membership, label, reaction}},
		{"App token refuses a non-member", action.AppToken, "write", false, []string{membership, reaction, listReply, reply, listReply}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.Handle("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", func(w http.ResponseWriter, r *http.Request) {
				if !c.member {
					notFound(w, r)
					return
				}
				writeJSON(w, 200, example(t, "team-membership-response-if-user-is-a-team-maintainer"))
			})
			permissionRoute(t, gh, c.role)
			gh.ReplyJSON("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", 200, example(t, "label-items"))
			reactionRoute(t, gh)
			replyRoutes(t, gh)
			res := runAction(t, gh, workflow{event: "issue_comment", payload: mustJSON(t, comment("/agenda")(t)), config: teamOnly(t), kind: c.kind})
			if res.code != action.ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if d := diffCalls(calls(gh), c.want); d != "" {
				t.Errorf("requests:\n%s", d)
			}
			for _, r := range gh.Requests() {
				if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/1/comments") && !strings.Contains(string(r.Body), "Only members of team Codertocat") {
					t.Errorf("refusal does not name the team: %s", r.Body)
				}
			}
		})
	}
}

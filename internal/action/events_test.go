package action_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/githubtest"
)

// groupConfig is a configuration with one meeting group in the corpus's
// repository, meeting on the rule given.
func groupConfig(t testing.TB, rrule, start string) string {
	return writeFile(t, "secwg.yml", `logging: {level: debug, format: json}
meetings:
  groups:
    - id: hello-wg
      name: Hello team
      host: Codertocat
      org: Codertocat
      repo: Codertocat/Hello-World
      agenda_label: wg-agenda
      team: Codertocat/wg
      schedule: {rrule: "`+rrule+`", start: "`+start+`", timezone: UTC}
`)
}

// dailyGroup meets every day, so that its next meeting is always within the
// lead time, at whatever moment the server path runs.
func dailyGroup(t testing.TB) string { return groupConfig(t, "FREQ=DAILY", "2026-01-01T14:00:00Z") }

const (
	repoPath  = "/repos/Codertocat/Hello-World"
	commentID = "492700400" // issue_comment/created.payload.json
)

// Answers the fake gives, from GitHub's own examples.
func reactionRoute(t testing.TB, gh *githubtest.Server) {
	gh.ReplyJSON("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", 201, example(t, "reaction"))
}

func replyRoutes(t testing.TB, gh *githubtest.Server) {
	gh.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 200, []any{})
	gh.ReplyJSON("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 201,
		exampleObject(t, "issue-comment", map[string]any{"id": 9001}))
}

func permissionRoute(t testing.TB, gh *githubtest.Server, role string) {
	gh.ReplyJSON("GET /repos/{owner}/{repo}/collaborators/{username}/permission", 200,
		exampleObject(t, "repository-collaborator-permission-response-if-user-has-admin-permissions",
			map[string]any{"permission": role, "role_name": role}))
}

// comment is the corpus's new comment, saying body.
func comment(body string) func(t testing.TB) map[string]any {
	return func(t testing.TB) map[string]any {
		p := corpusPayload(t, "issue_comment/created.payload.json")
		set(p, "comment.body", body)
		return p
	}
}

func corpus(rel string) func(t testing.TB) map[string]any {
	return func(t testing.TB) map[string]any { return corpusPayload(t, rel) }
}

// eventCase is one payload and what both modes must ask of GitHub for it.
type eventCase struct {
	name string
	// events are the workflow events that carry the payload; webhook is the
	// event the server receives for it, "" when GitHub sends it no webhook.
	events  []string
	webhook string
	payload func(t testing.TB) map[string]any
	config  func(t testing.TB) string
	args    []string
	routes  func(t testing.TB, gh *githubtest.Server)
	// handled is whether secwg works on it (the server queues it; the
	// workflow step says done rather than nothing to do).
	handled bool
	// want is every request, in order, in both modes with the App's token.
	want []string
	// workflowWant, when set, is what the workflow's own token asks instead;
	// the case's comment says why.
	workflowWant []string
}

// eventCases is the one table of expectations for the server and the
// workflow step.
func eventCases() []eventCase {
	return []eventCase{
		{
			name: "help command replies with the command list", events: []string{"issue_comment"}, webhook: "issue_comment",
			payload: comment("/help"),
			routes:  func(t testing.TB, gh *githubtest.Server) { reactionRoute(t, gh); replyRoutes(t, gh) },
			handled: true,
			want: []string{
				"POST " + repoPath + "/issues/comments/" + commentID + "/reactions",
				"GET " + repoPath + "/issues/1/comments",
				"POST " + repoPath + "/issues/1/comments",
				"GET " + repoPath + "/issues/1/comments",
			},
		},
		{
			name: "agenda command labels the issue for a team member or triager", events: []string{"issue_comment"}, webhook: "issue_comment",
			payload: comment("/agenda"), config: dailyGroup,
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.Handle("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", notFound)
				permissionRoute(t, gh, "write")
				gh.ReplyJSON("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", 200, example(t, "label-items"))
				reactionRoute(t, gh)
			},
			handled: true,
			want: []string{
				"GET /orgs/Codertocat/teams/wg/memberships/Codertocat",
				"GET " + repoPath + "/collaborators/Codertocat/permission",
				"POST " + repoPath + "/issues/1/labels",
				"POST " + repoPath + "/issues/comments/" + commentID + "/reactions",
			},
			// The workflow token cannot read teams: the team grant is judged
			// by the same permission call, so one call fewer.
			workflowWant: []string{
				"GET " + repoPath + "/collaborators/Codertocat/permission",
				"POST " + repoPath + "/issues/1/labels",
				"POST " + repoPath + "/issues/comments/" + commentID + "/reactions",
			},
		},
		{
			name: "comment without a command costs nothing", events: []string{"issue_comment"}, webhook: "issue_comment",
			payload: corpus("issue_comment/created.payload.json"), handled: true,
		},
		{
			name: "edited comment is ignored", events: []string{"issue_comment"}, webhook: "issue_comment",
			payload: corpus("issue_comment/edited.payload.json"),
		},
		{
			name: "agenda label looks for the upcoming meeting issue", events: []string{"issues"}, webhook: "issues",
			payload: func(t testing.TB) map[string]any {
				p := corpusPayload(t, "issues/labeled.payload.json")
				label := map[string]any{"id": 7, "node_id": "LA_7", "url": "https://api.github.com/repos/Codertocat/Hello-World/labels/wg-agenda",
					"name": "wg-agenda", "color": "ededed", "default": false, "description": nil}
				set(p, "label", label)
				set(p, "issue.labels", []any{label})
				return p
			},
			config: dailyGroup,
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.ReplyJSON("GET /repos/{owner}/{repo}/issues", 200, []any{})
			},
			handled: true,
			want:    []string{"GET " + repoPath + "/issues"},
		},
		{
			name: "label outside every agenda costs nothing", events: []string{"issues"}, webhook: "issues",
			payload: corpus("issues/labeled.payload.json"), config: dailyGroup, handled: true,
		},
		{
			name: "opened issue is ignored", events: []string{"issues"}, webhook: "issues",
			payload: corpus("issues/opened.payload.json"), config: dailyGroup,
		},
		{
			name:   "pull request runs the check from the base branch's configuration",
			events: []string{"pull_request", "pull_request_target"}, webhook: "pull_request",
			payload: corpus("pull_request/opened.payload.json"),
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.Handle(githubtest.PatternGraphQL, func(w http.ResponseWriter, r *http.Request) {
					q, err := githubtest.DecodeGraphQL(r)
					if err != nil {
						t.Error(err)
					}
					if got := q.Variables["config"]; got != "master:.github/secwg.yml" {
						t.Errorf("configuration read at %v, want the base branch master", got)
					}
					githubtest.GraphQLData(map[string]any{"repository": map[string]any{
						"config": nil, "head": map[string]any{"checkSuites": map[string]any{"nodes": []any{}}}}}).ServeHTTP(w, r)
				})
				gh.Handle("GET /repos/{owner}/{repo}/contents/{path...}", notFound)
			},
			handled: true,
			want:    []string{"POST /graphql", "GET /repos/Codertocat/.github/contents/.github/secwg.yml"},
		},
		{
			name: "assigned pull request is ignored", events: []string{"pull_request", "pull_request_target"}, webhook: "pull_request",
			payload: corpus("pull_request/assigned.payload.json"),
		},
		{
			name: "re-requested suite of this App looks for its runs", events: []string{"check_suite"}, webhook: "check_suite",
			payload: func(t testing.TB) map[string]any {
				p := corpusPayload(t, "check_suite/rerequested.payload.json")
				set(p, "check_suite.app.id", githubtest.AppID)
				set(p, "check_suite.app.slug", githubtest.AppSlug)
				set(p, "check_suite.pull_requests", []any{})
				return p
			},
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.ReplyJSON("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", 200, map[string]any{"total_count": 0, "check_runs": []any{}})
			},
			handled: true,
			want:    []string{"GET " + repoPath + "/commits/ec26c3e57ca3a959ca5aad62de7213c562f8c821/check-runs"},
		},
		{
			name: "re-requested run of another App costs nothing", events: []string{"check_run"}, webhook: "check_run",
			payload: corpus("check_run/rerequested.payload.json"), handled: true,
		},
		{
			name: "completed suite is ignored", events: []string{"check_suite"}, webhook: "check_suite",
			payload: corpus("check_suite/completed.payload.json"),
		},
		{
			name: "push is not an event secwg acts on", events: []string{"push"}, webhook: "push",
			payload: corpus("push/payload.json"),
		},
		{
			name: "scheduled pass opens the next meeting's issue", events: []string{"schedule", "workflow_dispatch"},
			payload: func(testing.TB) map[string]any { return map[string]any{"schedule": "0 * * * *"} },
			config: func(t testing.TB) string {
				return groupConfig(t, "FREQ=WEEKLY;BYDAY=TH", "2030-01-03T14:00:00Z")
			},
			args: []string{"--now", "2030-01-01T12:00:00Z"},
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.ReplyJSON("GET /repos/{owner}/{repo}/issues", 200, []any{})
				gh.ReplyJSON("GET /search/issues", 200, map[string]any{"total_count": 0, "incomplete_results": false, "items": []any{}})
				gh.ReplyJSON("POST /repos/{owner}/{repo}/issues", 201, exampleObject(t, "issue", map[string]any{"number": 12}))
			},
			handled: true,
			want: []string{
				"GET " + repoPath + "/issues",
				"GET /search/issues",
				"POST " + repoPath + "/issues",
			},
		},
		{
			name: "scheduled pass without groups does nothing", events: []string{"schedule"},
			payload: func(testing.TB) map[string]any { return map[string]any{"schedule": "0 * * * *"} },
		},
	}
}

// TestWorkflowAndServerMakeTheSameRequests drives each payload through the
// server's webhook and through secwg action, with the App's token and with
// the workflow's, and checks every request against the one table.
func TestWorkflowAndServerMakeTheSameRequests(t *testing.T) {
	for _, c := range eventCases() {
		t.Run(c.name, func(t *testing.T) {
			payload := mustJSON(t, c.payload(t))
			cfg := ""
			if c.config != nil {
				cfg = c.config(t)
			}
			var serverRequests []githubtest.Request
			if c.webhook != "" {
				t.Run("server", func(t *testing.T) {
					gh := githubtest.New(t)
					if c.routes != nil {
						c.routes(t, gh)
					}
					handled := runServer(t, gh, delivery{event: c.webhook, payload: payload, config: cfg})
					if handled != c.handled {
						t.Errorf("server handled = %v, want %v", handled, c.handled)
					}
					if d := diffCalls(calls(gh), c.want); d != "" {
						t.Errorf("server requests differ from the table:\n%s", d)
					}
					serverRequests = apiRequests(gh)
				})
			}
			for _, event := range c.events {
				for _, kind := range []action.TokenKind{action.AppToken, action.WorkflowToken} {
					t.Run(event+"/"+string(kind)+"-token", func(t *testing.T) {
						gh := githubtest.New(t)
						if c.routes != nil {
							c.routes(t, gh)
						}
						res := runAction(t, gh, workflow{event: event, payload: payload, config: cfg, kind: kind, args: c.args})
						if res.code != action.ExitOK {
							t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
						}
						if done := strings.Contains(res.stdout, ": done"); done != c.handled {
							t.Errorf("step said %q; handled want %v", strings.TrimSpace(res.stdout), c.handled)
						}
						want := c.want
						if kind == action.WorkflowToken && c.workflowWant != nil {
							want = c.workflowWant
						}
						if d := diffCalls(calls(gh), want); d != "" {
							t.Errorf("workflow requests differ from the table:\n%s", d)
						} else if serverRequests != nil && (kind == action.AppToken || c.workflowWant == nil) {
							// Same calls: then the same queries and bodies too.
							for i, r := range apiRequests(gh) {
								s := serverRequests[i]
								if r.RawQuery != s.RawQuery || string(r.Body) != string(s.Body) {
									t.Errorf("%s %s differs from the server's:\n query %q, server %q\n body %s\n server %s",
										r.Method, r.Path, r.RawQuery, s.RawQuery, r.Body, s.Body)
								}
							}
						}
						for _, r := range gh.Requests() {
							if r.Installation != installation {
								t.Errorf("%s %s authorised as installation %d, want the workflow's token (%d)", r.Method, r.Path, r.Installation, installation)
							}
						}
					})
				}
			}
		})
	}
}

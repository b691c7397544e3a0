package action_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
)

// TestExitCodes pins what a workflow step sees: 0 for work done or nothing
// to do, 1 when the work failed, 2 when nothing could be tried, each with a
// message that says why, and a workflow annotation in a runner.
func TestExitCodes(t *testing.T) {
	helpComment := func(t testing.TB) []byte { return mustJSON(t, comment("/help")(t)) }
	for _, c := range []struct {
		name    string
		w       func(t testing.TB) workflow
		routes  func(t testing.TB, gh *githubtest.Server)
		code    int
		message string // in stderr
	}{
		{
			name: "handled", code: action.ExitOK, message: "",
			w:      func(t testing.TB) workflow { return workflow{event: "issue_comment", payload: helpComment(t)} },
			routes: func(t testing.TB, gh *githubtest.Server) { reactionRoute(t, gh); replyRoutes(t, gh) },
		},
		{
			name: "event secwg does not act on", code: action.ExitOK,
			w: func(t testing.TB) workflow {
				return workflow{event: "release", payload: []byte(`{"action":"published"}`)}
			},
		},
		{
			name: "action secwg does not act on", code: action.ExitOK,
			w: func(t testing.TB) workflow {
				return workflow{event: "issue_comment", payload: mustJSON(t, corpusPayload(t, "issue_comment/deleted.payload.json"))}
			},
		},
		{
			name: "GitHub refuses a write", code: action.ExitFailed, message: "reacting +1 to comment 492700400",
			w: func(t testing.TB) workflow { return workflow{event: "issue_comment", payload: helpComment(t)} },
			routes: func(t testing.TB, gh *githubtest.Server) {
				gh.Handle("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 403, map[string]any{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"})
				})
				replyRoutes(t, gh)
			},
		},
		{
			name: "payload is not JSON", code: action.ExitFailed, message: "is not a JSON object",
			w: func(t testing.TB) workflow { return workflow{event: "issues", payload: []byte("<html>")} },
		},
		{
			name: "payload over GitHub's cap", code: action.ExitFailed, message: "is larger than 26214400 bytes",
			w: func(t testing.TB) workflow {
				big := `{"action":"labeled","pad":"` + strings.Repeat("x", action.MaxPayloadBytes) + `"}`
				return workflow{event: "issues", payload: []byte(big)}
			},
		},
		{
			name: "runner variables missing", code: action.ExitUsage, message: "GITHUB_TOKEN, GITHUB_REPOSITORY not set",
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), env: map[string]string{"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""}}
			},
		},
		{
			name: "repository not owner/name", code: action.ExitUsage, message: `GITHUB_REPOSITORY="Hello-World" is not owner/name`,
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), env: map[string]string{"GITHUB_REPOSITORY": "Hello-World"}}
			},
		},
		{
			name: "unknown token kind", code: action.ExitUsage, message: `token kind "pat": want workflow or app`,
			w: func(t testing.TB) workflow { return workflow{event: "issues", payload: []byte(`{}`), kind: "pat"} },
		},
		{
			name: "unknown feature", code: action.ExitUsage, message: `feature "lint": want checks, commands or meetings`,
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), env: map[string]string{"SECWG_FEATURES": "checks,lint"}}
			},
		},
		{
			name: "malformed App id", code: action.ExitUsage, message: `app id "abc"`,
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), env: map[string]string{"SECWG_APP_ID": "abc"}}
			},
		},
		{
			name: "configuration missing", code: action.ExitUsage, message: "loading the configuration",
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), config: "no/such/secwg.yml"}
			},
		},
		{
			name: "configuration with a typo", code: action.ExitUsage, message: "meetingz",
			w: func(t testing.TB) workflow {
				return workflow{event: "schedule", payload: []byte(`{}`), config: writeFile(t, "secwg.yml", "meetingz: []\n")}
			},
		},
		{
			name: "unexpected argument", code: action.ExitUsage, message: `unexpected argument "lint"`,
			w: func(t testing.TB) workflow {
				return workflow{event: "issues", payload: []byte(`{}`), args: []string{"lint"}}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := githubtest.New(t)
			if c.routes != nil {
				c.routes(t, gh)
			}
			res := runAction(t, gh, c.w(t))
			if res.code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, c.code, res.stdout, res.stderr)
			}
			if c.message != "" && !strings.Contains(res.stderr, "secwg action: ") {
				t.Errorf("stderr lacks the failure line:\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, c.message) {
				t.Errorf("stderr lacks %q:\n%s", c.message, res.stderr)
			}
			if annotated := strings.Contains(res.stdout, "::error title=secwg action::"); annotated != (c.code != action.ExitOK) {
				t.Errorf("workflow error annotation = %v for exit %d:\n%s", annotated, c.code, res.stdout)
			}
		})
	}
}

// TestWorkflowRunsTheServersHandlers pins that secwg action dispatches to
// handler.All, the server's handlers: every webhook event they handle that
// exists as a workflow event is routed to its handler, and over the whole
// corpus the workflow step acts on exactly the deliveries the server queues,
// asking GitHub the same.
func TestWorkflowRunsTheServersHandlers(t *testing.T) {
	checks := checkrun.New(nil, time.Now, zerolog.Nop(), checkrun.Options{})
	meetings, err := meetingsync.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	for _, e := range action.Events() {
		if w, ok := action.WebhookEvent(e); ok {
			routed[w] = true
		}
	}
	for _, h := range handler.All(handler.Base{}, handler.Services{Meetings: meetings, Checks: checks}) {
		for _, ev := range h.Handles() {
			// An App's installation is no event a workflow can see.
			if !routed[ev] && !strings.HasPrefix(ev, "installation") {
				t.Errorf("the server handles %s; secwg action routes no workflow event to it", ev)
			}
		}
	}

	routes := func(gh *githubtest.Server) {
		gh.Handle("GET /repos/{owner}/{repo}/contents/{path...}", notFound)
		gh.Handle(githubtest.PatternGraphQL, githubtest.GraphQLData(map[string]any{"repository": map[string]any{
			"config": nil, "head": map[string]any{"checkSuites": map[string]any{"nodes": []any{}}}}}).ServeHTTP)
	}
	acted := 0
	for _, d := range githubtest.Corpus(t) {
		if strings.HasPrefix(d.Event, "installation") {
			continue
		}
		t.Run(d.Event+"/"+d.Name, func(t *testing.T) {
			server := githubtest.New(t)
			routes(server)
			handled := runServer(t, server, delivery{event: d.Event, payload: d.Body})
			workflowGitHub := githubtest.New(t)
			routes(workflowGitHub)
			res := runAction(t, workflowGitHub, workflow{event: d.Event, payload: d.Body})
			if res.code != action.ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if done := strings.Contains(res.stdout, ": done"); done != handled {
				t.Errorf("server handled = %v, workflow step said %q", handled, strings.TrimSpace(res.stdout))
			}
			if got, want := calls(workflowGitHub), calls(server); !slices.Equal(got, want) {
				t.Errorf("requests differ:\n%s", diffCalls(got, want))
			}
			if handled {
				acted++
			}
		})
	}
	if acted == 0 {
		t.Error("no delivery of the corpus was acted on; the comparison proves nothing")
	}
}

// TestFeaturesLimitWhatRuns pins that a workflow runs only the features it
// names: a reopened pull request carrying the agenda label is both a check
// and an agenda change, and each workflow does its own part with its own
// permissions.
func TestFeaturesLimitWhatRuns(t *testing.T) {
	reopened := func(t testing.TB) []byte {
		p := corpusPayload(t, "pull_request/reopened.payload.json")
		set(p, "pull_request.labels", []any{map[string]any{"id": 7, "node_id": "LA_7", "url": "https://api.github.com/repos/Codertocat/Hello-World/labels/wg-agenda",
			"name": "wg-agenda", "color": "ededed", "default": false, "description": nil}})
		return mustJSON(t, p)
	}
	check := []string{"POST /graphql", "GET /repos/Codertocat/.github/contents/.github/secwg.yml"}
	agenda := []string{"GET " + repoPath + "/issues"}
	for _, c := range []struct {
		features string
		want     []string
		done     bool
	}{
		{"checks", check, true},
		{"meetings", agenda, true},
		{"commands", nil, false},
		{"", append(append([]string{}, agenda...), check...), true},
	} {
		t.Run("features="+c.features, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.Handle(githubtest.PatternGraphQL, githubtest.GraphQLData(map[string]any{"repository": map[string]any{
				"config": nil, "head": map[string]any{"checkSuites": map[string]any{"nodes": []any{}}}}}).ServeHTTP)
			gh.Handle("GET /repos/{owner}/{repo}/contents/{path...}", notFound)
			gh.ReplyJSON("GET /repos/{owner}/{repo}/issues", 200, []any{})
			res := runAction(t, gh, workflow{event: "pull_request_target", payload: reopened(t), config: dailyGroup(t),
				env: map[string]string{"SECWG_FEATURES": c.features}})
			if res.code != action.ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if done := strings.Contains(res.stdout, ": done"); done != c.done {
				t.Errorf("step said %q, want done = %v", strings.TrimSpace(res.stdout), c.done)
			}
			got := calls(gh)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("requests:\n%s", diffCalls(got, want))
			}
		})
	}
}

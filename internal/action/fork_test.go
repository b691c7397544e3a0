package action_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/githubtest"
)

const (
	forkHead = "1111111111111111111111111111111111111111"
	forkBase = "2222222222222222222222222222222222222222"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fork", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forkPullRequest is the corpus's opened pull request, coming from a fork.
func forkPullRequest(t testing.TB) map[string]any {
	p := corpusPayload(t, "pull_request/opened.payload.json")
	set(p, "pull_request.head.sha", forkHead)
	set(p, "pull_request.head.ref", "threat-model")
	set(p, "pull_request.head.label", "contributor:threat-model")
	set(p, "pull_request.head.repo.full_name", "contributor/Hello-World")
	set(p, "pull_request.head.repo.fork", true)
	set(p, "pull_request.head.repo.owner.login", "contributor")
	set(p, "pull_request.base.ref", "main")
	set(p, "pull_request.base.sha", forkBase)
	return p
}

// forkGitHub answers the check of forkPullRequest: the base branch holds
// baseConfig, and the pull request changes SECURITY.md and .github/secwg.yml.
type forkGitHub struct {
	gh *githubtest.Server

	mu         sync.Mutex
	conclusion string
	runRepo    string
}

func newForkGitHub(t testing.TB, baseConfig string) *forkGitHub {
	f := &forkGitHub{gh: githubtest.New(t)}
	f.gh.Handle(githubtest.PatternGraphQL, func(w http.ResponseWriter, r *http.Request) {
		q, err := githubtest.DecodeGraphQL(r)
		if err != nil {
			t.Error(err)
		}
		if got := q.Variables["config"]; got != "main:.github/secwg.yml" {
			t.Errorf("configuration read at %v, want the base branch: main:.github/secwg.yml", got)
			githubtest.GraphQLData(map[string]any{"repository": map[string]any{"config": nil,
				"head": map[string]any{"checkSuites": map[string]any{"nodes": []any{}}}}}).ServeHTTP(w, r)
			return
		}
		githubtest.GraphQLData(map[string]any{"repository": map[string]any{
			"config": map[string]any{"__typename": "Blob", "byteSize": len(baseConfig), "isBinary": false, "isTruncated": false, "text": baseConfig},
			"head":   map[string]any{"checkSuites": map[string]any{"nodes": []any{}}},
		}}).ServeHTTP(w, r)
	})
	file := func(name, patch string, changes int) map[string]any {
		e := example(t, "diff-entry-items").([]any)[0].(map[string]any)
		e["filename"], e["status"], e["patch"] = name, "modified", patch
		e["additions"], e["deletions"], e["changes"] = changes, 0, changes
		return e
	}
	f.gh.ReplyJSON("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", 200, []any{
		file(".github/secwg.yml", readTestdata(t, "secwg.fork.patch"), 3),
		file("SECURITY.md", readTestdata(t, "SECURITY.patch"), 6),
	})
	f.gh.Handle("GET /repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		path, ref := r.PathValue("path"), r.URL.Query().Get("ref")
		if path == "SECURITY.md" && ref == forkHead {
			w.Header().Set("Content-Type", "application/vnd.github.raw")
			_, _ = w.Write([]byte(readTestdata(t, "SECURITY.head.md")))
			return
		}
		if path == ".github/secwg.yml" {
			t.Errorf("configuration read through REST at ref %q; the query already gave the base branch's", ref)
		}
		notFound(w, r)
	})
	run := func(w http.ResponseWriter, r *http.Request, status int) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		f.mu.Lock()
		f.runRepo = r.PathValue("owner") + "/" + r.PathValue("repo")
		if c, ok := body["conclusion"].(string); ok {
			f.conclusion = c
		}
		f.mu.Unlock()
		set := map[string]any{"id": 7001, "head_sha": forkHead, "external_id": "2", "app": exampleApp(t)}
		for _, k := range []string{"name", "status", "conclusion"} {
			if v, ok := body[k]; ok {
				set[k] = v
			}
		}
		writeJSON(w, status, exampleObject(t, "check-run", set))
	}
	f.gh.Handle("POST /repos/{owner}/{repo}/check-runs", func(w http.ResponseWriter, r *http.Request) { run(w, r, 201) })
	f.gh.Handle("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", func(w http.ResponseWriter, r *http.Request) { run(w, r, 200) })
	return f
}

// exampleApp is GitHub's example App, as this App.
func exampleApp(t testing.TB) map[string]any {
	app := example(t, "check-run").(map[string]any)["app"].(map[string]any)
	app["id"], app["slug"] = githubtest.AppID, githubtest.AppSlug
	return app
}

// TestForkCannotRelaxItsOwnCheck runs the check under pull_request_target for
// a fork whose change turns off the rules its model breaks: the check reads
// the configuration at the base branch only, reads the model through the API
// at the head commit, writes to the base repository, and fails. With that
// relaxed configuration on the base branch instead, the same change passes,
// so the failure is the base branch's doing.
func TestForkCannotRelaxItsOwnCheck(t *testing.T) {
	for _, c := range []struct {
		name, baseConfig, want string
	}{
		{"base branch keeps the rules", "secwg.base.yml", "failure"},
		{"base branch itself turned them off", "secwg.fork.yml", "success"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newForkGitHub(t, readTestdata(t, c.baseConfig))
			for _, kind := range []action.TokenKind{action.WorkflowToken, action.AppToken} {
				res := runAction(t, f.gh, workflow{event: "pull_request_target", payload: mustJSON(t, forkPullRequest(t)), kind: kind})
				if res.code != action.ExitOK {
					t.Fatalf("%s token: exit %d\n%s%s", kind, res.code, res.stdout, res.stderr)
				}
				f.mu.Lock()
				got, repo := f.conclusion, f.runRepo
				f.conclusion = ""
				f.mu.Unlock()
				if got != c.want {
					t.Errorf("%s token: conclusion %q, want %q", kind, got, c.want)
				}
				if repo != "Codertocat/Hello-World" {
					t.Errorf("%s token: check run written to %q, want the base repository", kind, repo)
				}
			}
			for _, r := range f.gh.Requests() {
				if strings.Contains(r.Path, "contributor") {
					t.Errorf("%s %s reads the fork; everything is read from the base repository", r.Method, r.Path)
				}
			}
		})
	}
}

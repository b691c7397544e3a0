package checkrun

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
)

const (
	headSHA = "1111111111111111111111111111111111111111"
	baseSHA = "2222222222222222222222222222222222222222"
	model   = "# Security\n\n## Threat model\n\n#### T-HTTP-001: Request smuggling (CWE-444)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-HTTP-001\n\n#### M-HTTP-001: Strict parsing\n\n- **Status**: Implemented\n"
)

// runStore is the fake GitHub's check runs; its log reads like
// "run 1 created in_progress", "run 1 completed success".
type runStore struct {
	mu   sync.Mutex
	runs []map[string]any
	log  []string
}

func (s *runStore) record(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

// checkGitHub serves one pull request of nodejs/node changing files, with
// configuration config on the base branch and the App's earlier runs.
func checkGitHub(t *testing.T, config string, files []map[string]any, runs []map[string]any) (githubapp.ClientCreator, *runStore) {
	t.Helper()
	cc, store, _ := checkGitHubServing(t, config, model, files, runs)
	return cc, store
}

// checkGitHubServing is checkGitHub with docs/model.md at the head commit
// holding head; it also returns the server, for more routes.
func checkGitHubServing(t *testing.T, config, head string, files []map[string]any, runs []map[string]any) (githubapp.ClientCreator, *runStore, *githubtest.Server) {
	t.Helper()
	gh, _ := newJobServer(t, repoFiles{"node@main:.github/secwg.yml": config, "node@" + headSHA + ":docs/model.md": head})
	store := &runStore{runs: runs}
	gh.Handle("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", func(w http.ResponseWriter, r *http.Request) {
		if files == nil { // GitHub failing
			githubtest.Response{Status: http.StatusUnprocessableEntity, Body: map[string]any{
				"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest"}}.ServeHTTP(w, r)
			return
		}
		out := []any{}
		for _, f := range files {
			out = append(out, diffEntry(f))
		}
		githubtest.Response{Body: out}.ServeHTTP(w, r)
	})
	gh.Handle("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", func(w http.ResponseWriter, r *http.Request) {
		store.mu.Lock()
		defer store.mu.Unlock()
		out := []any{}
		for _, run := range store.runs {
			out = append(out, asGitHub(run))
		}
		githubtest.Response{Body: map[string]any{"total_count": len(out), "check_runs": out}}.ServeHTTP(w, r)
	})
	gh.Handle("POST /repos/{owner}/{repo}/check-runs", func(w http.ResponseWriter, r *http.Request) {
		var run map[string]any
		_ = json.NewDecoder(r.Body).Decode(&run)
		store.mu.Lock()
		defer store.mu.Unlock()
		run["id"] = float64(len(store.runs) + 1)
		run["app"] = map[string]any{"id": githubtest.AppID, "slug": githubtest.AppSlug}
		run["annotations_count"] = annotationsIn(run)
		store.runs = append(store.runs, run)
		store.record("run %v created %s", run["id"], statusOf(run))
		githubtest.Response{Status: http.StatusCreated, Body: asGitHub(run)}.ServeHTTP(w, r)
	})
	gh.Handle("PATCH /repos/{owner}/{repo}/check-runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		var patch map[string]any
		_ = json.NewDecoder(r.Body).Decode(&patch)
		id, _ := strconv.Atoi(r.PathValue("id"))
		store.mu.Lock()
		defer store.mu.Unlock()
		i := slices.IndexFunc(store.runs, func(run map[string]any) bool { return run["id"] == float64(id) })
		if i < 0 {
			githubtest.Response{Status: http.StatusNotFound, Body: map[string]any{"message": "Not Found"}}.ServeHTTP(w, r)
			return
		}
		count, _ := store.runs[i]["annotations_count"].(int)
		for k, v := range patch {
			store.runs[i][k] = v
		}
		store.runs[i]["annotations_count"] = count + annotationsIn(patch)
		store.record("run %d updated %s", id, statusOf(patch))
		githubtest.Response{Body: asGitHub(store.runs[i])}.ServeHTTP(w, r)
	})
	var cfg githubapp.Config
	cfg.V3APIURL = gh.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(gh.PrivateKeyPEM())
	cc, err := githubclient.NewCreator(githubclient.Options{Config: cfg, CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return cc, store, gh
}

// annotationsIn counts the annotations a create or update request sends.
func annotationsIn(body map[string]any) int {
	out, _ := body["output"].(map[string]any)
	list, _ := out["annotations"].([]any)
	return len(list)
}

// asGitHub is a stored run as GitHub answers it: every field of its
// check-run object, the App's in full.
func asGitHub(run map[string]any) map[string]any {
	id := run["id"]
	out := map[string]any{
		"node_id": fmt.Sprintf("CR_%v", id), "head_sha": headSHA, "name": "",
		"url":         fmt.Sprintf("https://api.github.com/repos/nodejs/node/check-runs/%v", id),
		"html_url":    fmt.Sprintf("https://github.com/nodejs/node/runs/%v", id),
		"details_url": nil, "status": "queued", "conclusion": nil, "started_at": nil, "completed_at": nil,
		"external_id": nil, "check_suite": map[string]any{"id": 1}, "pull_requests": []any{},
	}
	for k, v := range run {
		if k != "app" && k != "output" && k != "annotations_count" {
			out[k] = v
		}
	}
	output, _ := run["output"].(map[string]any)
	count, _ := run["annotations_count"].(int)
	out["output"] = map[string]any{"title": output["title"], "summary": output["summary"], "text": nil,
		"annotations_count": count,
		"annotations_url":   fmt.Sprintf("https://api.github.com/repos/nodejs/node/check-runs/%v/annotations", id)}
	app, _ := run["app"].(map[string]any)
	slug, _ := app["slug"].(string)
	out["app"] = map[string]any{"id": app["id"], "slug": slug, "node_id": "A_" + slug, "name": slug,
		"owner": user("nodejs", "Organization"), "description": nil, "external_url": "https://github.com/" + slug,
		"html_url": "https://github.com/apps/" + slug, "created_at": "2026-01-01T00:00:00Z",
		"updated_at": "2026-01-01T00:00:00Z", "permissions": map[string]any{"checks": "write"}, "events": []any{}}
	return out
}

// user is GitHub's simple-user object for login.
func user(login, typ string) map[string]any {
	u := "https://api.github.com/users/" + login
	return map[string]any{"login": login, "id": 9919, "node_id": "U_" + login, "type": typ, "site_admin": false,
		"avatar_url": "https://avatars.githubusercontent.com/u/9919", "gravatar_id": "", "url": u,
		"html_url": "https://github.com/" + login, "followers_url": u + "/followers",
		"following_url": u + "/following{/other_user}", "gists_url": u + "/gists{/gist_id}",
		"starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions",
		"organizations_url": u + "/orgs", "repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events"}
}

// diffEntry is a changed file as GitHub lists it, with f's fields over it.
func diffEntry(f map[string]any) map[string]any {
	name, _ := f["filename"].(string)
	out := map[string]any{"sha": blobSHA(name), "additions": 1, "deletions": 1, "changes": 2,
		"blob_url":     "https://github.com/nodejs/node/blob/" + headSHA + "/" + name,
		"raw_url":      "https://github.com/nodejs/node/raw/" + headSHA + "/" + name,
		"contents_url": "https://api.github.com/repos/nodejs/node/contents/" + name + "?ref=" + headSHA}
	for k, v := range f {
		out[k] = v
	}
	return out
}

// blobSHA is a blob id for name.
func blobSHA(name string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(name))) }

func statusOf(run map[string]any) string {
	if c, ok := run["conclusion"].(string); ok {
		return "completed " + c
	}
	if s, ok := run["status"].(string); ok {
		return s
	}
	return "output"
}

func TestCheckWritesOneRunPerHeadCommit(t *testing.T) {
	const enabled = "threat_model:\n  paths: [docs/model.md]\n"
	changed := []map[string]any{{"filename": "docs/model.md", "status": "modified", "changes": 1,
		"patch": "@@ -12 +12 @@\n-- **Status**: Planned\n+- **Status**: Implemented"}}
	tests := []struct {
		name   string
		config string
		files  []map[string]any
		runs   []map[string]any
		want   []string
	}{
		{name: "a new commit gets a run in progress, then its result", config: enabled, files: changed,
			want: []string{"run 1 created in_progress", "run 1 updated completed success"}},
		{name: "a run left in progress is taken over", config: enabled, files: changed,
			runs: []map[string]any{{"id": 9.0, "name": "threat-model", "head_sha": headSHA, "status": "in_progress",
				"app": map[string]any{"id": githubtest.AppID, "slug": githubtest.AppSlug}}},
			want: []string{"run 9 updated completed success"}},
		{name: "another App's run is left alone", config: enabled, files: changed,
			runs: []map[string]any{{"id": 9.0, "name": "threat-model", "head_sha": headSHA, "status": "in_progress",
				"app": map[string]any{"id": 1, "slug": "other"}}},
			want: []string{"run 2 created in_progress", "run 2 updated completed success"}},
		{name: "no model file changed completes at once", config: enabled,
			files: []map[string]any{{"filename": "README.md", "status": "modified", "changes": 1}},
			want:  []string{"run 1 created completed success"}},
		{name: "a broken configuration fails the check", config: "threat_model: [\n", files: changed,
			want: []string{"run 1 created completed failure"}},
		{name: "a repository that did not opt in gets nothing", config: "", files: changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, store := checkGitHub(t, tt.config, tt.files, tt.runs)
			s := New(cc, func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }, zerolog.Nop(),
				Options{App: appid.Fixed(0, githubtest.AppSlug)})
			err := s.Check(context.Background(), 1, PullRequest{Owner: "nodejs", Repo: "node", Number: 5,
				HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(store.log, tt.want) {
				t.Errorf("wrote %q, want %q", store.log, tt.want)
			}
		})
	}
}

func TestRedeliveryUpdatesTheRunShowingTheSameResult(t *testing.T) {
	const enabled = "threat_model:\n  paths: [docs/model.md]\n"
	changed := []map[string]any{{"filename": "docs/model.md", "status": "modified", "changes": 1,
		"patch": "@@ -12 +12 @@\n-- **Status**: Planned\n+- **Status**: Implemented"}}
	cc, store := checkGitHub(t, enabled, changed, nil)
	s := New(cc, time.Now, zerolog.Nop(), Options{App: appid.Fixed(0, githubtest.AppSlug)})
	pr := PullRequest{Owner: "nodejs", Repo: "node", Number: 5, HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}
	for range 2 {
		if err := s.Check(context.Background(), 1, pr, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"run 1 created in_progress", "run 1 updated completed success", "run 1 updated completed success"}
	if !slices.Equal(store.log, want) {
		t.Errorf("wrote %q, want %q", store.log, want)
	}
}

func TestAFailureOnceTheRunExistsCompletesItAsFailed(t *testing.T) {
	cc, store := checkGitHub(t, "threat_model:\n  paths: [docs/model.md]\n", nil, nil)
	s := New(cc, time.Now, zerolog.Nop(), Options{App: appid.Fixed(0, githubtest.AppSlug)})
	err := s.Check(context.Background(), 1, PullRequest{Owner: "nodejs", Repo: "node", Number: 5,
		HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}, nil)
	if err == nil {
		t.Error("the listing's failure was not returned")
	}
	if want := []string{"run 1 created completed failure"}; !slices.Equal(store.log, want) {
		t.Errorf("wrote %q, want %q", store.log, want)
	}
	if title := store.runs[0]["output"].(map[string]any)["title"]; title != "The check could not finish" {
		t.Errorf("the run's title is %q", title)
	}
}

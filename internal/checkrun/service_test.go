package checkrun

import (
	"context"
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
	gh, _ := newJobServer(t, repoFiles{"node@main:.github/secwg.yml": config, "node@" + headSHA + ":docs/model.md": model})
	store := &runStore{runs: runs}
	gh.Handle("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", func(w http.ResponseWriter, r *http.Request) {
		githubtest.Response{Body: files}.ServeHTTP(w, r)
	})
	gh.Handle("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", func(w http.ResponseWriter, r *http.Request) {
		store.mu.Lock()
		defer store.mu.Unlock()
		githubtest.Response{Body: map[string]any{"total_count": len(store.runs), "check_runs": store.runs}}.ServeHTTP(w, r)
	})
	gh.Handle("POST /repos/{owner}/{repo}/check-runs", func(w http.ResponseWriter, r *http.Request) {
		var run map[string]any
		_ = json.NewDecoder(r.Body).Decode(&run)
		store.mu.Lock()
		defer store.mu.Unlock()
		run["id"] = float64(len(store.runs) + 1)
		run["app"] = map[string]any{"id": githubtest.AppID, "slug": githubtest.AppSlug}
		store.runs = append(store.runs, run)
		store.record("run %v created %s", run["id"], statusOf(run))
		githubtest.Response{Status: http.StatusCreated, Body: run}.ServeHTTP(w, r)
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
		for k, v := range patch {
			store.runs[i][k] = v
		}
		store.record("run %d updated %s", id, statusOf(patch))
		githubtest.Response{Body: store.runs[i]}.ServeHTTP(w, r)
	})
	var cfg githubapp.Config
	cfg.V3APIURL = gh.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(gh.PrivateKeyPEM())
	cc, err := githubclient.NewCreator(githubclient.Options{Config: cfg, CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return cc, store
}

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
				Options{AppSlug: func() string { return githubtest.AppSlug }})
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
	s := New(cc, time.Now, zerolog.Nop(), Options{AppSlug: func() string { return githubtest.AppSlug }})
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

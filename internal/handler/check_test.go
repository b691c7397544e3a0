package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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
	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/threatmodel"
)

// Routes the threat-model check may call, as the fake GitHub registers them.
const (
	routeContents  = "GET /repos/{owner}/{repo}/contents/{path...}"
	routeFiles     = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
	routePull      = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	routeListRuns  = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
	routeCreateRun = "POST /repos/{owner}/{repo}/check-runs"
	routeUpdateRun = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
	routeTree      = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"
	routeGraphQL   = githubtest.PatternGraphQL
)

const (
	chkHead = "1111111111111111111111111111111111111111"
	chkBase = "2222222222222222222222222222222222222222"
)

var _ handler.Checks = (*checkrun.Service)(nil)

// chkRun is a check run as the fake GitHub keeps it.
type chkRun struct {
	ID                               int64
	AppID                            int64
	Name, HeadSHA, ExternalID        string
	Status, Conclusion               string
	Title, Summary                   string
	Annotations                      []map[string]any
	Batches                          []int // annotations per write
	CompletedAt                      string
	createdStatus, createdConclusion string
}

func (r *chkRun) json() map[string]any {
	fields := map[string]any{"name": r.Name, "head_sha": r.HeadSHA, "external_id": r.ExternalID, "status": r.Status}
	if r.AppID != githubtest.AppID {
		fields["app"] = githubtest.App(r.AppID, "another-app")
	}
	if r.Conclusion != "" {
		fields["conclusion"] = r.Conclusion
		fields["completed_at"] = r.CompletedAt
		if r.CompletedAt == "" {
			fields["completed_at"] = "2024-05-06T07:08:09Z"
		}
	}
	run := githubtest.CheckRun(r.ID, fields)
	output := run["output"].(map[string]any)
	output["title"], output["summary"], output["annotations_count"] = r.Title, r.Summary, len(r.Annotations)
	return run
}

// restPull is a webhook's pull_request as the REST API answers it: GitHub's whole object
// with the number, state, head and base of the payload.
func restPull(p map[string]any) map[string]any {
	side := func(key string) (string, string, map[string]any) {
		b, _ := p[key].(map[string]any)
		repo, _ := b["repo"].(map[string]any)
		return fmt.Sprint(b["ref"]), fmt.Sprint(b["sha"]), repo
	}
	headRef, headSHA, headRepo := side("head")
	baseRef, baseSHA, baseRepo := side("base")
	number, _ := p["number"].(float64)
	out := githubtest.PullRequest(fmt.Sprint(baseRepo["full_name"]), int(number), headSHA, baseSHA, map[string]any{
		"state": p["state"], "title": p["title"],
	})
	for _, s := range []struct {
		key, ref string
		repo     map[string]any
	}{{"head", headRef, headRepo}, {"base", baseRef, baseRepo}} {
		b := out[s.key].(map[string]any)
		b["ref"] = s.ref
		if s.repo != nil {
			fields := map[string]any{}
			for _, k := range []string{"id", "fork"} {
				if v, ok := s.repo[k]; ok {
					fields[k] = v
				}
			}
			b["repo"] = githubtest.Repository(fmt.Sprint(s.repo["full_name"]), fields)
			b["label"] = fmt.Sprintf("%s:%s", b["repo"].(map[string]any)["owner"].(map[string]any)["login"], s.ref)
		}
	}
	return out
}

// chkGitHub is the fake GitHub as the threat-model check sees it: files by
// repository, ref and path, the pull request's changed files, and check runs.
type chkGitHub struct {
	t  *testing.T
	gh *githubtest.Server

	mu       sync.Mutex
	contents map[string][]byte // "owner/repo@ref:path"; ref "" is the default branch
	files    []map[string]any
	pull     map[string]any
	runs     []*chkRun
	nextID   int64
	// contentFault, when set, answers every content read but the config's.
	contentFault *githubtest.Response
	// graphQLFault, when set, answers every GraphQL request.
	graphQLFault *githubtest.Response
	// editBlob, when set, edits the configuration blob GraphQL answers.
	editBlob func(map[string]any)
}

func chkKey(owner, repo, ref, path string) string { return owner + "/" + repo + "@" + ref + ":" + path }

func newChkGitHub(t *testing.T) *chkGitHub {
	f := &chkGitHub{t: t, gh: githubtest.New(t), contents: map[string][]byte{}, nextID: githubtest.BigID + 7000}
	f.gh.Handle(routeContents, func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Accept"); a != "application/vnd.github.raw" {
			t.Errorf("content read with Accept %q, want the raw media type", a)
		}
		path := r.PathValue("path")
		f.mu.Lock()
		data, ok := f.contents[chkKey(r.PathValue("owner"), r.PathValue("repo"), r.URL.Query().Get("ref"), path)]
		fault := f.contentFault
		f.mu.Unlock()
		if fault != nil && path != checkrun.ConfigPath {
			fault.ServeHTTP(w, r)
			return
		}
		if !ok {
			writeJSON(w, 404, map[string]any{"message": "Not Found"})
			return
		}
		githubtest.ETag(fmt.Sprintf("%x", len(data)), githubtest.RawContent(data))(w, r)
	})
	f.gh.Handle(routeTree, func(w http.ResponseWriter, r *http.Request) {
		prefix := chkKey(r.PathValue("owner"), r.PathValue("repo"), r.PathValue("tree_sha"), "")
		var entries []any
		f.mu.Lock()
		for k := range f.contents {
			if p, ok := strings.CutPrefix(k, prefix); ok {
				entries = append(entries, githubtest.TreeEntry(r.PathValue("owner")+"/"+r.PathValue("repo"), p, len(f.contents[k])))
			}
		}
		f.mu.Unlock()
		writeJSON(w, 200, githubtest.GitTree(r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("tree_sha"), entries))
	})
	f.gh.Handle(routeFiles, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		files := f.files
		f.mu.Unlock()
		lo, hi := f.gh.Paginate(w, r, len(files))
		out := []any{}
		for _, file := range files[lo:hi] {
			full := githubtest.PullRequestFile(fmt.Sprint(file["filename"]), fmt.Sprint(file["status"]), 0, 0, "")
			for k, v := range file {
				full[k] = v
			}
			full["additions"] = full["changes"]
			out = append(out, full)
		}
		writeJSON(w, 200, out)
	})
	f.gh.Handle(routePull, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.pull == nil {
			writeJSON(w, 404, map[string]any{"message": "Not Found"})
			return
		}
		writeJSON(w, 200, restPull(f.pull))
	})
	f.gh.Handle(routeListRuns, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []any{}
		for _, run := range f.runs {
			if run.HeadSHA == r.PathValue("ref") && (q.Get("check_name") == "" || run.Name == q.Get("check_name")) &&
				(q.Get("app_id") == "" || strconv.FormatInt(run.AppID, 10) == q.Get("app_id")) {
				out = append(out, run.json())
			}
		}
		writeJSON(w, 200, githubtest.CheckRunList(out))
	})
	f.gh.Handle(routeCreateRun, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name               string `json:"name"`
			Head               string `json:"head_sha"`
			ExternalID         string `json:"external_id"`
			Status, Conclusion string
			CompletedAt        string `json:"completed_at"`
			Output             chkOutput
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("create body: %v", err)
		}
		if body.Status == "completed" && body.Conclusion == "" {
			t.Errorf("created a completed run without a conclusion")
		}
		f.mu.Lock()
		f.nextID++
		run := &chkRun{ID: f.nextID, AppID: githubtest.AppID, Name: body.Name, HeadSHA: body.Head, ExternalID: body.ExternalID,
			Status: body.Status, Conclusion: body.Conclusion, CompletedAt: body.CompletedAt,
			createdStatus: body.Status, createdConclusion: body.Conclusion}
		run.apply(body.Output)
		f.runs = append(f.runs, run)
		out := run.json()
		f.mu.Unlock()
		writeJSON(w, 201, out)
	})
	f.gh.Handle(routeUpdateRun, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name, Status, Conclusion string
			ExternalID               string `json:"external_id"`
			CompletedAt              string `json:"completed_at"`
			Output                   *chkOutput
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("update body: %v", err)
		}
		id, _ := strconv.ParseInt(r.PathValue("check_run_id"), 10, 64)
		f.mu.Lock()
		defer f.mu.Unlock()
		i := slices.IndexFunc(f.runs, func(c *chkRun) bool { return c.ID == id })
		if i < 0 {
			writeJSON(w, 404, map[string]any{"message": "Not Found"})
			return
		}
		run := f.runs[i]
		if run.Status == "completed" && body.Status != "" && body.Status != "completed" {
			t.Errorf("run %d moved from completed back to %s, which GitHub ignores", id, body.Status)
		}
		if body.Status != "" {
			run.Status = body.Status
		}
		if body.Conclusion != "" {
			run.Status, run.Conclusion, run.CompletedAt = "completed", body.Conclusion, body.CompletedAt
		}
		if body.ExternalID != "" {
			run.ExternalID = body.ExternalID
		}
		if body.Output != nil {
			run.apply(*body.Output)
		}
		writeJSON(w, 200, run.json())
	})
	f.gh.Handle(routeGraphQL, f.graphQL)
	return f
}

// databaseIDOverflow is GitHub's error when a query reads the databaseId, an Int, of a
// check run whose id is past 2^31; "" when it does not.
func databaseIDOverflow(query string, runs []*chkRun) string {
	_, runFields, _ := strings.Cut(query, "checkRuns(")
	if !strings.Contains(runFields, "databaseId") {
		return ""
	}
	for _, run := range runs {
		if run.ID > math.MaxInt32 {
			return "Int cannot represent non 32-bit signed integer value: " + strconv.FormatInt(run.ID, 10)
		}
	}
	return ""
}

// graphQL answers the check's query from the same files and runs the REST
// routes serve: the object at "<ref>:<path>" and the head commit's check
// suites, one per App, filtered by appId.
func (f *chkGitHub) graphQL(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fault := f.graphQLFault
	f.mu.Unlock()
	if fault != nil {
		fault.ServeHTTP(w, r)
		return
	}
	q, err := githubtest.DecodeGraphQL(r)
	if err != nil {
		f.t.Error(err)
		githubtest.GraphQLErrors(err.Error()).ServeHTTP(w, r)
		return
	}
	for _, part := range []string{"config: object(expression: $config)", "head: object(oid: $sha)",
		"checkSuites(first: $suites, filterBy: {appId: $appId})", "checkRuns(last: $runs)", "... on Blob", "... on Commit"} {
		if !strings.Contains(q.Query, part) {
			f.t.Errorf("GraphQL query lacks %q:\n%s", part, q.Query)
		}
	}
	v := q.Variables
	owner, repo, sha := fmt.Sprint(v["owner"]), fmt.Sprint(v["repo"]), fmt.Sprint(v["sha"])
	ref, path, _ := strings.Cut(fmt.Sprint(v["config"]), ":")
	if ref == "HEAD" {
		ref = ""
	}
	appID, _ := v["appId"].(float64)
	last, _ := v["runs"].(float64)

	f.mu.Lock()
	defer f.mu.Unlock()
	var config any
	if data, ok := f.contents[chkKey(owner, repo, ref, path)]; ok {
		blob := map[string]any{"__typename": "Blob", "byteSize": len(data), "isBinary": false, "isTruncated": false, "text": string(data)}
		if f.editBlob != nil {
			f.editBlob(blob)
		}
		config = blob
	}
	if msg := databaseIDOverflow(q.Query, f.runs); msg != "" {
		githubtest.GraphQLErrors(msg).ServeHTTP(w, r)
		return
	}
	byApp := map[int64][]any{}
	var apps []int64
	for _, run := range f.runs {
		if run.HeadSHA != sha || run.AppID != int64(appID) {
			continue
		}
		if _, ok := byApp[run.AppID]; !ok {
			apps = append(apps, run.AppID)
		}
		var conclusion any
		if run.Conclusion != "" {
			conclusion = strings.ToUpper(run.Conclusion)
		}
		// GitHub's databaseId is an Int, which cannot hold these ids; it would answer null
		// and an error, so the fake leaves it out: the id is in resourcePath.
		byApp[run.AppID] = append(byApp[run.AppID], map[string]any{"resourcePath": fmt.Sprintf("/%s/%s/runs/%d", owner, repo, run.ID), "name": run.Name,
			"status": strings.ToUpper(run.Status), "conclusion": conclusion, "externalId": run.ExternalID,
			"title": run.Title, "summary": run.Summary, "annotations": map[string]any{"totalCount": len(run.Annotations)}})
	}
	suites := []any{}
	for _, id := range apps {
		runs := byApp[id]
		runs = runs[max(0, len(runs)-int(last)):]
		suites = append(suites, map[string]any{"app": map[string]any{"databaseId": id, "slug": githubtest.AppSlug},
			"checkRuns": map[string]any{"nodes": runs}})
	}
	githubtest.GraphQLData(map[string]any{"repository": map[string]any{
		"config": config,
		"head":   map[string]any{"checkSuites": map[string]any{"nodes": suites}},
	}}).ServeHTTP(w, r)
}

type chkOutput struct {
	Title, Summary string
	Annotations    []map[string]any
}

func (r *chkRun) apply(o chkOutput) {
	if o.Title != "" {
		r.Title, r.Summary = o.Title, o.Summary
	}
	r.Annotations = append(r.Annotations, o.Annotations...)
	if len(o.Annotations) > 0 {
		r.Batches = append(r.Batches, len(o.Annotations))
	}
}

func (f *chkGitHub) put(owner, repo, ref, path string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents[chkKey(owner, repo, ref, path)] = data
}

func (f *chkGitHub) allRuns() []chkRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]chkRun, len(f.runs))
	for i, r := range f.runs {
		out[i] = *r
		out[i].Annotations = slices.Clone(r.Annotations)
	}
	return out
}

// calls lists the requests the check made, auth left out, as "METHOD pattern".
func (f *chkGitHub) calls() []string {
	var out []string
	for _, r := range f.gh.Requests() {
		if r.Pattern == "" || strings.Contains(r.Path, "/access_tokens") || r.Path == "/app" {
			continue
		}
		out = append(out, r.Pattern)
	}
	return out
}

func chkFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "check", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chkEnv is the check handler wired to a fake GitHub, with the Node.js-like
// repository nodejs/node-sec whose SECURITY.md the pull request changes.
type chkEnv struct {
	*chkGitHub
	svc *checkrun.Service
	h   *handler.Check
}

func newChkEnv(t *testing.T, cap int) *chkEnv {
	return newChkEnvWith(t, checkrun.Options{App: appid.Fixed(githubtest.AppID, ""), MaxAnnotations: cap})
}

func newChkEnvWith(t *testing.T, opts checkrun.Options) *chkEnv {
	f := newChkGitHub(t)
	cc := f.clients()
	clock := func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }
	svc := checkrun.New(cc, clock, zerolog.Nop(), opts)
	h := handler.NewCheck(handler.Base{Clients: cc, App: appid.Fixed(0, githubtest.AppSlug)}, svc)
	e := &chkEnv{chkGitHub: f, svc: svc, h: h}
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, chkFixture(t, "secwg.yml"))
	e.put("nodejs", "node-sec", chkHead, "SECURITY.md", chkFixture(t, "head.md"))
	e.put("nodejs", "node-sec", chkBase, "SECURITY.md", chkFixture(t, "base.md"))
	e.files = []map[string]any{
		{"filename": "lib/http.js", "status": "modified", "changes": 2, "patch": "@@ -1 +1 @@\n-a\n+b"},
		{"filename": "SECURITY.md", "status": "modified", "changes": 6, "patch": string(chkFixture(t, "head.patch"))},
	}
	return e
}

// clients are go-githubapp's, REST and GraphQL both pointed at the fake.
func (f *chkGitHub) clients() githubapp.ClientCreator {
	var cfg githubapp.Config
	cfg.V3APIURL = f.gh.URL()
	cfg.V4APIURL = f.gh.URL() + "graphql"
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(f.gh.PrivateKeyPEM())
	cc, err := githubclient.NewCreator(githubclient.Options{Config: cfg, CacheSize: 1 << 20,
		Retry: githubclient.RetryPolicy{MaxAttempts: 2, MaxElapsed: 5 * time.Second, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		f.t.Fatal(err)
	}
	return cc
}

// deliver hands the handler a payload fixture, edited by mutate when set.
func (e *chkEnv) deliver(t *testing.T, event, fixture string, mutate func(map[string]any)) error {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(chkFixture(t, fixture), &p); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(p)
	}
	body, _ := json.Marshal(p)
	action, _ := p["action"].(string)
	if !e.h.HandlesAction(event, action) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.h.Handle(ctx, event, "delivery-1", body)
}

func annotationsOf(run chkRun, level string) []string {
	var out []string
	for _, a := range run.Annotations {
		if a["annotation_level"] == level {
			out = append(out, fmt.Sprint(a["title"]))
		}
	}
	return out
}

func hasEntry(titles []string, id string) bool {
	return slices.ContainsFunc(titles, func(s string) bool { return strings.HasPrefix(s, id+" ") })
}

func TestCheckPostsOneRunOnTheHeadCommitWithinTheCallBudget(t *testing.T) {
	tests := []struct {
		name, fixture string
	}{
		{"pull request from a branch", "pull_request.json"},
		{"pull request from a fork", "pull_request.fork.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			if err := e.deliver(t, "pull_request", tt.fixture, nil); err != nil {
				t.Fatal(err)
			}
			runs := e.allRuns()
			if len(runs) != 1 {
				t.Fatalf("%d runs, want 1", len(runs))
			}
			r := runs[0]
			if r.createdStatus != "in_progress" || r.Status != "completed" || r.Conclusion != "failure" {
				t.Errorf("run created %s, now %s/%s; want created in_progress, completed failure", r.createdStatus, r.Status, r.Conclusion)
			}
			if r.HeadSHA != chkHead || r.ExternalID != "42" || r.Name != "threat-model" || r.CompletedAt == "" {
				t.Errorf("run %+v", r)
			}
			if fails := annotationsOf(r, "failure"); !hasEntry(fails, "T-FS-001") {
				t.Errorf("failure annotations %q lack the new threat's errors", fails)
			}
			if !strings.HasPrefix(r.Title, "2 errors") || !strings.Contains(r.Summary, "STRIDE × environment") {
				t.Errorf("title %q, summary %q", r.Title, r.Summary)
			}
			// Every read goes to the base repository, a fork's head by SHA.
			for _, req := range e.gh.Requests() {
				if strings.HasPrefix(req.Path, "/repos/") && !strings.HasPrefix(req.Path, "/repos/nodejs/node-sec/") {
					t.Errorf("request to %s, want only the base repository", req.Path)
				}
			}
			// One GraphQL query reads the configuration and finds the App's runs.
			want := []string{routeGraphQL, routeFiles, routeCreateRun, routeContents, routeUpdateRun}
			if got := e.calls(); !slices.Equal(got, want) {
				t.Errorf("calls\n%q\nwant\n%q", got, want)
			}
			if n := e.gh.CallsExcludingAuth(); n > 5 {
				t.Errorf("%d API calls, budget is 5 (see the checkrun package doc)", n)
			}
			if rest, gql := e.gh.CallsExcludingAuth()-e.gh.Count(routeGraphQL), e.gh.Count(routeGraphQL); rest != 4 || gql != 1 {
				t.Errorf("%d REST and %d GraphQL calls, want 4 and 1", rest, gql)
			}
		})
	}
}

func TestCheckEnforcesOnlyWhatThePullRequestChanges(t *testing.T) {
	tests := []struct {
		name, head, patch string
		conclusion        string
	}{
		{"new broken threat fails, legacy one is a notice", "head.md", "head.patch", "failure"},
		{"valid change passes despite the broken legacy entry", "head_ok.md", "head_ok.patch", "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			e.put("nodejs", "node-sec", chkHead, "SECURITY.md", chkFixture(t, tt.head))
			e.files[1]["patch"] = string(chkFixture(t, tt.patch))
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			r := e.allRuns()[0]
			if r.Conclusion != tt.conclusion {
				t.Errorf("conclusion %s, want %s; summary:\n%s", r.Conclusion, tt.conclusion, r.Summary)
			}
			if hasEntry(annotationsOf(r, "failure"), "T-LEGACY-001") {
				t.Errorf("untouched legacy entry failed: %q", annotationsOf(r, "failure"))
			}
			if !strings.Contains(r.Summary, "### What this change does to the model\n") || !strings.Contains(r.Summary, "\n- changed ") && !strings.Contains(r.Summary, "\n- added ") {
				t.Errorf("summary does not list the changes:\n%s", r.Summary)
			}
			if !hasEntry(annotationsOf(r, "notice"), "T-LEGACY-001") {
				t.Errorf("untouched legacy entry not noted: %q", annotationsOf(r, "notice"))
			}
			if e.gh.Count(routeContents) != 1 {
				t.Errorf("%d content reads, want the head's only: the base comes from the patch, the config with the GraphQL query", e.gh.Count(routeContents))
			}
		})
	}
}

func TestCheckReadsTheBaseWhenThePatchIsMissingOrStale(t *testing.T) {
	tests := []struct {
		name  string
		patch any
	}{
		{"patch left out", nil},
		{"patch of another version", "@@ -1,1 +1,1 @@\n-nothing\n+like this"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			if tt.patch == nil {
				delete(e.files[1], "patch")
			} else {
				e.files[1]["patch"] = tt.patch
			}
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			r := e.allRuns()[0]
			if r.Conclusion != "failure" || hasEntry(annotationsOf(r, "failure"), "T-LEGACY-001") {
				t.Errorf("conclusion %s, failures %q", r.Conclusion, annotationsOf(r, "failure"))
			}
			var refs []string
			for _, req := range e.gh.Requests() {
				if req.Pattern == routeContents {
					refs = append(refs, req.RawQuery)
				}
			}
			if want := []string{"ref=" + chkHead, "ref=" + chkBase}; !slices.Equal(refs, want) {
				t.Errorf("content reads %q, want %q", refs, want)
			}
		})
	}
}

func TestRedeliveredEventUpdatesTheSameRun(t *testing.T) {
	e := newChkEnv(t, 0)
	for i := 0; i < 2; i++ {
		if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
			t.Fatal(err)
		}
	}
	runs := e.allRuns()
	if len(runs) != 1 || e.gh.Count(routeCreateRun) != 1 {
		t.Fatalf("%d runs from %d POSTs, want one", len(runs), e.gh.Count(routeCreateRun))
	}
	if n := e.gh.Count(routeUpdateRun); n != 2 {
		t.Errorf("%d PATCHes, want the completion and the redelivery's update", n)
	}
	first := len(annotationsOf(runs[0], "failure")) + len(annotationsOf(runs[0], "notice")) + len(annotationsOf(runs[0], "warning"))
	if len(runs[0].Batches) != 1 || first != runs[0].Batches[0] {
		t.Errorf("annotations sent in batches %v; a redelivery must not append them again", runs[0].Batches)
	}
}

func TestRunLeftInProgressIsTakenOver(t *testing.T) {
	e := newChkEnv(t, 0)
	e.runs = append(e.runs, &chkRun{ID: githubtest.BigID + 6000, AppID: githubtest.AppID, Name: "threat-model", HeadSHA: chkHead, Status: "in_progress"},
		&chkRun{ID: githubtest.BigID + 6001, AppID: 99, Name: "threat-model", HeadSHA: chkHead, Status: "in_progress"})
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	runs := e.allRuns()
	if len(runs) != 2 || runs[0].Status != "completed" || runs[1].Status != "in_progress" {
		t.Errorf("runs %+v; want the App's own run completed and another App's untouched", runs)
	}
	if e.gh.Count(routeCreateRun) != 0 {
		t.Error("a second run was created")
	}
}

func TestRerequestUpdatesTheExistingRun(t *testing.T) {
	sameRun := func(e *chkEnv) func(map[string]any) {
		return func(p map[string]any) {
			cr := p["check_run"].(map[string]any)
			r := e.allRuns()[0]
			cr["id"], cr["output"], cr["status"], cr["conclusion"] = r.ID, r.json()["output"], r.Status, r.Conclusion
		}
	}
	tests := []struct {
		name, event, fixture string
		mutate               func(*chkEnv) func(map[string]any)
		calls                []string
	}{
		{"check_run names the run", "check_run", "check_run.json", sameRun,
			[]string{routeContents, routeFiles, routeContents, routeUpdateRun}},
		{"check_run of a fork names its pull request in external_id", "check_run", "check_run.json",
			func(e *chkEnv) func(map[string]any) {
				return func(p map[string]any) {
					sameRun(e)(p)
					p["check_run"].(map[string]any)["pull_requests"] = []any{}
				}
			},
			[]string{routePull, routeContents, routeFiles, routeContents, routeUpdateRun}},
		{"check_suite", "check_suite", "check_suite.json", nil,
			[]string{routeGraphQL, routeFiles, routeContents, routeUpdateRun}},
		{"check_suite of a fork finds its pull request through the run", "check_suite", "check_suite.json",
			func(*chkEnv) func(map[string]any) {
				return func(p map[string]any) { p["check_suite"].(map[string]any)["pull_requests"] = []any{} }
			},
			[]string{routeListRuns, routePull, routeGraphQL, routeFiles, routeContents, routeUpdateRun}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			var p map[string]any
			_ = json.Unmarshal(chkFixture(t, "pull_request.json"), &p)
			e.pull = p["pull_request"].(map[string]any)
			before := len(e.gh.Requests())
			var mutate func(map[string]any)
			if tt.mutate != nil {
				mutate = tt.mutate(e)
			}
			if err := e.deliver(t, tt.event, tt.fixture, mutate); err != nil {
				t.Fatal(err)
			}
			runs := e.allRuns()
			if len(runs) != 1 || runs[0].Status != "completed" {
				t.Fatalf("runs %+v, want the one run updated", runs)
			}
			var got []string
			for _, r := range e.gh.Requests()[before:] {
				if r.Pattern != "" && !strings.Contains(r.Path, "/access_tokens") {
					got = append(got, r.Pattern)
				}
			}
			if !slices.Equal(got, tt.calls) {
				t.Errorf("calls\n%q\nwant\n%q", got, tt.calls)
			}
		})
	}
}

func TestRerequestOfAnotherAppsRunIsIgnored(t *testing.T) {
	tests := []struct{ event, fixture, key string }{
		{"check_run", "check_run.json", "check_run"},
		{"check_suite", "check_suite.json", "check_suite"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			e := newChkEnv(t, 0)
			err := e.deliver(t, tt.event, tt.fixture, func(p map[string]any) {
				p[tt.key].(map[string]any)["app"] = map[string]any{"id": 15368, "slug": "github-actions"}
			})
			if err != nil || e.gh.CallsExcludingAuth() != 0 {
				t.Errorf("err %v, calls %q; want none", err, e.calls())
			}
		})
	}
}

func TestBrokenConfigFailsNamingFileLineAndKey(t *testing.T) {
	e := newChkEnv(t, 0)
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, chkFixture(t, "broken.yml"))
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	runs := e.allRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].createdStatus != "completed" {
		t.Fatalf("runs %+v, want one failed run", runs)
	}
	for _, want := range []string{".github/secwg.yml", "line 3", "rulez"} {
		if !strings.Contains(runs[0].Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, runs[0].Summary)
		}
	}
	if want := []string{routeGraphQL, routeCreateRun}; !slices.Equal(e.calls(), want) {
		t.Errorf("calls %q, want %q", e.calls(), want)
	}
}

func TestManyFindingsAreAnnotatedFiftyPerRequest(t *testing.T) {
	tests := []struct {
		name    string
		cap     int
		batches []int
	}{
		{"120 findings in three requests", 0, []int{50, 50, 20}},
		{"capped at 60", 60, []int{50, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, tt.cap)
			var doc strings.Builder
			doc.WriteString("# Model\n")
			for i := 1; i <= 120; i++ {
				// Each threat lacks its STRIDE field and nothing else.
				fmt.Fprintf(&doc, "\n#### T-GEN-%03d: Generated threat (CWE-400)\n\n- **Status**: Accepted\n- **Rationale**: Out of scope.\n", i)
			}
			lines := strings.Split(strings.TrimSuffix(doc.String(), "\n"), "\n")
			patch := fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))
			e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte("threat_model:\n  paths: [\"threats/*.md\"]\n"))
			e.files = []map[string]any{{"filename": "threats/generated.md", "status": "added", "changes": len(lines), "patch": patch}}
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			r := e.allRuns()[0]
			if !slices.Equal(r.Batches, tt.batches) {
				t.Errorf("annotation batches %v, want %v", r.Batches, tt.batches)
			}
			if fails := annotationsOf(r, "failure"); len(fails) != len(r.Annotations) || !strings.Contains(fails[0], "stride-missing") {
				t.Errorf("%d of %d annotations are failures, first %q", len(fails), len(r.Annotations), fails)
			}
			if tt.cap > 0 && !strings.Contains(r.Summary, "60 more findings are not annotated") {
				t.Errorf("summary does not say what the cap left out:\n%s", r.Summary)
			}
			// An added file's patch is the file, and the config came with the
			// GraphQL query: no content read at all.
			if n := e.gh.Count(routeContents); n != 0 {
				t.Errorf("%d content reads, want none", n)
			}
		})
	}
}

func TestNoOptInPostsNothing(t *testing.T) {
	tests := []struct {
		name      string
		repo, org []byte // nil: no file
		calls     []string
	}{
		{"no config anywhere", nil, nil, []string{routeGraphQL, routeContents}},
		{"config without paths", []byte("threat_model: {}\n"), nil, []string{routeGraphQL}},
		{"organization default without paths", nil, []byte("# nothing enabled\n"), []string{routeGraphQL, routeContents}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			delete(e.contents, chkKey("nodejs", "node-sec", "main", checkrun.ConfigPath))
			if tt.repo != nil {
				e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, tt.repo)
			}
			if tt.org != nil {
				e.put("nodejs", ".github", "", checkrun.ConfigPath, tt.org)
			}
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			if got := e.calls(); !slices.Equal(got, tt.calls) {
				t.Errorf("calls %q, want %q", got, tt.calls)
			}
		})
	}
}

func TestOrganizationDefaultAppliesWhenTheRepositoryHasNone(t *testing.T) {
	e := newChkEnv(t, 0)
	delete(e.contents, chkKey("nodejs", "node-sec", "main", checkrun.ConfigPath))
	e.put("nodejs", ".github", "", checkrun.ConfigPath, chkFixture(t, "secwg.yml"))
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	if runs := e.allRuns(); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Errorf("runs %+v, want the organization's check", runs)
	}
}

func TestNoModelFileChangedPassesCheaply(t *testing.T) {
	e := newChkEnv(t, 0)
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, chkFixture(t, "other.yml"))
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	runs := e.allRuns()
	if len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].Title != "No threat-model file changed" {
		t.Fatalf("runs %+v", runs)
	}
	if want := []string{routeGraphQL, routeFiles, routeCreateRun}; !slices.Equal(e.calls(), want) {
		t.Errorf("calls %q, want %q", e.calls(), want)
	}
}

func TestInternalErrorCompletesTheRunAsFailure(t *testing.T) {
	tests := []struct {
		name    string
		fault   githubtest.Response
		timeout time.Duration
	}{
		{"GitHub keeps failing", githubtest.Response{Status: 502, Body: map[string]any{"message": "Server Error"}}, 20 * time.Second},
		{"the job's deadline passes", githubtest.Response{Delay: 10 * time.Second, Body: "late"}, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			e.contentFault = &tt.fault
			body := chkFixture(t, "pull_request.json")
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			if err := e.h.Handle(ctx, "pull_request", "delivery-1", body); err == nil {
				t.Error("no error returned")
			}
			runs := e.allRuns()
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
				t.Fatalf("runs %+v, want one completed failure", runs)
			}
			if !strings.Contains(runs[0].Summary, "could not finish") || !strings.Contains(runs[0].Summary, "SECURITY.md") {
				t.Errorf("summary does not explain:\n%s", runs[0].Summary)
			}
		})
	}
}

func TestModelOverTheSizeCapFails(t *testing.T) {
	e := newChkEnv(t, 0)
	big := append([]byte("# Model\n"), make([]byte, 16<<20)...)
	e.put("nodejs", "node-sec", chkHead, "SECURITY.md", big)
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	r := e.allRuns()[0]
	if r.Conclusion != "failure" || r.Title != "Threat model too large" || !strings.Contains(r.Summary, "SECURITY.md") {
		t.Errorf("run %+v", r)
	}
}

func TestRecheckCommandChecksTheHeadCommit(t *testing.T) {
	e := newChkEnv(t, 0)
	var p map[string]any
	_ = json.Unmarshal(chkFixture(t, "pull_request.json"), &p)
	e.pull = p["pull_request"].(map[string]any)
	if err := e.svc.Recheck(context.Background(), 31337, "nodejs/node-sec", 42); err != nil {
		t.Fatal(err)
	}
	if runs := e.allRuns(); len(runs) != 1 || runs[0].HeadSHA != chkHead || runs[0].Conclusion != "failure" {
		t.Errorf("runs %+v", runs)
	}
	if err := e.svc.Recheck(context.Background(), 31337, "node-sec", 42); err == nil {
		t.Error("a repository without owner was accepted")
	}
}

func TestCheckHandlesOnlyItsActions(t *testing.T) {
	h := handler.NewCheck(handler.Base{}, nil)
	tests := []struct {
		event, action string
		want          bool
	}{
		{"pull_request", "opened", true},
		{"pull_request", "reopened", true},
		{"pull_request", "synchronize", true},
		{"pull_request", "ready_for_review", true},
		{"pull_request", "edited", true},
		{"pull_request", "closed", false},
		{"pull_request", "labeled", false},
		{"check_run", "rerequested", true},
		{"check_run", "completed", false},
		{"check_suite", "rerequested", true},
		{"check_suite", "requested", false},
		{"issues", "opened", false},
	}
	for _, tt := range tests {
		if got := h.HandlesAction(tt.event, tt.action); got != tt.want {
			t.Errorf("HandlesAction(%s, %s) = %v", tt.event, tt.action, got)
		}
	}
}

func TestEditedPullRequestIsCheckedOnlyWhenItsBaseChanged(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]any
		runs    int
	}{
		{"title edited", map[string]any{"title": map[string]any{"from": "old"}}, 0},
		{"base changed", map[string]any{"base": map[string]any{"ref": map[string]any{"from": "v20.x"}, "sha": map[string]any{"from": chkBase}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			err := e.deliver(t, "pull_request", "pull_request.json", func(p map[string]any) {
				p["action"], p["changes"] = "edited", tt.changes
			})
			if err != nil || len(e.allRuns()) != tt.runs {
				t.Errorf("err %v, %d runs, want %d", err, len(e.allRuns()), tt.runs)
			}
			if tt.runs == 0 && e.gh.CallsExcludingAuth() != 0 {
				t.Errorf("calls %q, want none", e.calls())
			}
		})
	}
}

func TestUnchangedModelFilesCompleteTheModel(t *testing.T) {
	const changed = "# HTTP\n\n#### T-HTTP-002: Header injection (CWE-113)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SHARED-001\n"
	const shared = "# Mitigations\n\n#### M-SHARED-001: Validate header values\n\n- **Status**: Implemented\n"
	tests := []struct {
		name, config string
		calls        []string
	}{
		{"glob lists the head commit's tree", "threat_model:\n  paths: [\"threats/*.md\"]\n",
			[]string{routeGraphQL, routeFiles, routeCreateRun, routeTree, routeContents, routeUpdateRun}},
		{"literal paths are read directly", "threat_model:\n  paths: [threats/http.md, threats/shared.md, threats/absent.md]\n",
			[]string{routeGraphQL, routeFiles, routeCreateRun, routeContents, routeContents, routeUpdateRun}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			e.contents = map[string][]byte{}
			e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte(tt.config))
			e.put("nodejs", "node-sec", chkHead, "threats/http.md", []byte(changed))
			e.put("nodejs", "node-sec", chkHead, "threats/shared.md", []byte(shared))
			lines := strings.Split(strings.TrimSuffix(changed, "\n"), "\n")
			e.files = []map[string]any{{"filename": "threats/http.md", "status": "added", "changes": len(lines),
				"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))}}
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			r := e.allRuns()[0]
			if r.Conclusion != "success" {
				t.Errorf("conclusion %s, failures %q; the mitigation is defined in the unchanged file", r.Conclusion, annotationsOf(r, "failure"))
			}
			if got := e.calls(); !slices.Equal(got, tt.calls) {
				t.Errorf("calls\n%q\nwant\n%q", got, tt.calls)
			}
		})
	}
}

func TestCheckFallsBackToRESTWhenGraphQLCannotAnswer(t *testing.T) {
	rest := []string{routeContents, routeListRuns, routeFiles, routeCreateRun, routeContents, routeUpdateRun}
	tests := []struct {
		name  string
		fault *githubtest.Response
		appID int64
		calls []string
	}{
		{"errors array", ptr(githubtest.GraphQLErrors("Something went wrong while executing your query.")), githubtest.AppID,
			append([]string{routeGraphQL}, rest...)},
		{"GitHub failing, retried once", &githubtest.Response{Status: 502, Body: map[string]any{"message": "Server Error"}}, githubtest.AppID,
			append([]string{routeGraphQL, routeGraphQL}, rest...)},
		{"repository missing from the answer", ptr(githubtest.GraphQLData(map[string]any{"repository": nil})), githubtest.AppID,
			append([]string{routeGraphQL}, rest...)},
		{"App id unknown: REST only", nil, 0, rest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := checkrun.Options{App: appid.Fixed(tt.appID, "")}
			if tt.appID == 0 {
				opts.App = appid.Fixed(0, githubtest.AppSlug)
			}
			e := newChkEnvWith(t, opts)
			e.graphQLFault = tt.fault
			// The first delivery posts the run through REST alone; the second
			// must find it there and update it rather than add another.
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			before := len(e.calls())
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			runs := e.allRuns()
			if len(runs) != 1 || runs[0].createdStatus != "in_progress" || runs[0].Conclusion != "failure" {
				t.Fatalf("runs %+v, want one run, created in progress and completed as failure", runs)
			}
			if got := e.calls()[:before]; !slices.Equal(got, tt.calls) {
				t.Errorf("calls\n%q\nwant\n%q", got, tt.calls)
			}
		})
	}
}

func TestConfigTheGraphQLAnswerCannotGiveExactly(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(map[string]any)
		calls      []string
		title      string
		conclusion string
	}{
		{"truncated text is read through REST", func(b map[string]any) { b["isTruncated"], b["text"] = true, "threat_model:" },
			[]string{routeGraphQL, routeContents, routeFiles, routeCreateRun, routeContents, routeUpdateRun}, "2 errors", "failure"},
		{"text in another encoding is read through REST", func(b map[string]any) { b["byteSize"] = b["byteSize"].(int) + 3 },
			[]string{routeGraphQL, routeContents, routeFiles, routeCreateRun, routeContents, routeUpdateRun}, "2 errors", "failure"},
		{"a file over the cap fails the check unread", func(b map[string]any) { b["byteSize"], b["text"] = checkrun.MaxConfigSize+1, nil },
			[]string{routeGraphQL, routeCreateRun}, "Broken configuration", "failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			e.editBlob = tt.edit
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			runs := e.allRuns()
			if len(runs) != 1 || runs[0].Conclusion != tt.conclusion || !strings.HasPrefix(runs[0].Title, tt.title) {
				t.Fatalf("runs %+v", runs)
			}
			if got := e.calls(); !slices.Equal(got, tt.calls) {
				t.Errorf("calls\n%q\nwant\n%q", got, tt.calls)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestModelWithoutEntriesIsNeutral(t *testing.T) {
	tests := []struct{ name, config, file string }{
		{"no entries", "", "# Security\n\n## Threat model\n\nReport vulnerabilities to the security team.\n"},
		{"misspelt section", "threat_model:\n  paths: [\"SECURITY.md\"]\n  section: Threat modle\n", string(chkFixture(t, "head_ok.md"))}, //nolint:misspell // the misspelling is the case
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newChkEnv(t, 0)
			if tt.config != "" {
				e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte(tt.config))
			}
			lines := strings.Split(strings.TrimSuffix(tt.file, "\n"), "\n")
			e.files[1] = map[string]any{"filename": "SECURITY.md", "status": "added", "changes": len(lines),
				"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))}
			if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
				t.Fatal(err)
			}
			r := e.allRuns()[0]
			if r.Conclusion == "success" {
				t.Errorf("a model that yields no entries passed: %s\n%s", r.Title, r.Summary)
			}
			if tt.config == "" && r.Conclusion != "neutral" {
				t.Errorf("conclusion %s, want neutral", r.Conclusion)
			}
		})
	}
}

const routeCreateReview = "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews"

// chkReview is a review as the fake GitHub received it.
type chkReview struct {
	CommitID string `json:"commit_id"`
	Event    string `json:"event"`
	Body     string `json:"body"`
	Comments []struct {
		Path string `json:"path"`
		Line int    `json:"line"`
		Side string `json:"side"`
		Body string `json:"body"`
	} `json:"comments"`
}

// acceptReviews makes the fake GitHub record the reviews it is sent.
func (e *chkEnv) acceptReviews(t *testing.T) *[]chkReview {
	var reviews []chkReview
	e.gh.Handle(routeCreateReview, func(w http.ResponseWriter, r *http.Request) {
		var rv chkReview
		if err := json.NewDecoder(r.Body).Decode(&rv); err != nil {
			t.Errorf("review body: %v", err)
		}
		e.mu.Lock()
		reviews = append(reviews, rv)
		n := len(reviews)
		e.mu.Unlock()
		writeJSON(w, 200, githubtest.PullRequestReview(r.PathValue("owner")+"/"+r.PathValue("repo"), 42,
			githubtest.BigID+900+int64(n), githubtest.AppSlug+"[bot]", "COMMENTED", rv.CommitID, rv.Body))
	})
	return &reviews
}

func TestFixableLinesGetOneReviewOfSuggestionsPerHeadCommit(t *testing.T) {
	e := newChkEnv(t, 0)
	reviews := e.acceptReviews(t)
	model := "# Security\n\n## Threat model\n\n#### T-NEW-001: Swapped blob (CWE-94)\n\n- **STRIDE**: Tampring, EoP\n- **Status**: Accepted\n- **Rationale**: the operator is trusted\n"
	lines := strings.Split(strings.TrimSuffix(model, "\n"), "\n")
	e.files[1] = map[string]any{"filename": "SECURITY.md", "status": "added", "changes": len(lines),
		"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))}
	for range 2 { // a redelivery posts no second review
		if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(*reviews) != 1 {
		t.Fatalf("%d reviews, want one per head commit", len(*reviews))
	}
	rv := (*reviews)[0]
	if rv.CommitID != chkHead || rv.Event != "COMMENT" || len(rv.Comments) != 1 {
		t.Fatalf("review %+v", rv)
	}
	c := rv.Comments[0]
	want := "```suggestion\n- **STRIDE**: Tampering, Elevation of privilege\n```\n"
	if c.Path != "SECURITY.md" || c.Line != 7 || c.Side != "RIGHT" || !strings.HasSuffix(c.Body, want) || !strings.Contains(c.Body, "did you mean Tampering?") {
		t.Errorf("comment %+v, want a suggestion on line 7 ending %q", c, want)
	}
	if n := e.gh.Count(routeCreateReview); n != 1 {
		t.Errorf("%d review requests, want 1", n)
	}

	// A new head commit gets a review of its own.
	const newHead = "3333333333333333333333333333333333333333"
	if err := e.deliver(t, "pull_request", "pull_request.json", func(p map[string]any) {
		p["action"] = "synchronize"
		p["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = newHead
	}); err != nil {
		t.Fatal(err)
	}
	if len(*reviews) != 2 || (*reviews)[1].CommitID != newHead {
		t.Errorf("reviews %+v, want a second one on the new head", *reviews)
	}
}

func TestLinesThePullRequestDidNotAddGetNoSuggestion(t *testing.T) {
	e := newChkEnv(t, 0)
	reviews := e.acceptReviews(t)
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	for _, rv := range *reviews {
		for _, c := range rv.Comments {
			t.Errorf("suggestion on %s:%d, a line the patch does not add", c.Path, c.Line)
		}
	}
}

func TestModelFilesPastTheCheckBudgetFail(t *testing.T) {
	e := newChkEnv(t, 0)
	e.contents = map[string][]byte{}
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte("threat_model:\n  paths: [\"threats/*.md\"]\n"))
	const changed = "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: r\n"
	lines := strings.Split(strings.TrimSuffix(changed, "\n"), "\n")
	e.files = []map[string]any{{"filename": "threats/a.md", "status": "added", "changes": len(lines),
		"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))}}
	e.put("nodejs", "node-sec", chkHead, "threats/a.md", []byte(changed))
	filler := []byte(strings.Repeat("Prose.\n", threatmodel.MaxDocumentSize/7))
	for i := range threatmodel.MaxModelSize/threatmodel.MaxDocumentSize + 1 {
		e.put("nodejs", "node-sec", chkHead, fmt.Sprintf("threats/z%02d.md", i), filler)
	}
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	r := e.allRuns()[0]
	if r.Conclusion != "failure" || r.Title != "Threat model too large" || !strings.Contains(r.Summary, "8 MiB together") {
		t.Errorf("run %s %q:\n%s", r.Conclusion, r.Title, r.Summary)
	}
}

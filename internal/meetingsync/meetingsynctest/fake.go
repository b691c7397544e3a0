// Package meetingsynctest keeps a repository's issues, search index, branches and
// pull requests behind the fake GitHub, so meeting tests read back what they wrote.
package meetingsynctest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
)

// InstallationID is the installation every repository and org answers with.
const InstallationID = 7

// AppLogin is the login of the fake App's issues.
const AppLogin = githubtest.AppSlug + "[bot]"

// Issue is an issue or pull request on the fake.
type Issue struct {
	Repo    string
	Number  int
	Title   string
	Body    string
	Author  string
	Closed  bool
	PR      bool
	Labels  []string
	Created time.Time
}

// PullRequest is a pull request opened through the API.
type PullRequest struct {
	Number     int
	Head, Base string
	Title      string
	Body       string
	Closed     bool
}

// GitHub is the state behind a githubtest.Server.
type GitHub struct {
	gh       *githubtest.Server
	mu       sync.Mutex
	issues   map[string]*Issue // "owner/name#n"
	next     map[string]int
	clock    func() time.Time
	refs     map[string]string            // "heads/main" → commit sha
	commits  map[string][2]string         // sha → {tree, parent}
	trees    map[string]map[string]string // tree sha → path → content
	pulls    []*PullRequest
	nextSHA  int
	searches map[string]int // query → calls
	// incomplete marks search answers as GitHub does when a search timed out.
	incomplete bool
	Branch     string // default branch
	HTMLBase   string
}

// New registers the fake's routes on s.
func New(s *githubtest.Server) *GitHub {
	f := &GitHub{
		gh:       s,
		issues:   map[string]*Issue{},
		next:     map[string]int{},
		refs:     map[string]string{},
		commits:  map[string][2]string{},
		trees:    map[string]map[string]string{githubtest.SHA("tree0"): {}},
		clock:    time.Now,
		Branch:   "main",
		HTMLBase: "https://github.com/",
	}
	f.commits[githubtest.SHA("c0")] = [2]string{githubtest.SHA("tree0"), ""}
	f.refs["heads/main"] = githubtest.SHA("c0")
	s.Handle("GET /repos/{owner}/{repo}/installation", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, githubtest.Installation(InstallationID, r.PathValue("owner")))
	})
	s.Handle("GET /orgs/{org}/installation", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, githubtest.Installation(InstallationID, r.PathValue("org")))
	})
	s.Handle("GET /repos/{owner}/{repo}/issues", f.listIssues)
	s.Handle("POST /repos/{owner}/{repo}/issues", f.createIssue)
	s.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}", f.getIssue)
	s.Handle("PATCH /repos/{owner}/{repo}/issues/{issue_number}", f.editIssue)
	s.Handle("GET /search/issues", f.search)
	s.Handle("GET /repos/{owner}/{repo}", f.getRepo)
	s.Handle("GET /repos/{owner}/{repo}/contents/{path...}", f.getContents)
	s.Handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", f.getRef)
	s.Handle("POST /repos/{owner}/{repo}/git/refs", f.createRef)
	s.Handle("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", f.updateRef)
	s.Handle("GET /repos/{owner}/{repo}/git/commits/{sha}", f.getCommit)
	s.Handle("POST /repos/{owner}/{repo}/git/commits", f.createCommit)
	s.Handle("POST /repos/{owner}/{repo}/git/trees", f.createTree)
	s.Handle("GET /repos/{owner}/{repo}/pulls", f.listPulls)
	s.Handle("POST /repos/{owner}/{repo}/pulls", f.createPull)
	return f
}

// SetIncompleteSearch makes search answers carry incomplete_results: true, as GitHub's
// do when the search timed out before it saw every match.
func (f *GitHub) SetIncompleteSearch(incomplete bool) {
	f.mu.Lock()
	f.incomplete = incomplete
	f.mu.Unlock()
}

// SetClock sets the creation time of new issues.
func (f *GitHub) SetClock(now func() time.Time) { f.mu.Lock(); f.clock = now; f.mu.Unlock() }

func key(repo string, n int) string { return strings.ToLower(repo) + "#" + strconv.Itoa(n) }

// Add puts an issue on the fake and returns its number (given or next free).
func (f *GitHub) Add(is Issue) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if is.Number == 0 {
		f.next[strings.ToLower(is.Repo)]++
		is.Number = f.next[strings.ToLower(is.Repo)] + 1000
	}
	if is.Created.IsZero() {
		is.Created = f.clock()
	}
	c := is
	f.issues[key(is.Repo, is.Number)] = &c
	return is.Number
}

// Issue returns a copy of repo#n.
func (f *GitHub) Issue(repo string, n int) (Issue, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	is, ok := f.issues[key(repo, n)]
	if !ok {
		return Issue{}, false
	}
	return *is, true
}

// Update changes repo#n in place.
func (f *GitHub) Update(repo string, n int, change func(*Issue)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f.issues[key(repo, n)])
}

// IssuesBy lists repo's issues written by author, by number.
func (f *GitHub) IssuesBy(repo, author string) []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Issue
	for _, is := range f.issues {
		if strings.EqualFold(is.Repo, repo) && is.Author == author && !is.PR {
			out = append(out, *is)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Pulls lists the pull requests opened through the API.
func (f *GitHub) Pulls() []PullRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]PullRequest, len(f.pulls))
	for i, p := range f.pulls {
		out[i] = *p
	}
	return out
}

// File is path's content on branch, "" when absent.
func (f *GitHub) File(branch, path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.trees[f.commits[f.refs["heads/"+branch]][0]][path]
}

// AdvanceDefaultBranch adds a commit to the default branch.
func (f *GitHub) AdvanceDefaultBranch(path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := f.refs["heads/"+f.Branch]
	tree := f.newTree(f.commits[base][0], map[string]string{path: content})
	f.nextSHA++
	sha := githubtest.SHA(fmt.Sprintf("c%d", f.nextSHA))
	f.commits[sha] = [2]string{tree, base}
	f.refs["heads/"+f.Branch] = sha
}

func (f *GitHub) issueJSON(is *Issue) map[string]any {
	kind := "issues"
	if is.PR {
		kind = "pull"
	}
	state := "open"
	var closedAt any
	if is.Closed {
		state, closedAt = "closed", is.Created.UTC().Format(time.RFC3339)
	}
	fields := map[string]any{
		"title": is.Title, "body": is.Body, "state": state, "closed_at": closedAt,
		"user":       githubtest.User(is.Author),
		"labels":     githubtest.Labels(is.Labels...),
		"html_url":   fmt.Sprintf("%s%s/%s/%d", f.HTMLBase, is.Repo, kind, is.Number),
		"created_at": is.Created.UTC().Format(time.RFC3339),
		"updated_at": is.Created.UTC().Format(time.RFC3339),
	}
	if is.PR {
		fields["pull_request"] = githubtest.PullRequestLink(is.Repo, is.Number)
	}
	return githubtest.Issue(is.Repo, is.Number, fields)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func repoOf(r *http.Request) string { return r.PathValue("owner") + "/" + r.PathValue("repo") }

// page cuts list to the requested page and sets GitHub's Link header.
func page[T any](gh *githubtest.Server, w http.ResponseWriter, r *http.Request, list []T) []T {
	lo, hi := gh.Paginate(w, r, len(list))
	return list[lo:hi]
}

func (f *GitHub) listIssues(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	repo := repoOf(r)
	var list []*Issue
	for _, is := range f.issues {
		if strings.EqualFold(is.Repo, repo) && (r.URL.Query().Get("state") == "all" || !is.Closed) {
			list = append(list, is)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Created.After(list[j].Created) || list[i].Created.Equal(list[j].Created) && list[i].Number > list[j].Number
	})
	out := []map[string]any{}
	for _, is := range page(f.gh, w, r, list) {
		out = append(out, f.issueJSON(is))
	}
	writeJSON(w, 200, out)
}

func (f *GitHub) createIssue(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Body string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	now := f.clock()
	f.mu.Unlock()
	n := f.Add(Issue{Repo: repoOf(r), Title: in.Title, Body: in.Body, Author: AppLogin, Created: now})
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, 201, f.issueJSON(f.issues[key(repoOf(r), n)]))
}

func (f *GitHub) getIssue(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("issue_number"))
	f.mu.Lock()
	is, ok := f.issues[key(repoOf(r), n)]
	var body []byte
	if ok {
		body, _ = json.Marshal(f.issueJSON(is))
	}
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 404, map[string]any{"message": "Not Found"})
		return
	}
	sum := sha1.Sum(body)
	tag := `"` + hex.EncodeToString(sum[:]) + `"`
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (f *GitHub) editIssue(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("issue_number"))
	var in struct {
		Title, Body *string
		State       *string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	is, ok := f.issues[key(repoOf(r), n)]
	if !ok {
		writeJSON(w, 404, map[string]any{"message": "Not Found"})
		return
	}
	if in.Title != nil {
		is.Title = *in.Title
	}
	if in.Body != nil {
		is.Body = *in.Body
	}
	if in.State != nil {
		is.Closed = *in.State == "closed"
	}
	writeJSON(w, 200, f.issueJSON(is))
}

// search answers `is:open` queries qualified by any of `label:"L"`, `org:O` and
// `repo:O/N` from the fake's issues, and counts them by query.
func (f *GitHub) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	var label, org, repo string
	for _, part := range strings.Fields(strings.ReplaceAll(q, `"`, "")) {
		if v, ok := strings.CutPrefix(part, "label:"); ok {
			label = v
		}
		if v, ok := strings.CutPrefix(part, "org:"); ok {
			org = v
		}
		if v, ok := strings.CutPrefix(part, "repo:"); ok {
			repo = v
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.searches == nil {
		f.searches = map[string]int{}
	}
	f.searches[q]++
	var list []*Issue
	for _, is := range f.issues {
		owner, _, _ := strings.Cut(is.Repo, "/")
		if !is.Closed && (org == "" || strings.EqualFold(owner, org)) && (repo == "" || strings.EqualFold(is.Repo, repo)) &&
			(label == "" || hasLabel(is.Labels, label)) {
			list = append(list, is)
		}
	}
	sort.Slice(list, func(i, j int) bool { return key(list[i].Repo, list[i].Number) < key(list[j].Repo, list[j].Number) })
	items := []any{}
	for _, is := range page(f.gh, w, r, list) {
		items = append(items, githubtest.SearchItem(f.issueJSON(is)))
	}
	answer := githubtest.SearchIssues(items, f.incomplete)
	answer["total_count"] = len(list)
	writeJSON(w, 200, answer)
}

// Searches is how many times the search API answered query.
func (f *GitHub) Searches(query string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.searches[query]
}

func hasLabel(labels []string, want string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, want) {
			return true
		}
	}
	return false
}

func (f *GitHub) getRepo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, githubtest.Repository(repoOf(r), map[string]any{"default_branch": f.Branch}))
}

// getContents answers a file on the branch named by ref, the default branch
// when ref is absent.
func (f *GitHub) getContents(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	branch := r.URL.Query().Get("ref")
	if branch == "" {
		branch = f.Branch
	}
	path := r.PathValue("path")
	content, ok := f.trees[f.commits[f.refs["heads/"+branch]][0]][path]
	if !ok {
		writeJSON(w, 404, map[string]any{"message": "Not Found"})
		return
	}
	writeJSON(w, 200, githubtest.ContentFile(repoOf(r), path, []byte(content)))
}

func (f *GitHub) refJSON(repo, ref, sha string) map[string]any {
	return githubtest.GitRef(repo, ref, sha)
}

func (f *GitHub) getRef(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := r.PathValue("ref")
	sha, ok := f.refs[ref]
	if !ok {
		writeJSON(w, 404, map[string]any{"message": "Not Found"})
		return
	}
	writeJSON(w, 200, f.refJSON(repoOf(r), ref, sha))
}

func (f *GitHub) createRef(w http.ResponseWriter, r *http.Request) {
	var in struct{ Ref, SHA string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := strings.TrimPrefix(in.Ref, "refs/")
	if _, ok := f.refs[ref]; ok {
		writeJSON(w, 422, map[string]any{"message": "Reference already exists"})
		return
	}
	f.refs[ref] = in.SHA
	writeJSON(w, 201, f.refJSON(repoOf(r), ref, in.SHA))
}

func (f *GitHub) updateRef(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SHA   string
		Force bool
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := r.PathValue("ref")
	if _, ok := f.refs[ref]; !ok {
		writeJSON(w, 422, map[string]any{"message": "Reference does not exist"})
		return
	}
	f.refs[ref] = in.SHA
	writeJSON(w, 200, f.refJSON(repoOf(r), ref, in.SHA))
}

func (f *GitHub) getCommit(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sha := r.PathValue("sha")
	c, ok := f.commits[sha]
	if !ok {
		writeJSON(w, 404, map[string]any{"message": "Not Found"})
		return
	}
	var parents []string
	if c[1] != "" {
		parents = append(parents, c[1])
	}
	writeJSON(w, 200, githubtest.GitCommit(repoOf(r), sha, c[0], parents...))
}

func (f *GitHub) createCommit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message string
		Tree    string
		Parents []string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextSHA++
	sha := githubtest.SHA(fmt.Sprintf("c%d", f.nextSHA))
	parent := ""
	if len(in.Parents) > 0 {
		parent = in.Parents[0]
	}
	f.commits[sha] = [2]string{in.Tree, parent}
	commit := githubtest.GitCommit(repoOf(r), sha, in.Tree, in.Parents...)
	commit["message"] = in.Message
	writeJSON(w, 201, commit)
}

// newTree stores base plus files under a content-derived sha, as git does.
func (f *GitHub) newTree(base string, files map[string]string) string {
	merged := map[string]string{}
	for p, c := range f.trees[base] {
		merged[p] = c
	}
	for p, c := range files {
		merged[p] = c
	}
	paths := make([]string, 0, len(merged))
	for p := range merged {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha1.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%s\x00", p, merged[p])
	}
	sha := hex.EncodeToString(h.Sum(nil))
	f.trees[sha] = merged
	return sha
}

func (f *GitHub) createTree(w http.ResponseWriter, r *http.Request) {
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct{ Path, Content string }
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	files := map[string]string{}
	for _, e := range in.Tree {
		files[e.Path] = e.Content
	}
	sha := f.newTree(in.BaseTree, files)
	entries := []any{}
	for p, c := range f.trees[sha] {
		entries = append(entries, githubtest.TreeEntry(repoOf(r), p, len(c)))
	}
	writeJSON(w, 201, githubtest.GitTree(repoOf(r), sha, entries))
}

func (f *GitHub) pullJSON(repo string, p *PullRequest) map[string]any {
	state := "open"
	if p.Closed {
		state = "closed"
	}
	pr := githubtest.PullRequest(repo, p.Number, p.Head, p.Base, map[string]any{
		"state": state, "title": p.Title, "body": p.Body,
		"html_url": fmt.Sprintf("%s%s/pull/%d", f.HTMLBase, repo, p.Number),
	})
	pr["head"].(map[string]any)["ref"] = p.Head
	pr["base"].(map[string]any)["ref"] = p.Base
	return pr
}

func (f *GitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	state, head := r.URL.Query().Get("state"), r.URL.Query().Get("head")
	out := []map[string]any{}
	for _, p := range f.pulls {
		_, branch, _ := strings.Cut(head, ":")
		if p.Head == branch && (state == "all" || (state == "closed") == p.Closed) {
			out = append(out, f.pullJSON(repoOf(r), p))
		}
	}
	writeJSON(w, 200, out)
}

func (f *GitHub) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Head, Base, Body string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	now := f.clock()
	n := f.Add(Issue{Repo: repoOf(r), Title: in.Title, Body: in.Body, Author: AppLogin, PR: true, Created: now})
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pulls {
		if p.Head == in.Head && !p.Closed {
			writeJSON(w, 422, map[string]any{"message": "A pull request already exists for " + in.Head})
			return
		}
	}
	p := &PullRequest{Number: n, Head: in.Head, Base: in.Base, Title: in.Title, Body: in.Body}
	f.pulls = append(f.pulls, p)
	writeJSON(w, 201, f.pullJSON(repoOf(r), p))
}

// ClosePulls closes every pull request.
func (f *GitHub) ClosePulls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pulls {
		p.Closed = true
	}
}

package githubtest

import (
	"net/http"
	"os"
	"testing"
)

// fixtureSpec is the small description in testdata, so validation is tested on every run.
func fixtureSpec(t *testing.T) *spec {
	t.Helper()
	sp, err := cachedSpec("testdata/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// githubSpec is GitHub's description named by SECWG_OPENAPI.
func githubSpec(t testing.TB) *spec {
	t.Helper()
	if os.Getenv(EnvOpenAPI) == "" {
		t.Skipf("%s is not set; point it at api.github.com.subset.json to validate against GitHub's description", EnvOpenAPI)
	}
	sp, err := envSpec()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

type validationCase struct {
	name      string
	method    string
	path      string // with query
	body      string
	fragments []string // of the one reported failure; none when valid
}

// sharedValidationCases hold for the fixture and for GitHub's description alike.
var sharedValidationCases = []validationCase{
	{name: "plain GET", method: "GET", path: "/repos/o/r/issues/5"},
	{name: "query enum", method: "GET", path: "/repos/o/r/issues?state=closed&per_page=100"},
	{name: "bad query enum", method: "GET", path: "/repos/o/r/issues?state=shut",
		fragments: []string{"issues/list-for-repo", "state"}},
	{name: "non-numeric path integer", method: "GET", path: "/repos/o/r/issues/five",
		fragments: []string{"issues/get", "issue_number"}},
	{name: "file path with slashes", method: "GET", path: "/repos/o/r/contents/meetings/2024-01-01.md?ref=main"},
	{name: "escaped file path", method: "GET", path: "/repos/o/r/contents/meetings/notes%20v2.md"},
	{name: "git ref with slashes", method: "GET", path: "/repos/o/r/git/ref/heads/main"},
	{name: "git ref with escaped segment", method: "GET", path: "/repos/o/r/git/ref/heads/feature%2Fx"},
	{name: "commit ref then literal tail", method: "GET", path: "/repos/o/r/commits/heads/main/check-runs"},
	{name: "completed check run with conclusion", method: "POST", path: "/repos/o/r/check-runs",
		body: `{"name":"threat-model","head_sha":"abc","status":"completed","conclusion":"success"}`},
	{name: "completed check run without conclusion", method: "POST", path: "/repos/o/r/check-runs",
		body:      `{"name":"threat-model","head_sha":"abc","status":"completed"}`,
		fragments: []string{"checks/create", "conclusion"}},
	{name: "check run without status defaults to queued", method: "POST", path: "/repos/o/r/check-runs",
		body: `{"name":"threat-model","head_sha":"abc"}`},
	{name: "check run without head_sha", method: "POST", path: "/repos/o/r/check-runs",
		body: `{"name":"threat-model","status":"queued"}`, fragments: []string{"checks/create", "head_sha"}},
	{name: "labels as object", method: "POST", path: "/repos/o/r/issues/5/labels", body: `{"labels":["security-wg-agenda"]}`},
	{name: "labels as bare array", method: "POST", path: "/repos/o/r/issues/5/labels", body: `["security-wg-agenda"]`},
	{name: "labels as a number", method: "POST", path: "/repos/o/r/issues/5/labels", body: `7`,
		fragments: []string{"issues/add-labels"}},
	{name: "operation outside the description", method: "DELETE", path: "/repos/o/r",
		fragments: []string{"DELETE /repos/o/r", "not an operation"}},
	{name: "path outside the description", method: "GET", path: "/repos/o/r/milestones",
		fragments: []string{"GET /repos/o/r/milestones", "not an operation"}},
}

func runValidationCases(t *testing.T, sp *spec, cases []validationCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // validators share one loaded description
			rec := newRecorder(t)
			s := newServer(rec, sp)
			s.Handle("/", func(w http.ResponseWriter, r *http.Request) {}) // answer anything
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			call(t, s, tt.method, tt.path, installation7, body)
			rec.requireFailure(t, tt.fragments...)
		})
	}
}

func TestValidationAgainstFixtureDescription(t *testing.T) {
	runValidationCases(t, fixtureSpec(t), sharedValidationCases)
}

func TestValidationAgainstGitHubDescription(t *testing.T) {
	sp := githubSpec(t)
	runValidationCases(t, sp, sharedValidationCases)
	runValidationCases(t, sp, []validationCase{
		{name: "contents PUT with slashes", method: "PUT", path: "/repos/o/r/contents/meetings/2024-01-01.md",
			body: `{"message":"Add minutes","content":"aGk=","branch":"main"}`},
		{name: "contents PUT without content", method: "PUT", path: "/repos/o/r/contents/meetings/2024-01-01.md",
			body: `{"message":"Add minutes"}`, fragments: []string{"repos/create-or-update-file-contents", "content"}},
		{name: "update ref with slashes", method: "PATCH", path: "/repos/o/r/git/refs/heads/main",
			body: `{"sha":"abc","force":false}`},
		{name: "set labels to a bare array", method: "PUT", path: "/repos/o/r/issues/5/labels", body: `["a","b"]`},
		{name: "clear labels with an empty array", method: "PUT", path: "/repos/o/r/issues/5/labels", body: `[]`},
		{name: "clear labels with an empty object list", method: "PUT", path: "/repos/o/r/issues/5/labels", body: `{"labels":[]}`},
		{name: "add no labels", method: "POST", path: "/repos/o/r/issues/5/labels", body: `[]`,
			fragments: []string{"issues/add-labels"}},
		{name: "remove label", method: "DELETE", path: "/repos/o/r/issues/5/labels/security-wg-agenda"},
		{name: "search", method: "GET", path: "/search/issues?q=repo%3Anodejs%2Fsecurity-wg+label%3Asecurity-wg-agenda&per_page=100"},
		{name: "issue create without title", method: "POST", path: "/repos/o/r/issues", body: `{"body":"x"}`,
			fragments: []string{"issues/create", "title"}},
		{name: "installation token creation", method: "POST", path: "/app/installations/7/access_tokens",
			fragments: []string{"requires the App's JWT"}}, // token auth on an App endpoint, not a schema problem
	})
}

func TestFindPrefersTheMostLiteralTemplate(t *testing.T) {
	sp := fixtureSpec(t)
	tests := []struct {
		path, wantOp string
		wantParams   map[string]string
	}{
		{"/repos/o/r/commits/abc", "repos/get-commit", map[string]string{"ref": "abc"}},
		{"/repos/o/r/commits/heads/main", "repos/get-commit", map[string]string{"ref": "heads/main"}},
		{"/repos/o/r/commits/abc/check-runs", "checks/list-for-ref", map[string]string{"ref": "abc"}},
		{"/repos/o/r/commits/heads/main/check-runs", "checks/list-for-ref", map[string]string{"ref": "heads/main"}},
		{"/repos/o/r/contents/a/b/c.md", "repos/get-content", map[string]string{"path": "a/b/c.md", "owner": "o", "repo": "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			op, params, err := sp.find("GET", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := op.route.Operation.OperationID; got != tt.wantOp {
				t.Errorf("operation %s, want %s", got, tt.wantOp)
			}
			for k, v := range tt.wantParams {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func TestUnexpectedRequestNamesThePatternToRegister(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/repos/o/r/issues/5", `issues/get, pattern "GET /repos/{owner}/{repo}/issues/{issue_number}"`},
		{"GET", "/repos/o/r/contents/a/b.md", `pattern "GET /repos/{owner}/{repo}/contents/{path...}"`},
		{"GET", "/repos/o/r/commits/abc/check-runs", `pattern "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, fixtureSpec(t))
			call(t, s, tt.method, tt.path, installation7, nil)
			rec.requireFailure(t, "unexpected request", tt.want)
		})
	}
}

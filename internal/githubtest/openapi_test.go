package githubtest

import (
	"net/http"
	"os"
	"strings"
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
	// GitHub has no way to delete an issue, nor a path by that name.
	{name: "operation outside the description", method: "DELETE", path: "/repos/o/r/issues/5",
		fragments: []string{"DELETE /repos/o/r/issues/5", "not an operation"}},
	{name: "path outside the description", method: "GET", path: "/repos/o/r/no-such-endpoint",
		fragments: []string{"GET /repos/o/r/no-such-endpoint", "not an operation"}},
}

func runValidationCases(t *testing.T, sp *spec, cases []validationCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // validators share one loaded description
			rec := newRecorder(t)
			s := newServer(rec, sp)
			// Answer anything with a status no operation declares: these cases are about requests.
			s.Handle("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
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

func TestPathsDifferingOnlyInParameterNamesBothRoute(t *testing.T) {
	sp := fixtureSpec(t) // holds GitHub's two attestation paths
	tests := []struct{ method, path, wantOp, param, value string }{
		{"GET", "/orgs/o/attestations/sha256:abc", "orgs/list-attestations", "subject_digest", "sha256:abc"},
		{"DELETE", "/orgs/o/attestations/42", "orgs/delete-attestations-by-id", "attestation_id", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			op, params, err := sp.find(tt.method, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if op.route.Operation.OperationID != tt.wantOp || params[tt.param] != tt.value {
				t.Errorf("%s %s reached %s with %v", tt.method, tt.path, op.route.Operation.OperationID, params)
			}
		})
	}
}

func TestAnswersAreValidatedAgainstTheDescription(t *testing.T) {
	issue := map[string]any{"id": BigID + 5, "number": 5, "title": "t"}
	raw := http.Header{"Accept": {"application/vnd.github.raw"}}
	tests := []struct {
		name      string
		path      string
		header    http.Header
		answer    Response
		fragments []string
	}{
		{"valid body", "/repos/o/r/issues/5", nil, Response{Body: issue}, nil},
		{"body missing a required field", "/repos/o/r/issues/5", nil, Response{Body: map[string]any{"id": 1, "number": 5}},
			[]string{"answer 200", "issues/get", "title"}},
		{"wrong type", "/repos/o/r/issues/5", nil, Response{Body: map[string]any{"id": "x", "number": 5, "title": "t"}},
			[]string{"answer 200", "issues/get", "id"}},
		{"no body where one is declared", "/repos/o/r/issues/5", nil, Response{}, []string{"answer 200", "Content-Type"}},
		{"2xx status the operation does not declare", "/repos/o/r/issues/5", nil, Response{Status: 201, Body: issue},
			[]string{"answer 201", "status is not supported"}},
		{"declared header with a bad value", "/repos/o/r/issues/5", nil,
			Response{Header: http.Header{"Link": {"next"}}, Body: issue}, []string{"answer 200", "Link"}},
		{"declared error", "/repos/o/r/issues/5", nil, Response{Status: 404, Body: map[string]any{"message": "Not Found"}}, nil},
		{"undeclared error passes", "/repos/o/r/issues/5", nil, Response{Status: 502}, nil},
		{"redirect passes", "/repos/o/r/issues/5", nil, Response{Status: 301, Header: http.Header{"Location": {"/repositories/1/issues/5"}}}, nil},
		{"raw content with GitHub's media type", "/repos/o/r/contents/a.md", raw, RawContent([]byte("# A")), nil},
		{"raw content with another media type", "/repos/o/r/contents/a.md", raw,
			Response{Header: http.Header{"Content-Type": {"application/vnd.github.raw"}}, Body: "# A"},
			[]string{"repos/get-content", RawContentType}},
		{"JSON content", "/repos/o/r/contents/a.md", nil, Response{Body: map[string]any{"type": "file"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, fixtureSpec(t))
			s.Handle("GET /", tt.answer.ServeHTTP)
			req, _ := http.NewRequest("GET", strings.TrimSuffix(s.URL(), "/")+tt.path, nil)
			req.Header.Set("Authorization", installation7)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			rec.requireFailure(t, tt.fragments...)
		})
	}
}

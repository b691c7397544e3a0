package githubtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps failures instead of failing, so tests can show the
// fake fails the tests it should. Everything else (Cleanup, Helper, Logf) goes to the real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func newRecorder(t *testing.T) *recorder { return &recorder{TB: t} }

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// requireFailure checks that exactly the failures wanted were reported, each containing
// all of its fragments.
func (r *recorder) requireFailure(t *testing.T, fragments ...string) {
	t.Helper()
	got := r.failures()
	if len(fragments) == 0 {
		if len(got) != 0 {
			t.Fatalf("fake reported failures, want none:\n%s", strings.Join(got, "\n"))
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("fake reported %d failures, want 1 containing %q:\n%s", len(got), fragments, strings.Join(got, "\n"))
	}
	for _, f := range fragments {
		if !strings.Contains(got[0], f) {
			t.Errorf("failure %q does not mention %q", got[0], f)
		}
	}
}

// call sends one request with an installation token unless auth says otherwise.
func call(t *testing.T, s *Server, method, path, auth string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), "/")+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// The server's own client: closing another parallel test's server closes
	// the default transport's idle connections, which can break this request.
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

var installation7 = "token " + InstallationToken(7)

func TestUnexpectedRequestFailsTheTest(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		path      string
		body      []byte
		fragments []string
	}{
		{"unregistered GET", "GET", "/repos/o/r/issues/1", nil, []string{"unexpected request", "GET /repos/o/r/issues/1"}},
		{"unregistered POST shows body", "POST", "/repos/o/r/issues", []byte(`{"title":"Meeting"}`), []string{"POST /repos/o/r/issues", `{"title":"Meeting"}`}},
		{"registered path, other method", "DELETE", "/repos/o/r/labels/bug", nil, []string{"DELETE /repos/o/r/labels/bug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.ReplyJSON("GET /repos/{owner}/{repo}/labels/{name}", 200, map[string]string{"name": "bug"})

			status, _ := call(t, s, tt.method, tt.path, installation7, tt.body)
			if status != http.StatusNotFound {
				t.Errorf("status %d, want 404", status)
			}
			rec.requireFailure(t, tt.fragments...)
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].Pattern != "" || reqs[0].Status != http.StatusNotFound {
				t.Errorf("recorded %+v, want one unmatched 404", reqs)
			}
		})
	}
}

func TestRegisteredRouteIsAnsweredAndRecorded(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	const pattern = "PATCH /repos/{owner}/{repo}/issues/{issue_number}"
	s.Handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		Response{Body: map[string]string{"number": r.PathValue("issue_number")}}.ServeHTTP(w, r)
	})

	status, body := call(t, s, "PATCH", "/repos/nodejs/security-wg/issues/12?x=1", installation7, []byte(`{"body":"agenda"}`))
	if status != http.StatusOK || !strings.Contains(string(body), `"number":"12"`) {
		t.Fatalf("got %d %s", status, body)
	}
	rec.requireFailure(t)

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("recorded %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	checks := []struct {
		field     string
		got, want any
	}{
		{"Method", r.Method, "PATCH"},
		{"Path", r.Path, "/repos/nodejs/security-wg/issues/12"},
		{"RawQuery", r.RawQuery, "x=1"},
		{"Body", string(r.Body), `{"body":"agenda"}`},
		{"Pattern", r.Pattern, pattern},
		{"Installation", r.Installation, int64(7)},
		{"Status", r.Status, 200},
		{"Authorization header", r.Header.Get("Authorization"), installation7},
		{"Count", s.Count(pattern), 1},
		{"Count of another pattern", s.Count("GET /app"), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestHandleReplacesEarlierRegistration(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.ReplyJSON("GET /app", http.StatusTeapot, map[string]string{"slug": "override"})
	status, body := call(t, s, "GET", "/app", "Bearer "+signJWT(t, privateKey(), jwtClaims{Iss: "4242"}), nil)
	if status != http.StatusTeapot || !strings.Contains(string(body), "override") {
		t.Errorf("got %d %s, want the override", status, body)
	}
	rec.requireFailure(t)
}

func TestHandleReportsConflictingPatterns(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{a}", 200, nil)
	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{b}", 200, nil)
	rec.requireFailure(t, "Handle", "conflicts")
}

func TestCallsExcludingAuthLeavesOutTokenCreation(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.ReplyJSON("GET /repos/{owner}/{repo}", 200, map[string]string{"name": "r"})
	jwt := "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "4242"})
	call(t, s, "POST", "/app/installations/7/access_tokens", jwt, nil)
	call(t, s, "GET", "/repos/o/r", installation7, nil)
	call(t, s, "POST", "/app/installations/8/access_tokens", jwt, nil)
	call(t, s, "GET", "/repos/o/r", "token "+InstallationToken(8), nil)
	call(t, s, "GET", "/app", jwt, nil)
	rec.requireFailure(t)

	if got := s.CallsExcludingAuth(); got != 3 {
		t.Errorf("CallsExcludingAuth = %d, want 3", got)
	}
	if got := s.Count(patternAccessToken); got != 2 {
		t.Errorf("token creations = %d, want 2", got)
	}
	var installations []int64
	for _, r := range s.Requests() {
		installations = append(installations, r.Installation)
	}
	if fmt.Sprint(installations) != "[0 7 0 8 0]" {
		t.Errorf("installations = %v, want [0 7 0 8 0]", installations)
	}
}

func TestOversizedBodyFailsTheTest(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.ReplyJSON("POST /repos/{owner}/{repo}/issues", 201, nil)
	status, _ := call(t, s, "POST", "/repos/o/r/issues", installation7, bytes.Repeat([]byte("a"), maxBody+1))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", status)
	}
	rec.requireFailure(t, "POST /repos/o/r/issues", "over")
}

func TestEveryGETCarriesGitHubsCachingHeaders(t *testing.T) {
	tests := []struct {
		method, path, route, wantCacheControl string
	}{
		{"GET", "/repos/o/r/issues/5", "GET /repos/{owner}/{repo}/issues/{issue_number}", "private, max-age=60, s-maxage=60"},
		{"GET", "/search/issues?q=x", "GET /search/issues", "no-cache"},
		{"POST", "/repos/o/r/issues", "POST /repos/{owner}/{repo}/issues", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.ReplyJSON(tt.route, 200, map[string]any{})
			req, _ := http.NewRequest(tt.method, strings.TrimSuffix(s.URL(), "/")+tt.path, nil)
			req.Header.Set("Authorization", installation7)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCacheControl)
			}
			vary := strings.Join(resp.Header.Values("Vary"), ", ")
			if want := tt.method == "GET"; strings.Contains(vary, "Authorization") != want {
				t.Errorf("Vary %q; want Authorization in it: %v", vary, want)
			}
			rec.requireFailure(t)
		})
	}
}

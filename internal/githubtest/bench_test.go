package githubtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// BenchmarkLoadGitHubDescription is what the first New of a test binary pays once.
func BenchmarkLoadGitHubDescription(b *testing.B) {
	path := os.Getenv(EnvOpenAPI)
	if path == "" {
		b.Skipf("%s is not set; point it at api.github.com.subset.json", EnvOpenAPI)
	}
	for b.Loop() {
		if _, err := loadSpec(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindGitRefWithSlashes is the router's worst common case: a greedy {ref}.
func BenchmarkFindGitRefWithSlashes(b *testing.B) {
	sp := githubSpec(b)
	for b.Loop() {
		if _, _, err := sp.find("GET", "/repos/nodejs/security-wg/commits/heads/main/check-runs"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCheckRunCreate is the per-request cost of validation on the largest body
// schema secwg sends.
func BenchmarkValidateCheckRunCreate(b *testing.B) {
	sp := githubSpec(b)
	body := []byte(`{"name":"threat-model","head_sha":"abc","status":"completed","conclusion":"failure",` +
		`"output":{"title":"2 findings","summary":"s","annotations":[{"path":"threat-model.md","start_line":3,"end_line":3,"annotation_level":"failure","message":"m"}]}}`)
	for b.Loop() {
		req := httptest.NewRequest("POST", "/repos/nodejs/security-wg/check-runs", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if _, err := sp.validate(req, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip is one recorded request through the fake, without validation.
func BenchmarkRoundTrip(b *testing.B) {
	s := newServer(b, nil)
	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}", 200, map[string]int{"number": 1})
	req, _ := http.NewRequest("GET", s.URL()+"repos/o/r/issues/1", nil)
	req.Header.Set("Authorization", installation7)
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

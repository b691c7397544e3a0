package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secwg/secwg/internal/githubtest"
)

const issueRoute = "GET /repos/{owner}/{repo}/issues/{issue_number}"

var issueBody = map[string]any{
	"id": 1, "node_id": "I_1", "number": 7, "title": "t", "state": "open", "url": "https://api.github.com/repos/nodejs/node/issues/7",
	"html_url": "https://github.com/nodejs/node/issues/7", "repository_url": "https://api.github.com/repos/nodejs/node",
	"labels_url": "x", "comments_url": "x", "events_url": "x", "user": nil, "labels": []any{}, "assignee": nil, "milestone": nil,
	"comments": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "closed_at": nil, "author_association": "NONE", "locked": false,
}

// fetcher is a handler that reads one issue through the real installation client.
type fetcher struct {
	server *Server
	mu     sync.Mutex
	errs   []error
}

func (f *fetcher) Handles() []string { return []string{"issues"} }

func (f *fetcher) Handle(ctx context.Context, _, _ string, _ []byte) error {
	client, err := f.server.clients.NewInstallationClient(42)
	if err == nil {
		_, _, err = client.Issues.Get(ctx, "nodejs", "node", 7)
	}
	f.mu.Lock()
	f.errs = append(f.errs, err)
	f.mu.Unlock()
	return err
}

func (f *fetcher) results() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

func TestJobsRetryGitHubFaults(t *testing.T) {
	ok := githubtest.Response{Body: issueBody}
	tests := []struct {
		name      string
		answers   []githubtest.Response
		jobLimit  time.Duration
		wantCalls int
		wantErr   string
	}{
		{"500 then ok", []githubtest.Response{{Status: 500}, ok}, 0, 2, ""},
		{"502 twice then ok", []githubtest.Response{{Status: 502}, {Status: 502}, ok}, 0, 3, ""},
		{"429 with Retry-After", []githubtest.Response{{Status: 429, Header: http.Header{"Retry-After": {"1"}}}, ok}, 0, 2, ""},
		{"secondary rate limit", []githubtest.Response{githubtest.SecondaryRateLimit(time.Second), ok}, 0, 2, ""},
		{"always 502 gives up", []githubtest.Response{{Status: 502}}, 0, 4, "502"},
		{"slow answer hits the job deadline", []githubtest.Response{{Delay: 5 * time.Second, Body: issueBody}}, 300 * time.Millisecond, 1, "deadline exceeded"},
		{"limit reset beyond the deadline is not awaited", []githubtest.Response{githubtest.RateLimitExhausted(time.Now().Add(time.Hour)), ok}, 2 * time.Second, 1, "rate limit"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fetcher{}
			a := startApp(t, appOptions{
				github: func(gh *githubtest.Server) { gh.Handle(issueRoute, githubtest.Sequence(tt.answers...)) },
				configure: func(c *configT) {
					if tt.jobLimit > 0 {
						c.Server.JobTimeout = tt.jobLimit
					}
				},
				opts: []Option{WithHandlers(f)},
			})
			f.server = a.server
			start := time.Now()
			// Answered after the job: 200 when it succeeded, 500 when it failed.
			want := 200
			if tt.wantErr != "" {
				want = 500
			}
			if s, _ := a.deliver("issues", fmt.Sprintf("fault-%d", i), labeled); s != want {
				t.Fatalf("status %d, want %d", s, want)
			}
			eventually(t, "the job", func() bool { return len(f.results()) == 1 })
			err := f.results()[0]
			if tt.wantErr == "" && err != nil {
				t.Fatalf("job failed: %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("job error %v, want %q", err, tt.wantErr)
				}
				eventually(t, "the error log", func() bool { return strings.Contains(a.logs.String(), "webhook handler failed") })
			}
			if tt.jobLimit > 0 && time.Since(start) > tt.jobLimit+3*time.Second {
				t.Errorf("gave up after %v, deadline %v", time.Since(start), tt.jobLimit)
			}
			if n := a.github.Count(issueRoute); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			if s, _ := a.get(HealthRoute); s != 200 {
				t.Errorf("healthz %d after the fault", s)
			}
		})
	}
}

func TestRepeatedReadsRevalidateWithETags(t *testing.T) {
	f := &fetcher{}
	a := startApp(t, appOptions{
		github: func(gh *githubtest.Server) {
			gh.Handle(issueRoute, githubtest.ETag("v1", githubtest.Response{Body: issueBody,
				Header: http.Header{"Cache-Control": {"private, max-age=60, s-maxage=60"}, "X-Ratelimit-Remaining": {"4999"}, "X-Ratelimit-Limit": {"5000"}}}))
		},
		opts: []Option{WithHandlers(f)},
	})
	f.server = a.server
	a.deliver("issues", "etag-1", labeledAs("etag-1"))
	eventually(t, "first read", func() bool { return len(f.results()) == 1 })
	a.deliver("issues", "etag-2", labeledAs("etag-2"))
	eventually(t, "second read", func() bool { return len(f.results()) == 2 })
	for _, err := range f.results() {
		if err != nil {
			t.Fatal(err)
		}
	}
	var statuses []int
	var conditional int
	for _, r := range a.github.Requests() {
		if r.Pattern == issueRoute {
			statuses = append(statuses, r.Status)
			if r.Header.Get("If-None-Match") == `"v1"` {
				conditional++
			}
			if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "secwg/") {
				t.Errorf("user agent %q", ua)
			}
		}
	}
	if len(statuses) != 2 || statuses[1] != http.StatusNotModified || conditional != 1 {
		t.Errorf("statuses %v with %d conditional requests; want the second to revalidate to 304", statuses, conditional)
	}
	if got := testutil.ToFloat64(a.server.metrics.GitHubRequests.WithLabelValues("GET", "200", "true")); got != 1 {
		t.Errorf("cached GitHub requests = %v, want 1", got)
	}
	_, metrics := a.getAdmin(MetricsRoute)
	if !strings.Contains(metrics, `secwg_github_rate_limit_remaining{installation="42"} 4999`) {
		t.Error("rate limit for installation 42 not exported")
	}
}

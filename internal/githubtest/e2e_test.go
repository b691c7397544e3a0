package githubtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
)

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newClientCreator(t *testing.T, s *Server, opts ...githubapp.ClientOption) githubapp.ClientCreator {
	t.Helper()
	var cfg githubapp.Config
	cfg.V3APIURL = s.URL()
	cfg.App.IntegrationID = AppID
	cfg.App.PrivateKey = string(s.PrivateKeyPEM())
	cfg.App.WebhookSecret = "x"
	// A transport of its own: another parallel test's server, closing, closes the
	// default transport's idle connections under this one's requests.
	opts = append([]githubapp.ClientOption{githubapp.WithTransport(&http.Transport{})}, opts...)
	cc, err := githubapp.NewDefaultCachingClientCreator(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

func TestGoGitHubAppInstallationClientWorksAgainstTheFake(t *testing.T) {
	rec := newRecorder(t)
	sp, err := envSpec() // validate too when GitHub's description is at hand
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(rec, sp)
	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}", 200,
		Issue("nodejs/security-wg", 12, map[string]any{"title": "Security WG meeting 2024-01-01"}))
	cc := newClientCreator(t, s)
	client, err := cc.NewInstallationClient(77)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call reuses the token
		issue, _, err := client.Issues.Get(context.Background(), "nodejs", "security-wg", 12)
		if err != nil {
			t.Fatal(err)
		}
		if issue.GetTitle() != "Security WG meeting 2024-01-01" {
			t.Errorf("title %q", issue.GetTitle())
		}
	}
	rec.requireFailure(t)

	if got := s.Count(patternAccessToken); got != 1 {
		t.Errorf("token requests %d, want 1", got)
	}
	if got := s.CallsExcludingAuth(); got != 2 {
		t.Errorf("API calls %d, want 2", got)
	}
	for _, r := range s.Requests() {
		if r.Pattern == patternAccessToken {
			continue
		}
		if r.Installation != 77 {
			t.Errorf("%s %s used installation %d, want 77", r.Method, r.Path, r.Installation)
		}
	}

	app, err := cc.NewAppClient()
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := app.Apps.Get(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetID() != AppID || got.GetSlug() != AppSlug {
		t.Errorf("app %d %q, want %d %q", got.GetID(), got.GetSlug(), AppID, AppSlug)
	}
	rec.requireFailure(t)
}

func TestGoGitHubRecognisesTheRateLimitAnswers(t *testing.T) {
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	tests := []struct {
		name  string
		resp  Response
		check func(t *testing.T, err error)
	}{
		{"secondary", SecondaryRateLimit(3 * time.Second), func(t *testing.T, err error) {
			var e *github.AbuseRateLimitError
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v, want *github.AbuseRateLimitError", err, err)
			}
			if e.RetryAfter == nil || *e.RetryAfter != 3*time.Second {
				t.Errorf("RetryAfter %v, want 3s", e.RetryAfter)
			}
		}},
		{"primary exhausted", RateLimitExhausted(reset), func(t *testing.T, err error) {
			var e *github.RateLimitError
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v, want *github.RateLimitError", err, err)
			}
			if !e.Rate.Reset.Time.Equal(reset) || e.Rate.Remaining != 0 {
				t.Errorf("rate %+v, want 0 remaining until %s", e.Rate, reset)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}", tt.resp.ServeHTTP)
			client := github.NewClient(nil).WithAuthToken(InstallationToken(5))
			client.BaseURL = mustParse(t, s.URL())
			_, resp, err := client.Issues.Get(context.Background(), "o", "r", 1)
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("response %v, want 403", resp)
			}
			tt.check(t, err)
			rec.requireFailure(t)
		})
	}
}

func TestCachingClientRevalidatesWithETag(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	const pattern = "GET /repos/{owner}/{repo}/labels/{name}"
	// GitHub lets a client keep an answer for a minute; no-cache makes it revalidate each time.
	s.Handle(pattern, ETag("label-v1", Response{Header: http.Header{"Cache-Control": {"no-cache"}},
		Body: map[string]any{"name": "security-wg-agenda", "color": "5319e7"}}))
	cache := githubapp.WithClientCaching(false, func() httpcache.Cache { return httpcache.NewMemoryCache() })
	client, err := newClientCreator(t, s, cache).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		label, _, err := client.Issues.GetLabel(context.Background(), "nodejs", "security-wg", "security-wg-agenda")
		if err != nil {
			t.Fatal(err)
		}
		if label.GetColor() != "5319e7" {
			t.Errorf("call %d: color %q, want the cached 5319e7", i, label.GetColor())
		}
	}
	rec.requireFailure(t)
	var statuses []int
	for _, r := range s.Requests() {
		if r.Pattern == pattern {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 3 || statuses[0] != 200 || statuses[1] != 304 || statuses[2] != 304 {
		t.Errorf("label statuses %v, want [200 304 304]", statuses)
	}
}

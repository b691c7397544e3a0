package githubclient

import (
	"context"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/githubtest"
)

// TestCachedAnswersServeOnlyTheCredentialsThatFetchedThem pins what GitHub's
// Vary: Authorization does to the shared cache: an installation revalidates its own
// entry with its ETag, another installation never sends that ETag nor gets that entry,
// and as the cache holds one entry per URL, the last reader's replaces the other's.
func TestCachedAnswersServeOnlyTheCredentialsThatFetchedThem(t *testing.T) {
	gh := githubtest.New(t)
	const route = "GET /repos/{owner}/{repo}/issues/{issue_number}"
	gh.Handle(route, githubtest.ETag("v1", githubtest.Response{
		Body: githubtest.Issue("nodejs/node", 7, map[string]any{"title": "cached"}),
	}))
	var cfg githubapp.Config
	cfg.V3APIURL = gh.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(gh.PrivateKeyPEM())
	cc, err := NewCreator(Options{Config: cfg, CacheSize: 1 << 20,
		Retry: RetryPolicy{MaxAttempts: 1, MaxElapsed: time.Second, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name         string
		installation int64
		wantRequests int  // reaching the fake so far
		wantCond     bool // the last request carried If-None-Match
	}{
		{"first read", 7, 1, false},
		{"same installation revalidates", 7, 2, true},
		{"another installation", 8, 3, false},
		{"first installation after the other", 7, 4, false},
	}
	for _, s := range steps {
		client, err := cc.NewInstallationClient(s.installation)
		if err != nil {
			t.Fatal(err)
		}
		issue, _, err := client.Issues.Get(context.Background(), "nodejs", "node", 7)
		if err != nil || issue.GetTitle() != "cached" {
			t.Fatalf("%s: %v, %v", s.name, issue, err)
		}
		var reads []githubtest.Request
		for _, r := range gh.Requests() {
			if r.Pattern == route {
				reads = append(reads, r)
			}
		}
		if len(reads) != s.wantRequests {
			t.Fatalf("%s: %d requests reached GitHub, want %d", s.name, len(reads), s.wantRequests)
		}
		last := reads[len(reads)-1]
		if cond := last.Header.Get("If-None-Match") != ""; cond != s.wantCond {
			t.Errorf("%s: If-None-Match %q sent by installation %d", s.name, last.Header.Get("If-None-Match"), last.Installation)
		}
	}
}

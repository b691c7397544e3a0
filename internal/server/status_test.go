package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// installationsReply answers GET /app/installations with one installation of
// the nodejs organisation, as GitHub shapes it.
func installationsReply(gh *githubtest.Server) {
	account := map[string]any{"login": "nodejs", "id": 9950313, "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5NTAzMTM=", "type": "Organization",
		"avatar_url": "https://avatars.githubusercontent.com/u/9950313", "gravatar_id": "", "url": "https://api.github.com/users/nodejs",
		"html_url": "https://github.com/nodejs", "followers_url": "x", "following_url": "x", "gists_url": "x", "starred_url": "x",
		"subscriptions_url": "x", "organizations_url": "x", "repos_url": "x", "events_url": "x", "received_events_url": "x", "site_admin": false}
	gh.ReplyJSON("GET /app/installations", 200, []map[string]any{{
		"id": 7, "account": account, "repository_selection": "selected", "access_tokens_url": "https://api.github.com/app/installations/7/access_tokens",
		"repositories_url": "https://api.github.com/installation/repositories", "html_url": "https://github.com/organizations/nodejs/settings/installations/7",
		"app_id": githubtest.AppID, "app_slug": githubtest.AppSlug, "target_id": 9950313, "target_type": "Organization",
		"permissions": map[string]string{"issues": "write", "checks": "write"}, "events": []string{"issues"},
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "single_file_name": nil,
		"has_multiple_single_files": false, "single_file_paths": []string{}, "suspended_by": nil, "suspended_at": nil,
	}})
	gh.ReplyJSON("GET /installation/repositories", 200, map[string]any{"total_count": 2, "repositories": []map[string]any{
		repoJSON("nodejs/node", 27193779), repoJSON("nodejs/security-wg", 52437298)}})
}

func repoJSON(full string, id int64) map[string]any {
	owner, name, _ := strings.Cut(full, "/")
	return map[string]any{"id": id, "node_id": "R_" + name, "name": name, "full_name": full, "private": false,
		"owner":    map[string]any{"login": owner, "id": 9950313, "type": "Organization"},
		"html_url": "https://github.com/" + full, "url": "https://api.github.com/repos/" + full}
}

// chromium finds Debian's browser, or says why the page test cannot run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

func TestStatusPageShowsWhatAnOperatorLooksFor(t *testing.T) {
	browser := chromium(t)
	var fake *meetingsynctest.GitHub
	a := startApp(t, appOptions{
		github: func(gh *githubtest.Server) {
			fake = meetingsynctest.New(gh)
			installationsReply(gh)
		},
		configure: func(c *configT) { withSecurityWG(t, c) },
	})
	eventually(t, "the meeting issue", func() bool {
		return len(fake.IssuesBy("nodejs/security-wg", meetingsynctest.AppLogin)) == 1
	})
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	a.deliver("star", "status-star", `{"action":"created"}`)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(420, 900)) // a phone's width
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate(a.admin+"/"), chromedp.WaitVisible(chromedp.CSS("#deliveries"))); err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, id := range []string{"app", "installations", "meetings", "deliveries", "redelivery"} {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#"+id)))
		if err != nil {
			t.Fatalf("section %s: %v", id, err)
		}
		sections[id] = text
	}
	scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	clientWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"app":           {githubtest.AppSlug, "ready", "yes", "workers"},
		"installations": {"nodejs", "nodejs/node", "nodejs/security-wg"},
		"meetings":      {"security-wg", "nodejs/security-wg#", "items", "ok"},
		"deliveries":    {"star.created", "status-star", "ignored", "202"},
		"redelivery":    {"redeliver"},
	}
	for id, words := range want {
		for _, w := range words {
			if !strings.Contains(sections[id], w) {
				t.Errorf("section %s lacks %q:\n%s", id, w, sections[id])
			}
		}
	}
	if scrollWidth > clientWidth+1 {
		t.Errorf("the page is %dpx wide in a %dpx window: not readable on a phone", scrollWidth, clientWidth)
	}
	dir := os.Getenv("SECWG_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "status-page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

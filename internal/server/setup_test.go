package server

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubtest"
)

// setupApp starts secwg without credentials, its API URL on the fake GitHub.
func setupApp(t *testing.T) (*app, string) {
	t.Helper()
	creds := filepath.Join(t.TempDir(), "secwg-credentials.yml")
	var a *app
	a = startApp(t, appOptions{configure: func(c *configT) {
		api := c.GitHub.V3APIURL
		c.GitHub.App = appT{}
		c.GitHub.V3APIURL = api
		c.Setup.CredentialsPath = creds
		c.Server.PublicURL = "https://secwg.example.org"
	}})
	return a, creds
}

func postForm(a *app, path string, form url.Values) (int, string) {
	req, _ := http.NewRequest("POST", a.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(req)
}

var hiddenInput = regexp.MustCompile(`name="manifest" value="([^"]*)"`)
var formAction = regexp.MustCompile(`<form id="manifest" method="post" action="([^"]*)"`)

func TestSetupRegistersTheAppThroughTheManifestFlow(t *testing.T) {
	a, creds := setupApp(t)

	status, page := a.get("/")
	if status != 200 || !strings.Contains(page, `value="https://secwg.example.org"`) {
		t.Fatalf("setup page: %d\n%s", status, page)
	}
	status, page = postForm(a, "/setup/start", url.Values{"url": {"https://secwg.example.org/"}, "org": {"nodejs"}, "name": {"secwg"}})
	if status != 200 {
		t.Fatalf("start: %d %s", status, page)
	}
	action := html.UnescapeString(formAction.FindStringSubmatch(page)[1])
	if !strings.HasPrefix(action, "http://github.invalid/organizations/nodejs/settings/apps/new?state=") {
		t.Fatalf("form posts to %q", action)
	}
	state := strings.TrimPrefix(action, "http://github.invalid/organizations/nodejs/settings/apps/new?state=")
	var manifest struct {
		Name           string            `json:"name"`
		RedirectURL    string            `json:"redirect_url"`
		HookAttributes map[string]any    `json:"hook_attributes"`
		Permissions    map[string]string `json:"default_permissions"`
		Events         []string          `json:"default_events"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(hiddenInput.FindStringSubmatch(page)[1])), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.HookAttributes["url"] != "https://secwg.example.org/api/github/hook" ||
		manifest.RedirectURL != "https://secwg.example.org/setup/callback" ||
		manifest.Permissions["checks"] != "write" || manifest.Permissions["members"] != "read" ||
		manifest.Permissions["administration"] != "" || len(manifest.Events) == 0 {
		t.Errorf("manifest = %+v", manifest)
	}

	a.github.ReplyJSON("POST /app-manifests/{code}/conversions", 201, githubtest.ManifestConversion(777, "secwg-nodejs",
		"whsec-from-github", "-----BEGIN RSA PRIVATE KEY-----\nMIIfake\n-----END RSA PRIVATE KEY-----\n"))
	status, page = a.get("/setup/callback?code=abc123&state=" + url.QueryEscape(state))
	if status != 200 || !strings.Contains(page, "secwg-nodejs") || !strings.Contains(page, "secwg serve --config") {
		t.Fatalf("callback: %d\n%s", status, page)
	}
	if n := a.github.Count("POST /app-manifests/{code}/conversions"); n != 1 {
		t.Errorf("%d conversions", n)
	}
	info, err := os.Stat(creds)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", info.Mode().Perm())
	}
	// The file is a config secwg starts from.
	cfg, err := config.Load(creds, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GitHub.App.IntegrationID != 777 || cfg.GitHub.App.WebhookSecret != "whsec-from-github" || !strings.Contains(cfg.GitHub.App.PrivateKey, "MIIfake") {
		t.Errorf("saved app = %+v", cfg.GitHub.App.IntegrationID)
	}
	if strings.Contains(a.logs.String(), "whsec-from-github") || strings.Contains(a.logs.String(), "MIIfake") {
		t.Error("a secret reached the logs")
	}
	// The state is single use.
	if status, _ = a.get("/setup/callback?code=abc123&state=" + url.QueryEscape(state)); status != 400 {
		t.Errorf("replayed callback: %d", status)
	}
}

func TestSetupRefusesBadInput(t *testing.T) {
	a, creds := setupApp(t)
	tests := []struct {
		name   string
		do     func() (int, string)
		status int
	}{
		{"callback without state", func() (int, string) { return a.get("/setup/callback?code=x") }, 400},
		{"callback with forged state", func() (int, string) { return a.get("/setup/callback?code=x&state=forged") }, 400},
		{"javascript url", func() (int, string) {
			return postForm(a, "/setup/start", url.Values{"url": {"javascript:alert(1)"}, "name": {"secwg"}})
		}, 400},
		{"bad org", func() (int, string) {
			return postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "org": {"../evil"}, "name": {"secwg"}})
		}, 400},
		{"empty name", func() (int, string) {
			return postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "name": {""}})
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, page := tt.do()
			if status != tt.status || !strings.Contains(page, "Setup did not finish") {
				t.Errorf("%d\n%s", status, page)
			}
		})
	}
	if _, err := os.Stat(creds); !os.IsNotExist(err) {
		t.Error("a credentials file was written")
	}
}

func TestSetupNeverOverwritesExistingCredentials(t *testing.T) {
	a, creds := setupApp(t)
	if err := os.WriteFile(creds, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, page := postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "name": {"secwg"}})
	action := html.UnescapeString(formAction.FindStringSubmatch(page)[1])
	if !strings.HasPrefix(action, "http://github.invalid/settings/apps/new?state=") {
		t.Fatalf("personal account form posts to %q", action)
	}
	state := action[strings.Index(action, "state=")+6:]
	a.github.ReplyJSON("POST /app-manifests/{code}/conversions", 201, githubtest.ManifestConversion(1, "s", "w", "p"))
	status, _ := a.get("/setup/callback?code=c&state=" + state)
	if status != 500 {
		t.Errorf("status %d", status)
	}
	if b, _ := os.ReadFile(creds); string(b) != "precious" {
		t.Errorf("file overwritten: %q", b)
	}
}

func TestReadyOnlyAfterTheAppIdentityIsConfirmed(t *testing.T) {
	t.Run("configured", func(t *testing.T) {
		a := startApp(t, appOptions{})
		eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
		if _, body := a.get(ReadyRoute); !strings.Contains(body, githubtest.AppSlug) {
			t.Errorf("readyz = %q", body)
		}
		if a.github.Count("GET /app") != 1 {
			t.Errorf("GET /app called %d times", a.github.Count("GET /app"))
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		// GitHub answers 401 to a JWT signed by a key that is not the App's.
		a2 := startApp(t, appOptions{github: func(gh *githubtest.Server) {
			gh.ReplyJSON("GET /app", 401, map[string]string{"message": "A JSON web token could not be decoded"})
		}})
		eventually(t, "the failure log", func() bool {
			return strings.Contains(a2.logs.String(), "could not confirm the GitHub App's identity")
		})
		if s, body := a2.get(ReadyRoute); s != 503 || !strings.Contains(body, "not ready") {
			t.Errorf("readyz %d %q", s, body)
		}
		if s, _ := a2.get(HealthRoute); s != 200 {
			t.Errorf("healthz %d", s)
		}
	})
	t.Run("setup mode", func(t *testing.T) {
		a, _ := setupApp(t)
		if s, body := a.get(ReadyRoute); s != 503 || !strings.Contains(body, "setup") {
			t.Errorf("readyz %d %q", s, body)
		}
	})
}

func TestHealthAndMetricsStayOutOfTheAccessLog(t *testing.T) {
	a := startApp(t, appOptions{})
	a.get(HealthRoute)
	a.get(ReadyRoute)
	status, body := a.get(MetricsRoute)
	if status != 200 {
		t.Fatalf("metrics %d", status)
	}
	a.deliver("star", "m1", `{"action":"created"}`)
	_, body = a.get(MetricsRoute)
	for _, name := range []string{"secwg_webhook_deliveries_total", "secwg_queue_depth", "secwg_queue_dropped_total",
		"secwg_github_requests_total", "secwg_github_rate_limit_remaining", "go_goroutines"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	logs := a.logs.String()
	for _, quiet := range []string{`"path":"/healthz"`, `"path":"/readyz"`, `"path":"/metrics"`} {
		if strings.Contains(logs, quiet) {
			t.Errorf("access log has %s", quiet)
		}
	}
	if !strings.Contains(logs, `"github_event_type":"star","github_event_action":"created","github_delivery_id":"m1","outcome":"ignored","status":202`) {
		t.Errorf("no line for the delivery:\n%s", logs)
	}
	if strings.Contains(logs, "Received webhook event") {
		t.Error("the dispatcher logged the delivery a second time")
	}
	if strings.Contains(logs, testSecret) || strings.Contains(logs, "sha256=") || strings.Contains(logs, "ghs_") {
		t.Error("a secret, signature or token reached the logs")
	}
}

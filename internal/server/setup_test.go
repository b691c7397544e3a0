package server

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	// The operator opens the link printed in the log; the cookie jar keeps the cookie.
	if status, page := a.get("/?token=" + a.server.SetupToken()); status != 200 {
		t.Fatalf("opening the setup link: %d\n%s", status, page)
	}
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
	if status != 200 || !strings.Contains(page, "secwg-nodejs") || !strings.Contains(page, "<code>secwg serve</code>") {
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

// conversionReply is GitHub's answer to a manifest code exchange.
func conversionReply(gh *githubtest.Server) {
	gh.ReplyJSON("POST /app-manifests/{code}/conversions", 201, githubtest.ManifestConversion(1, "s", "w", "p"))
}

// startRegistration posts the form and returns the state GitHub will send back.
func startRegistration(t *testing.T, a *app) string {
	t.Helper()
	status, page := postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "name": {"secwg"}})
	m := formAction.FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("start: %d\n%s", status, page)
	}
	action := html.UnescapeString(m[1])
	if !strings.HasPrefix(action, "http://github.invalid/settings/apps/new?state=") {
		t.Fatalf("personal account form posts to %q", action)
	}
	return action[strings.Index(action, "state=")+6:]
}

func TestSetupNeverOverwritesExistingCredentials(t *testing.T) {
	t.Run("file there before the start", func(t *testing.T) {
		a, creds := setupApp(t)
		if err := os.WriteFile(creds, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		status, page := postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "name": {"secwg"}})
		if status != 409 || !strings.Contains(page, "already exists") {
			t.Errorf("start: %d\n%s", status, page)
		}
		if b, _ := os.ReadFile(creds); string(b) != "precious" {
			t.Errorf("file overwritten: %q", b)
		}
	})
	t.Run("file appears before the callback", func(t *testing.T) {
		a, creds := setupApp(t)
		state := startRegistration(t, a)
		if err := os.WriteFile(creds, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		conversionReply(a.github)
		status, page := a.get("/setup/callback?code=c&state=" + state)
		if status != 409 || !strings.Contains(page, "nothing was registered") {
			t.Errorf("callback: %d\n%s", status, page)
		}
		// Refused before the exchange: no App is left on GitHub without its key.
		if n := a.github.Count("POST /app-manifests/{code}/conversions"); n != 0 {
			t.Errorf("%d conversions", n)
		}
		if b, _ := os.ReadFile(creds); string(b) != "precious" {
			t.Errorf("file overwritten: %q", b)
		}
	})
	t.Run("failed exchange leaves no file", func(t *testing.T) {
		a, creds := setupApp(t)
		state := startRegistration(t, a)
		a.github.ReplyJSON("POST /app-manifests/{code}/conversions", 404, map[string]string{"message": "Not Found"})
		if status, _ := a.get("/setup/callback?code=c&state=" + state); status != 502 {
			t.Errorf("callback: %d", status)
		}
		if _, err := os.Stat(creds); !os.IsNotExist(err) {
			t.Errorf("credentials file left behind: %v", err)
		}
	})
}

func TestSetupRefusesStrangersWithoutTheToken(t *testing.T) {
	operator, creds := setupApp(t)
	state := startRegistration(t, operator)
	conversionReply(operator.github)
	stranger := &app{t: t, github: operator.github, server: operator.server, url: operator.url, client: &http.Client{}, logs: operator.logs}
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name string
		do   func() (int, string)
	}{
		{"setup page", func() (int, string) { return stranger.get("/") }},
		{"setup page with a wrong token", func() (int, string) { return stranger.get("/?token=wrong") }},
		{"setup page with a token one character short", func() (int, string) {
			return stranger.get("/?token=" + operator.server.SetupToken()[1:])
		}},
		{"start", func() (int, string) {
			return postForm(stranger, "/setup/start", url.Values{"url": {"https://evil.example"}, "name": {"secwg"}})
		}},
		{"callback with a forged state", func() (int, string) { return stranger.get("/setup/callback?code=c&state=forged") }},
		{"callback with the operator's state", func() (int, string) {
			return stranger.get("/setup/callback?code=c&state=" + state)
		}},
		{"callback after the same-site reload", func() (int, string) {
			return stranger.get("/setup/callback?again=1&code=c&state=" + state)
		}},
		{"cookie with a wrong value", func() (int, string) {
			req, _ := http.NewRequest("GET", operator.url+"/", nil)
			req.AddCookie(&http.Cookie{Name: setupCookie, Value: "guess"})
			res, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode, "Open the setup link"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, page := tt.do()
			if status != 403 || !strings.Contains(page, "Open the setup link") && !strings.Contains(page, "Returning to secwg") {
				t.Errorf("%d\n%s", status, page)
			}
		})
	}
	if n := operator.github.Count("POST /app-manifests/{code}/conversions"); n != 0 {
		t.Errorf("a stranger made secwg exchange %d codes", n)
	}
	if _, err := os.Stat(creds); !os.IsNotExist(err) {
		t.Error("a credentials file was written")
	}
	if strings.Count(operator.logs.String(), "?token=") > 0 && strings.Contains(stranger.logs.String(), "evil.example") {
		t.Error("the stranger's form was processed")
	}
	// The operator, whose state was not consumed by the stranger, still finishes.
	if status, page := operator.get("/setup/callback?code=c&state=" + state); status != 200 {
		t.Errorf("operator's callback: %d\n%s", status, page)
	}
}

func TestSetupCallbackFollowsGitHubsCrossSiteRedirect(t *testing.T) {
	a, _ := setupApp(t)
	state := startRegistration(t, a)
	conversionReply(a.github)
	// A SameSite=Strict cookie is not sent on GitHub's cross-site redirect: the
	// first answer reloads the page from this origin, where it is.
	bare := &app{t: t, github: a.github, server: a.server, url: a.url, client: &http.Client{}, logs: a.logs}
	status, page := bare.get("/setup/callback?code=c&state=" + state)
	if status != 403 || !strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, "again=1") {
		t.Fatalf("first answer: %d\n%s", status, page)
	}
	if n := a.github.Count("POST /app-manifests/{code}/conversions"); n != 0 {
		t.Fatalf("exchanged before the cookie came back: %d", n)
	}
	if status, page := a.get("/setup/callback?again=1&code=c&state=" + state); status != 200 {
		t.Errorf("reload with the cookie: %d\n%s", status, page)
	}
}

func TestSetupCookieIsHttpOnlyAndSameSiteStrict(t *testing.T) {
	a := startApp(t, appOptions{configure: func(c *configT) { c.GitHub.App = appT{} }})
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirects.Get(a.url + "/?token=" + a.server.SetupToken())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("status %d, location %q: the token should leave the address bar", res.StatusCode, res.Header.Get("Location"))
	}
	c := res.Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Value != a.server.SetupToken() {
		t.Errorf("cookies = %+v", c)
	}
	if n := len(a.server.SetupToken()); n < 22 { // 128 bits in base64url
		t.Errorf("token of %d characters", n)
	}
	if !strings.Contains(a.logs.String(), "?token="+a.server.SetupToken()) {
		t.Error("the setup link is not in the log")
	}
}

func TestSetupStatesAreBoundedAndStartsRateLimited(t *testing.T) {
	s := newSetup(setupOptions{token: "t"})
	first, err := s.newState("")
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for range 10 * maxSetupStates {
		if last, err = s.newState(""); err != nil {
			t.Fatalf("a flood of starts refused a state: %v", err)
		}
	}
	if len(s.states) != maxSetupStates || len(s.order) != maxSetupStates {
		t.Errorf("%d states, %d in order", len(s.states), len(s.order))
	}
	if _, ok := s.takeState(first); ok {
		t.Error("the oldest state survived the flood")
	}
	if _, ok := s.takeState(last); !ok {
		t.Error("the newest state was evicted")
	}

	a, _ := setupApp(t)
	statuses := map[int]int{}
	for range 8 {
		status, _ := postForm(a, "/setup/start", url.Values{"url": {"https://x.example"}, "name": {"secwg"}})
		statuses[status]++
	}
	if statuses[200] != 5 || statuses[429] != 3 {
		t.Errorf("statuses = %v, want a burst of 5 then 429", statuses)
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
		// GitHub answers 401 to a JWT signed by a key that is not the App's:
		// retrying cannot help, so serve stops and names the key's source.
		a2 := startApp(t, appOptions{
			github: func(gh *githubtest.Server) {
				gh.ReplyJSON("GET /app", 401, map[string]string{"message": "A JSON web token could not be decoded"})
			},
			configure: func(c *configT) { c.GitHub.App.PrivateKeySource = "GITHUB_APP_PRIVATE_KEY_PATH=/keys/app.pem" },
		})
		select {
		case <-a2.exited:
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop on a 401 from GET /app")
		}
		err := a2.stop()
		if err == nil || !strings.Contains(err.Error(), "GITHUB_APP_PRIVATE_KEY_PATH=/keys/app.pem") || !strings.Contains(err.Error(), "401") {
			t.Errorf("error = %v", err)
		}
		if n := a2.github.Count("GET /app"); n != 1 {
			t.Errorf("GET /app called %d times", n)
		}
	})
	t.Run("GitHub down", func(t *testing.T) {
		a2 := startApp(t, appOptions{github: func(gh *githubtest.Server) {
			gh.ReplyJSON("GET /app", 502, map[string]string{"message": "Bad gateway"})
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
	// The rate-limit gauge appears once GET /app has answered: wait for it, do not race it.
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	a.get(HealthRoute)
	a.get(ReadyRoute)
	status, body := a.getAdmin(MetricsRoute)
	if status != 200 {
		t.Fatalf("metrics %d", status)
	}
	a.deliver("star", "m1", `{"action":"created"}`)
	_, body = a.getAdmin(MetricsRoute)
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

func TestSetupPageExplainsThePermissionsAndEventsOfTheManifest(t *testing.T) {
	a, _ := setupApp(t)
	status, page := a.get("/")
	if status != 200 {
		t.Fatalf("%d", status)
	}
	perms, events, err := manifestReasons()
	if err != nil || len(perms) < 5 || len(events) < 5 {
		t.Fatalf("manifest reasons: %v %v %v", perms, events, err)
	}
	for _, p := range append(perms, events...) {
		if p.Reason == "" {
			t.Errorf("%s has no reason in config/app.yml", p.Name)
		}
		if !strings.Contains(page, "<code>"+p.Name+"</code>") || !strings.Contains(page, html.EscapeString(p.Reason)) {
			t.Errorf("the page does not show %s and why (%q)", p.Name, p.Reason)
		}
	}
	if !strings.Contains(page, "What secwg will do") {
		t.Error("the page does not say what secwg will do")
	}
}

func TestSetupRedirectSendsTheManifestInOneClick(t *testing.T) {
	a, _ := setupApp(t)
	req, _ := http.NewRequest("POST", a.url+"/setup/start", strings.NewReader(url.Values{"url": {"https://x.example"}, "name": {"secwg"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	csp := res.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no script nonce in the CSP %q", csp)
	}
	if !strings.Contains(page, `<script nonce="`+m[1]+`">document.getElementById("manifest").submit();</script>`) {
		t.Errorf("no auto-submitting script with the CSP's nonce:\n%s", page)
	}
	if !strings.Contains(page, `<button type="submit">Create the App on GitHub</button>`) {
		t.Error("no fallback button for browsers without scripts")
	}
}

func TestSetupOffersTheWebhookProxyAndWarnsAboutLocalhost(t *testing.T) {
	tests := []struct {
		name        string
		proxy       string
		publicURL   string
		wantWarning bool
		wantProxy   bool
	}{
		{"public URL", "", "https://secwg.example.org", false, false},
		{"localhost without a proxy", "", "http://localhost:8080", true, false},
		{"localhost with a proxy", "https://smee.io/abc123", "http://localhost:8080", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := filepath.Join(t.TempDir(), "secwg-credentials.yml")
			a := startApp(t, appOptions{configure: func(c *configT) {
				c.GitHub.App = appT{}
				c.Setup.CredentialsPath = creds
				c.Server.PublicURL = tt.publicURL
				c.Server.WebhookProxyURL = tt.proxy
			}})
			a.get("/?token=" + a.server.SetupToken())
			_, page := a.get("/")
			if got := strings.Contains(page, `id="local-warning"`); got != tt.wantWarning {
				t.Errorf("localhost warning shown = %v", got)
			}
			if got := strings.Contains(page, `value="proxy" checked`); got != tt.wantProxy {
				t.Errorf("proxy offered and chosen = %v", got)
			}
			if !tt.wantProxy {
				return
			}
			status, page := postForm(a, "/setup/start", url.Values{"url": {tt.publicURL}, "name": {"secwg"}, "delivery": {"proxy"}})
			m := hiddenInput.FindStringSubmatch(page)
			if status != 200 || m == nil {
				t.Fatalf("start: %d", status)
			}
			var manifest struct {
				RedirectURL    string         `json:"redirect_url"`
				HookAttributes map[string]any `json:"hook_attributes"`
			}
			json.Unmarshal([]byte(html.UnescapeString(m[1])), &manifest)
			if manifest.HookAttributes["url"] != tt.proxy || manifest.RedirectURL != a.url+"/setup/callback" {
				t.Errorf("hook %v, redirect %q; want the proxy and the browser's own URL", manifest.HookAttributes["url"], manifest.RedirectURL)
			}
			action := html.UnescapeString(formAction.FindStringSubmatch(page)[1])
			conversionReply(a.github)
			if status, page := a.get("/setup/callback?code=c&state=" + action[strings.Index(action, "state=")+6:]); status != 200 {
				t.Fatalf("callback: %d %s", status, page)
			}
			cfg, err := config.Load(creds, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Server.WebhookProxyURL != tt.proxy {
				t.Errorf("saved proxy %q: the restarted server would not listen to the channel", cfg.Server.WebhookProxyURL)
			}
		})
	}
}

func TestSetupCreatesAWebhookProxyChannelForALaptop(t *testing.T) {
	smee := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/new" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Location", "https://smee.example/Ch4nnelFromTheTest")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer smee.Close()
	a := startApp(t, appOptions{configure: func(c *configT) {
		c.GitHub.App = appT{}
		c.Setup.CredentialsPath = filepath.Join(t.TempDir(), "secwg-credentials.yml")
		c.Setup.ProxyServiceURL = smee.URL
	}})
	a.get("/?token=" + a.server.SetupToken())
	_, page := a.get("/")
	// The browser reached this server on loopback: GitHub cannot, so the proxy is the default.
	if !strings.Contains(page, `value="proxy" checked> Through a new smee.io channel`) || !strings.Contains(page, `id="local-warning"`) {
		t.Fatalf("the page does not offer a new channel for a loopback URL:\n%s", page)
	}
	status, page := postForm(a, "/setup/start", url.Values{"url": {a.url}, "name": {"secwg"}, "delivery": {"proxy"}})
	m := hiddenInput.FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("start: %d\n%s", status, page)
	}
	if !strings.Contains(html.UnescapeString(m[1]), `"url":"https://smee.example/Ch4nnelFromTheTest"`) {
		t.Errorf("the manifest's hook is not the new channel: %s", html.UnescapeString(m[1]))
	}
}

// The link opens setup in one browser: a second browser given the same link
// (a copy of the log, say) is refused, while the first may open it again.
func TestSetupLinkWorksInTheFirstBrowserOnly(t *testing.T) {
	a := startApp(t, appOptions{configure: func(c *configT) { c.GitHub.App = appT{} }})
	link := a.url + "/?token=" + a.server.SetupToken()
	noRedirects := func() *http.Client {
		return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	first := noRedirects()
	res, err := first.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	if res.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("first browser: status %d, cookies %v", res.StatusCode, cookies)
	}
	again, _ := http.NewRequest("GET", link, nil)
	again.AddCookie(cookies[0])
	if res, err = first.Do(again); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("first browser again: status %d, want 303", res.StatusCode)
	}
	if res, err = noRedirects().Get(link); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("second browser: status %d, cookies %v; want 403 and none", res.StatusCode, res.Cookies())
	}
}

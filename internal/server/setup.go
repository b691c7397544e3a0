package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"
	"golang.org/x/time/rate"

	appconfig "github.com/secwg/secwg/config"
	"github.com/secwg/secwg/templates"
)

var setupPages = template.Must(template.ParseFS(templates.FS, "setup.html.tmpl"))

// setup registers the GitHub App through the App Manifest flow when secwg starts
// without credentials: a form here, confirmation on GitHub, then a code that is
// exchanged for the App's id, key and webhook secret.
//
// Whoever finishes the flow chooses the App secwg will act as, so every route
// requires the one-time token printed in the log at start: the first visit with
// ?token= sets an HttpOnly, SameSite=Strict cookie that the later steps need.
type setup struct {
	setupOptions

	mu      sync.Mutex
	states  map[string]registration
	order   []string // states, oldest first, for eviction
	done    bool
	limiter *clientLimiter
	// spent is set once a browser has opened the link: the link then works
	// no more, so a copy of the log opens nothing in another browser.
	spent bool
}

// registration is one setup in progress, by its state.
type registration struct {
	at time.Time
	// proxyURL is the webhook proxy channel the App's hook points at, if any.
	proxyURL string
}

type setupOptions struct {
	token string
	// proxyURL is the configured webhook proxy channel (SECWG_WEBHOOK_PROXY_URL).
	proxyURL string
	// newChannel creates a webhook proxy channel; nil when none can be made.
	newChannel      func(context.Context) (string, error)
	publicURL       string
	webURL          string
	apiURL          string
	credentialsPath string
	httpClient      *http.Client
}

const (
	setupStateTTL = time.Hour
	// maxSetupStates bounds the registrations in progress; the oldest is
	// forgotten first, so a flood cannot lock the operator out.
	maxSetupStates = 64
	setupCookie    = "secwg_setup"
)

var orgName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

func newSetup(o setupOptions) *setup {
	return &setup{setupOptions: o, states: map[string]registration{}, limiter: newClientLimiter(rate.Every(6*time.Second), 5)}
}

func (s *setup) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.start)
	mux.HandleFunc("POST /setup/start", s.requireCookie(s.begin))
	mux.HandleFunc("GET /setup/callback", s.callback)
}

// hasCookie reports whether the browser opened the setup link.
func (s *setup) hasCookie(r *http.Request) bool {
	c, err := r.Cookie(setupCookie)
	return err == nil && s.validToken(c.Value)
}

func (s *setup) validToken(t string) bool {
	return s.token != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// spendLink accepts the link's token once.
func (s *setup) spendLink(t string) bool {
	if !s.validToken(t) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent {
		return false
	}
	s.spent = true
	return true
}

func (s *setup) requireCookie(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.hasCookie(r) {
			s.forbidden(w)
			return
		}
		next(w, r)
	}
}

func (s *setup) forbidden(w http.ResponseWriter) {
	s.fail(w, http.StatusForbidden, "Open the setup link that secwg printed in its log when it started (it ends in ?token=…). "+
		"Only that link can register the App, and only in the first browser that opens it; restart secwg for a new link.")
}

func (s *setup) start(w http.ResponseWriter, r *http.Request) {
	if t := r.URL.Query().Get("token"); t != "" {
		if s.hasCookie(r) {
			// The same browser again (a reload, the link opened twice).
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if !s.spendLink(t) {
			s.forbidden(w)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: setupCookie, Value: s.token, Path: "/", HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(setupStateTTL / time.Second)})
		// Drop the token from the address bar and the browser's history.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.hasCookie(r) {
		s.forbidden(w)
		return
	}
	public := s.publicURL
	if public == "" {
		public = browserURL(r)
	}
	perms, events, err := manifestReasons()
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "config/app.yml cannot be read: "+err.Error())
		return
	}
	s.render(w, http.StatusOK, "start", map[string]any{
		"PublicURL":   public,
		"Local":       isLocalURL(public),
		"ProxyURL":    s.proxyURL,
		"CanCreate":   s.newChannel != nil,
		"Permissions": perms,
		"Events":      events,
	})
}

// browserURL is this server's address as the browser used it.
func browserURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// isLocalURL reports whether GitHub could never reach u: a loopback host or a
// name that only this machine resolves.
func isLocalURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := p.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified()
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local")
}

func (s *setup) begin(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(clientKey(r)) {
		w.Header().Set("Retry-After", "6")
		s.fail(w, http.StatusTooManyRequests, "Too many registrations were started from here; wait a few seconds and try again.")
		return
	}
	if _, err := os.Lstat(s.credentialsPath); err == nil {
		s.fail(w, http.StatusConflict, "The credentials file "+s.credentialsPath+" already exists. Start secwg with it, or move it away to register another App.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	public, err := url.Parse(strings.TrimRight(strings.TrimSpace(r.PostFormValue("url")), "/"))
	if err != nil || (public.Scheme != "https" && public.Scheme != "http") || public.Host == "" {
		s.fail(w, http.StatusBadRequest, "The public URL must be an http or https URL such as https://secwg.example.org.")
		return
	}
	org := strings.TrimSpace(r.PostFormValue("org"))
	if org != "" && !orgName.MatchString(org) {
		s.fail(w, http.StatusBadRequest, "That is not a GitHub organization name.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 34 {
		s.fail(w, http.StatusBadRequest, "The App name must have 1 to 34 characters.")
		return
	}
	hook, redirect := public.String()+WebhookRoute, public.String()
	var proxy string
	switch r.PostFormValue("delivery") {
	case "proxy":
		proxy = s.proxyURL
		if proxy == "" {
			if s.newChannel == nil {
				s.fail(w, http.StatusBadRequest, "No webhook proxy is configured; set SECWG_WEBHOOK_PROXY_URL to a smee.io channel and restart.")
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
			defer cancel()
			if proxy, err = s.newChannel(ctx); err != nil {
				s.fail(w, http.StatusBadGateway, "No webhook proxy channel could be created: "+err.Error())
				return
			}
		}
		// GitHub posts to the channel; the browser comes back to the address it used.
		hook, redirect = proxy, browserURL(r)
	case "", "direct":
	default:
		s.fail(w, http.StatusBadRequest, "Choose how webhooks reach this server.")
		return
	}
	manifest, err := buildManifest(name, hook, redirect)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "The App manifest could not be built: "+err.Error())
		return
	}
	state, err := s.newState(proxy)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "No random state could be made.")
		return
	}
	action := strings.TrimRight(s.webURL, "/") + "/settings/apps/new"
	if org != "" {
		action = strings.TrimRight(s.webURL, "/") + "/organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	s.render(w, http.StatusOK, "redirect", map[string]string{
		"Action":   action + "?state=" + url.QueryEscape(state),
		"Manifest": string(manifest),
	})
}

// permissionReason is one line of the setup page: a permission or an event, and why.
type permissionReason struct {
	Name, Access, Reason string
}

// manifestReasons reads the permissions and events of config/app.yml with the
// comment that says which feature needs each, so the page cannot drift from it.
func manifestReasons() (perms, events []permissionReason, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(appconfig.AppManifest, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, errors.New("not a mapping")
	}
	root := doc.Content[0]
	reason := func(n *yaml.Node) string { return strings.TrimSpace(strings.TrimPrefix(n.LineComment, "#")) }
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "default_permissions":
			for j := 0; j+1 < len(val.Content); j += 2 {
				perms = append(perms, permissionReason{Name: val.Content[j].Value, Access: val.Content[j+1].Value,
					Reason: reason(val.Content[j+1])})
			}
		case "default_events":
			for _, e := range val.Content {
				events = append(events, permissionReason{Name: e.Value, Reason: reason(e)})
			}
		}
	}
	return perms, events, nil
}

// buildManifest turns config/app.yml into the JSON manifest GitHub expects, with
// the webhook URL and the base of the browser's way back filled in.
func buildManifest(name, hookURL, public string) ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(appconfig.AppManifest, &m); err != nil {
		return nil, fmt.Errorf("config/app.yml: %w", err)
	}
	m["name"] = name
	hook, _ := m["hook_attributes"].(map[string]any)
	if hook == nil {
		hook = map[string]any{}
	}
	hook["url"] = hookURL
	m["hook_attributes"] = hook
	m["redirect_url"] = public + "/setup/callback"
	return json.Marshal(m)
}

func (s *setup) newState(proxy string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	st := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) >= maxSetupStates {
		delete(s.states, s.order[0])
		s.order = s.order[1:]
	}
	s.states[st] = registration{at: time.Now(), proxyURL: proxy}
	s.order = append(s.order, st)
	return st, nil
}

// takeState accepts a state once: it ties GitHub's redirect to a form this server
// rendered, so a stranger cannot make it exchange a code of their choosing.
func (s *setup) takeState(st string) (registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg, ok := s.states[st]
	if !ok {
		return registration{}, false
	}
	delete(s.states, st)
	for i, o := range s.order {
		if o == st {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
	return reg, time.Since(reg.at) <= setupStateTTL
}

func (s *setup) knownState(st string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.states[st]
	return ok
}

func (s *setup) callback(w http.ResponseWriter, r *http.Request) {
	logger := zerolog.Ctx(r.Context())
	q := r.URL.Query()
	code, state := q.Get("code"), q.Get("state")
	if !s.hasCookie(r) {
		// GitHub's redirect is a cross-site navigation, which a SameSite=Strict
		// cookie does not follow. One reload from this page is same-site and
		// carries it; a browser that never opened the setup link still has none.
		if q.Get("again") == "" && s.knownState(state) {
			q.Set("again", "1")
			s.render(w, http.StatusForbidden, "continue", map[string]string{"URL": "/setup/callback?" + q.Encode()})
			return
		}
		s.forbidden(w)
		return
	}
	reg, ok := s.takeState(state)
	if code == "" || len(code) > 256 || !ok {
		s.fail(w, http.StatusBadRequest, "This link is not from a registration started here, or it has expired.")
		return
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done {
		s.fail(w, http.StatusConflict, "An App is already registered; restart secwg with its credentials.")
		return
	}
	// Claim the file before GitHub hands over the key, so that a failure here
	// leaves no App on GitHub whose only key was thrown away.
	f, err := os.OpenFile(s.credentialsPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		logger.Error().Err(err).Msg("could not create the credentials file")
		s.fail(w, http.StatusConflict, "The credentials file "+s.credentialsPath+" cannot be created ("+err.Error()+
			"); nothing was registered. Move the existing file away or fix the folder's permissions, then start again.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	app, err := s.convert(ctx, code)
	if err != nil {
		f.Close()
		os.Remove(s.credentialsPath)
		logger.Error().Err(err).Msg("App manifest conversion failed")
		s.fail(w, http.StatusBadGateway, "GitHub did not accept the registration code: "+err.Error())
		return
	}
	if err := writeCredentials(f, app, reg.proxyURL); err != nil {
		os.Remove(s.credentialsPath)
		logger.Error().Err(err).Msg("could not save the App credentials")
		s.fail(w, http.StatusInternalServerError, "The App was created on GitHub but its credentials could not be saved: "+err.Error()+
			". Delete the App in GitHub's settings and start again.")
		return
	}
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
	logger.Info().Int64("app_id", app.GetID()).Str("app_slug", app.GetSlug()).Str("path", s.credentialsPath).
		Msg("GitHub App registered; restart secwg with the saved credentials")
	s.render(w, http.StatusOK, "done", map[string]string{
		"Slug":       app.GetSlug(),
		"Path":       s.credentialsPath,
		"InstallURL": strings.TrimRight(app.GetHTMLURL(), "/") + "/installations/new",
	})
}

func (s *setup) convert(ctx context.Context, code string) (*github.AppConfig, error) {
	client := github.NewClient(s.httpClient)
	base, err := url.Parse(strings.TrimRight(s.apiURL, "/") + "/")
	if err != nil {
		return nil, err
	}
	client.BaseURL = base
	app, _, err := client.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		return nil, err
	}
	if app.GetID() == 0 || app.GetPEM() == "" || app.GetWebhookSecret() == "" {
		return nil, errors.New("the answer lacks the App id, key or webhook secret")
	}
	return app, nil
}

// credentialsFile is a secwg config holding only the App's credentials.
type credentialsFile struct {
	Server *struct {
		WebhookProxyURL string `yaml:"webhook_proxy_url"`
	} `yaml:"server,omitempty"`
	GitHub struct {
		App struct {
			IntegrationID int64  `yaml:"integration_id"`
			WebhookSecret string `yaml:"webhook_secret"`
			PrivateKey    string `yaml:"private_key"`
		} `yaml:"app"`
	} `yaml:"github"`
}

// writeCredentials fills the file the callback created exclusively, readable only
// by its owner: an existing file may hold another App's only copy of its key.
func writeCredentials(f *os.File, app *github.AppConfig, proxyURL string) error {
	var c credentialsFile
	if proxyURL != "" {
		// The App's hook points at the channel: the restarted server must listen to it.
		c.Server = &struct {
			WebhookProxyURL string `yaml:"webhook_proxy_url"`
		}{proxyURL}
	}
	c.GitHub.App.IntegrationID = app.GetID()
	c.GitHub.App.WebhookSecret = app.GetWebhookSecret()
	c.GitHub.App.PrivateKey = app.GetPEM()
	data, err := yaml.Marshal(&c)
	if err != nil {
		f.Close()
		return err
	}
	header := fmt.Sprintf("# Credentials of the GitHub App %q, saved by secwg's setup page.\n# Keep this file secret.\n", app.GetSlug())
	if _, err := f.WriteString(header + string(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *setup) fail(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error", map[string]string{"Message": msg})
}

func (s *setup) render(w http.ResponseWriter, status int, page string, data any) {
	nonce, _ := newSetupToken()
	if m, ok := data.(map[string]string); ok {
		m["Nonce"] = nonce
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The one script, which sends the manifest on to GitHub, runs by its nonce.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+nonce+"'; form-action 'self' "+s.webURL)
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = setupPages.ExecuteTemplate(w, page, data)
}

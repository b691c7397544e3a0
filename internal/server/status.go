package server

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/version"
	"github.com/secwg/secwg/templates"
)

var statusPage = template.Must(template.New("status.html.tmpl").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"took": func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) },
	// issueRef shortens an issue's URL to owner/repo#number.
	"issueRef": func(u string) string {
		if i := strings.Index(u, "github.com/"); i >= 0 {
			return strings.Replace(u[i+len("github.com/"):], "/issues/", "#", 1)
		}
		return u
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "none known"
		}
		return t.UTC().Format("Mon 2 Jan 2006 15:04 MST")
	},
}).ParseFS(templates.FS, "status.html.tmpl"))

// recentDeliveries keeps the last deliveries' outcomes for the status page, in
// a fixed ring: no delivery can make it grow.
type recentDeliveries struct {
	mu   sync.Mutex
	ring [50]deliveryRecord
	next int
	n    int
}

type deliveryRecord struct {
	At       time.Time
	ID       string
	Event    string
	Action   string
	Outcome  string
	Status   int
	Duration time.Duration
}

func (r *recentDeliveries) add(d deliveryRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ring[r.next] = d
	r.next = (r.next + 1) % len(r.ring)
	r.n = min(r.n+1, len(r.ring))
}

// list returns the deliveries newest first.
func (r *recentDeliveries) list() []deliveryRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]deliveryRecord, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.ring[(r.next-i+len(r.ring))%len(r.ring)])
	}
	return out
}

// installationView is one installation on the status page.
type installationView struct {
	Account string
	ID      int64
	Repos   []string
	More    int
	Error   string
}

// installationCache fetches the App's installations at most once a minute, so
// that a status page left open costs a few API calls an hour.
type installationCache struct {
	mu      sync.Mutex
	fetched time.Time
	list    []installationView
	err     string
}

const (
	installationsTTL  = time.Minute
	reposShownPerInst = 30
)

func (s *Server) installations(ctx context.Context) ([]installationView, string) {
	c := &s.instCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.fetched) < installationsTTL {
		return c.list, c.err
	}
	c.fetched = time.Now()
	c.list, c.err = nil, ""
	app, err := s.clients.NewAppClient()
	if err != nil {
		c.err = err.Error()
		return nil, c.err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	insts, _, err := app.Apps.ListInstallations(ctx, &github.ListOptions{PerPage: 100})
	if err != nil {
		c.err = err.Error()
		return nil, c.err
	}
	for _, in := range insts {
		v := installationView{Account: in.GetAccount().GetLogin(), ID: in.GetID()}
		client, err := s.clients.NewInstallationClient(in.GetID())
		if err == nil {
			var repos *github.ListRepositories
			repos, _, err = client.Apps.ListRepos(ctx, &github.ListOptions{PerPage: reposShownPerInst})
			if err == nil {
				for _, r := range repos.Repositories {
					v.Repos = append(v.Repos, r.GetFullName())
				}
				v.More = max(repos.GetTotalCount()-len(v.Repos), 0)
			}
		}
		if err != nil {
			v.Error = err.Error()
		}
		c.list = append(c.list, v)
	}
	return c.list, c.err
}

// statusView is everything the status page shows.
type statusView struct {
	Version       string
	Mode          string
	AppSlug       string
	AppID         int64
	Ready         bool
	Installations []installationView
	InstError     string
	Deliveries    []deliveryRecord
	QueueDepth    int
	QueueSize     int
	Workers       int
	Redelivery    RedeliveryStatus
	Groups        []meetingsync.GroupStatus
	Now           time.Time
}

// RedeliveryStatus is what the status page says of the redelivery loop.
type RedeliveryStatus struct {
	Enabled   bool
	LastPass  time.Time
	Requested int
	GivenUp   int
	LastError string
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	v := statusView{Version: version.String(), Mode: "setup", Now: time.Now(), QueueSize: s.cfg.Server.QueueSize, Workers: s.cfg.Server.Workers}
	if s.clients != nil {
		v.Mode = "webhook"
		v.AppSlug, v.AppID, v.Ready = s.slug(), s.cfg.GitHub.App.IntegrationID, s.ready.Load()
		v.Installations, v.InstError = s.installations(r.Context())
		v.QueueDepth = s.queue.Len()
		v.Groups = s.meetings.Status()
		if s.cfg.Redelivery.Interval > 0 {
			st := s.redeliver.Status()
			v.Redelivery = RedeliveryStatus{Enabled: true, LastPass: st.LastPass, Requested: st.Requested, GivenUp: st.GivenUp}
			if st.LastError != nil {
				v.Redelivery.LastError = st.LastError.Error()
			}
		}
	}
	v.Deliveries = s.recent.list()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("X-Frame-Options", "DENY")
	if err := statusPage.Execute(w, v); err != nil {
		s.logger.Error().Err(err).Msg("rendering the status page")
	}
}

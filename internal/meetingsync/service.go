package meetingsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/calendarfeed"
	"github.com/secwg/secwg/internal/meeting"
)

// CalendarFetcher reads a group's iCalendar feed; *calendarfeed.Fetcher is one.
type CalendarFetcher interface {
	Fetch(ctx context.Context, source string) ([]byte, error)
}

// Service runs every configured meeting group against GitHub.
type Service struct {
	cfg      *meeting.Config
	clients  githubapp.ClientCreator
	now      func() time.Time
	fetcher  CalendarFetcher
	hackmd   *HackMD
	logger   zerolog.Logger
	app      appid.Identity
	renderer *meeting.Renderer
	locker   Locker // nil: the in-process group lock alone
	// calendars keeps parsed feeds, so a pass and the commands between passes
	// parse an unchanged feed once.
	calendars meeting.CalendarCache

	passMu sync.Mutex // one Sync at a time

	// oneInstallation, when set, reaches every repository and organisation
	// through one installation: a token that is not an App's cannot look
	// installations up.
	oneInstallation *int64

	mu sync.Mutex
	// installs finds the App's installations, each remembered for installTTL
	// so that a reinstalled App is found again; nil until first needed and
	// after ForgetInstallations.
	installs   githubapp.InstallationsService
	installTTL time.Duration
	groups     map[string]*groupState

	statusMu sync.Mutex
	status   map[string]GroupStatus
}

// groupState is what the service remembers of a group; Sync rebuilds it.
type groupState struct {
	mu sync.Mutex // serialises every write to the group's meetings
	// upcoming is the meeting issue of the next meeting, once known.
	upcoming *issueRef
	// proposed holds the dates whose minutes pull request exists.
	proposed map[string]bool
}

// issueRef is a meeting issue as the service remembers it.
type issueRef struct {
	Number int
	URL    string
	Date   string
	Occ    meeting.Occurrence
	Closed bool
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithCalendarFetcher replaces the default feed fetcher (10 s timeout, ETag cache).
func WithCalendarFetcher(f CalendarFetcher) Option { return func(s *Service) { s.fetcher = f } }

// WithHackMD lets groups with minutes.hackmd_team keep their minutes in HackMD;
// a nil client turns HackMD off.
func WithHackMD(h *HackMD) Option { return func(s *Service) { s.hackmd = h } }

// WithLogger sets the logger for Run and for what a pass decides.
func WithLogger(l zerolog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithApp tells the service the App's identity, whose login authors the
// meeting issues; without it the service asks GET /app itself when it must.
func WithApp(app appid.Identity) Option { return func(s *Service) { s.app = app } }

// Locker serialises work on a name across processes; *coord.Store is one.
// held is ctx, cancelled too if the lock is lost; unlock releases it.
type Locker interface {
	Lock(ctx context.Context, name string) (held context.Context, unlock func(), err error)
}

// WithLocker makes every update of a group (sync pass, live agenda, minutes,
// /meeting) also hold "meeting:<group id>" in l, so that replicas sharing l never
// work on one group at once and never create a second meeting issue.
func WithLocker(l Locker) Option { return func(s *Service) { s.locker = l } }

// lockGroup takes the group's in-process lock and, with a Locker, its shared one.
// The returned context ends if the shared lock is lost.
func (s *Service) lockGroup(ctx context.Context, g *meeting.Group, st *groupState) (context.Context, func(), error) {
	st.mu.Lock()
	if s.locker == nil {
		return ctx, st.mu.Unlock, nil
	}
	held, unlock, err := s.locker.Lock(ctx, "meeting:"+g.ID)
	if err != nil {
		st.mu.Unlock()
		return nil, nil, fmt.Errorf("group %q: %w", g.ID, err)
	}
	return held, func() { unlock(); st.mu.Unlock() }, nil
}

// WithInstallation reaches every group through installation id without
// looking installations up: for a client creator bound to one token, as in a
// GitHub Actions workflow, which ignores the id.
func WithInstallation(id int64) Option { return func(s *Service) { s.oneInstallation = &id } }

// New builds the service for cfg's groups. cfg must have been validated.
func New(cfg *meeting.Config, clients githubapp.ClientCreator, opts ...Option) (*Service, error) {
	if cfg == nil {
		cfg = &meeting.Config{}
	}
	r, err := meeting.DefaultRenderer()
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:      cfg,
		clients:  clients,
		now:      time.Now,
		fetcher:  &calendarfeed.Fetcher{UserAgent: "secwg"},
		logger:   zerolog.Nop(),
		renderer: r,
		groups:   map[string]*groupState{},

		installTTL: installationTTL,
	}
	if clients != nil {
		s.app = appid.NewLookup(0, clients.NewAppClient).Identity()
	}
	for _, o := range opts {
		o(s)
	}
	for _, g := range cfg.Groups {
		s.groups[g.ID] = &groupState{proposed: map[string]bool{}}
	}
	return s, nil
}

func (s *Service) group(id string) (*meeting.Group, *groupState, error) {
	g, err := s.cfg.Group(id)
	if err != nil {
		return nil, nil, err
	}
	return g, s.groups[g.ID], nil
}

// appLogin is the login the App's issues are authored by, or "" when unknown.
func (s *Service) appLogin() string { return s.app.Login() }

// ensureAppLogin returns the App's login, asking GET /app when nobody told it.
func (s *Service) ensureAppLogin(ctx context.Context) (string, error) {
	return s.app.ResolveLogin(ctx)
}

// installationTTL bounds how long an installation id is trusted when no
// installation event says it changed (one missed while the server was down).
const installationTTL = 10 * time.Minute

// installation finds the App's installation on a repository ("owner/name") or
// an organisation (or user), through go-githubapp's caching service.
func (s *Service) installation(ctx context.Context, kind, name string) (int64, error) {
	if s.oneInstallation != nil {
		return *s.oneInstallation, nil
	}
	svc, err := s.installations()
	if err != nil {
		return 0, err
	}
	var inst githubapp.Installation
	switch kind {
	case "repo":
		owner, repo, _ := strings.Cut(name, "/")
		inst, err = svc.GetByRepository(ctx, owner, repo)
	default:
		inst, err = svc.GetByOwner(ctx, name)
	}
	if err != nil {
		return 0, fmt.Errorf("finding the App's installation on %s %s: %w", kind, name, err)
	}
	return inst.ID, nil
}

func (s *Service) installations() (githubapp.InstallationsService, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installs == nil {
		client, err := s.clients.NewAppClient()
		if err != nil {
			return nil, fmt.Errorf("creating the App client: %w", err)
		}
		s.installs = githubapp.NewCachingInstallationsService(githubapp.NewInstallationsService(client), s.installTTL, 2*s.installTTL)
	}
	return s.installs, nil
}

// ForgetInstallations drops every remembered installation id, for when the
// App was installed, uninstalled or moved: the next lookup asks GitHub.
func (s *Service) ForgetInstallations() {
	s.mu.Lock()
	s.installs = nil
	s.mu.Unlock()
}

// repoClient is an installation client for the group's repository.
func (s *Service) repoClient(ctx context.Context, g *meeting.Group) (*github.Client, error) {
	id, err := s.installation(ctx, "repo", g.Repo)
	if err != nil {
		return nil, err
	}
	return s.clients.NewInstallationClient(id)
}

// searchClient is an installation client that sees the group's org: the org's
// installation, else the repository's when the App is installed only there.
func (s *Service) searchClient(ctx context.Context, g *meeting.Group) (*github.Client, error) {
	owner, _, _ := strings.Cut(g.Repo, "/")
	if !strings.EqualFold(owner, g.Org) {
		if id, err := s.installation(ctx, "org", g.Org); err == nil {
			return s.clients.NewInstallationClient(id)
		} else if !isNotFound(err) {
			return nil, err
		}
	}
	return s.repoClient(ctx, g)
}

// calendar loads the group's calendar, fetching its feed when it has one.
func (s *Service) calendar(ctx context.Context, g *meeting.Group) (*meeting.Calendar, error) {
	var ics []byte
	if g.Calendar != nil {
		var err error
		if ics, err = s.fetcher.Fetch(ctx, g.Calendar.URL); err != nil {
			return nil, fmt.Errorf("group %q: %w", g.ID, err)
		}
	}
	cal, fresh, err := s.calendars.Load(ctx, g, ics)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", g.ID, err)
	}
	if fresh && cal.Skipped > 0 {
		ev := s.logger.Warn().Str("group", g.ID).Int("skipped", cal.Skipped)
		if len(cal.Warnings) > 0 {
			ev = ev.Stringer("first", cal.Warnings[0])
		}
		ev.Msg("calendar feed: skipped lines or events it could not read")
	}
	return cal, nil
}

func splitRepo(repo string) (string, string) {
	owner, name, _ := strings.Cut(repo, "/")
	return owner, name
}

// deadInstallation reports whether err says an installation id no longer
// works: GitHub refused to mint its token (404) or revoked the token (401),
// as after the App was uninstalled.
func deadInstallation(err error) bool {
	var mint *ghinstallation.HTTPError
	if errors.As(err, &mint) {
		return mint.Response != nil && mint.Response.StatusCode == http.StatusNotFound
	}
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusUnauthorized
}

func isNotFound(err error) bool {
	var e *github.ErrorResponse
	var none githubapp.InstallationNotFound
	return errors.As(err, &none) || errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

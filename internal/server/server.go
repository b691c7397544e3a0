// Package server is secwg's HTTP side: the webhook route, the first-run setup page,
// health, readiness and metrics, the async work queue, and graceful shutdown.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/mattn/go-isatty"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/coord"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/metrics"
	"github.com/secwg/secwg/internal/redeliver"
	"github.com/secwg/secwg/internal/version"
	"github.com/secwg/secwg/internal/webhookproxy"
)

// channelMaker asks a smee server for a new webhook proxy channel; nil when the
// offer is turned off.
func channelMaker(service string) func(context.Context) (string, error) {
	if service == "" || service == "none" {
		return nil
	}
	return func(ctx context.Context) (string, error) { return webhookproxy.NewChannel(ctx, service) }
}

// Routes.
const (
	WebhookRoute = githubapp.DefaultWebhookRoute
	HealthRoute  = "/healthz"
	ReadyRoute   = "/readyz"
	MetricsRoute = "/metrics"
)

// Limits of the HTTP server; the webhook body cap is MaxPayloadBytes.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	readyRetryMax     = 30 * time.Second
	// maxAnnotations bounds a check run's annotation requests to 20; errors come first.
	maxAnnotations = 1000
)

// Server is a configured secwg App server.
type Server struct {
	cfg     *config.Config
	logger  zerolog.Logger
	metrics *metrics.Metrics
	handler http.Handler

	// Nil in setup mode.
	queue    *Queue
	clients  githubapp.ClientCreator
	meetings *meetingsync.Service

	ready    atomic.Bool
	draining atomic.Bool
	// app learns the App's slug (GET /app) once, for every part that needs it.
	app *appid.Lookup

	// admin serves /metrics and the operator pages on their own port.
	admin http.Handler
	// setupToken guards the setup pages; "" once credentials exist.
	setupToken string

	recent    recentDeliveries
	instCache installationCache
	// proxy forwards a webhook proxy channel's deliveries; nil without one.
	proxy *webhookproxy.Proxy

	// store holds dedup, locks and leases; nil in setup mode.
	store   *coord.Store
	storeOK atomic.Bool
	// redeliver asks GitHub again for the deliveries that failed.
	redeliver *redeliver.Redeliverer
}

// Option changes how New wires the server; tests use them.
type Option func(*options)

type options struct {
	handlers []githubapp.EventHandler
	retry    githubclient.RetryPolicy
}

// WithHandlers adds event handlers ahead of secwg's own.
func WithHandlers(h ...githubapp.EventHandler) Option {
	return func(o *options) { o.handlers = append(o.handlers, h...) }
}

// WithRetryPolicy replaces the GitHub client's retry policy.
func WithRetryPolicy(p githubclient.RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

// New wires the whole server from its configuration. Without App credentials it
// serves the setup page instead of the webhook.
func New(cfg *config.Config, logger zerolog.Logger, opts ...Option) (*Server, error) {
	o := options{retry: githubclient.DefaultRetryPolicy()}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{cfg: cfg, logger: logger, metrics: metrics.New()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthRoute, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET "+ReadyRoute, s.serveReady)
	admin := http.NewServeMux()
	admin.Handle("GET "+MetricsRoute, promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	admin.HandleFunc("GET "+HealthRoute, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	admin.HandleFunc("GET /{$}", s.serveStatus)
	s.admin = s.accessLog(admin)

	if !cfg.GitHub.App.HasCredentials() {
		token, err := newSetupToken()
		if err != nil {
			return nil, fmt.Errorf("making the setup token: %w", err)
		}
		s.setupToken = token
		newSetup(setupOptions{
			token:           token,
			proxyURL:        cfg.Server.WebhookProxyURL,
			newChannel:      channelMaker(cfg.Setup.ProxyServiceURL),
			publicURL:       cfg.Server.PublicURL,
			webURL:          cfg.GitHub.WebURL,
			apiURL:          cfg.GitHub.V3APIURL,
			credentialsPath: cfg.Setup.CredentialsPath,
			httpClient:      &http.Client{Timeout: 30 * time.Second},
		}).routes(mux)
		mux.HandleFunc(WebhookRoute, func(w http.ResponseWriter, _ *http.Request) {
			s.metrics.Deliveries.WithLabelValues("unverified", "", outcomeNotConfigured).Inc()
			http.Error(w, "secwg is not configured yet: open this server's / page to register the GitHub App, then restart it with the credentials", http.StatusServiceUnavailable)
		})
		s.handler = s.accessLog(mux)
		return s, nil
	}

	if err := checkPrivateKey(cfg.GitHub.App); err != nil {
		return nil, err
	}
	ghc := githubapp.Config{WebURL: cfg.GitHub.WebURL, V3APIURL: cfg.GitHub.V3APIURL, V4APIURL: cfg.GitHub.V4APIURL}
	ghc.App.IntegrationID = cfg.GitHub.App.IntegrationID
	ghc.App.WebhookSecret = cfg.GitHub.App.WebhookSecret
	ghc.App.PrivateKey = cfg.GitHub.App.PrivateKey
	clients, err := githubclient.NewCreator(githubclient.Options{
		Config:    ghc,
		CacheSize: int64(cfg.Server.CacheSize),
		Retry:     o.retry,
		Metrics:   s.metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the GitHub client: %w", err)
	}
	s.clients = clients
	s.app = appid.NewLookup(cfg.GitHub.App.IntegrationID, clients.NewAppClient)
	app := s.app.Identity()
	// What replicas must agree on lives in Redis when they share one, else here.
	s.store, err = coord.Open(cfg.Redis.URL, coord.Options{ProcessingTTL: cfg.Server.JobTimeout + time.Minute})
	if err != nil {
		return nil, err
	}
	s.storeOK.Store(s.store.Kind() == "memory")
	meetingOpts := []meetingsync.Option{
		meetingsync.WithApp(app),
		meetingsync.WithLogger(logger),
		meetingsync.WithHackMD(meetingsync.HackMDFromEnv(os.Getenv)),
	}
	if s.store.Kind() == "redis" {
		meetingOpts = append(meetingOpts, meetingsync.WithLocker(s.store))
	}
	s.meetings, err = meetingsync.New(&cfg.Meetings, clients, meetingOpts...)
	if err != nil {
		return nil, fmt.Errorf("setting up meetings: %w", err)
	}
	checks := checkrun.New(clients, time.Now, logger, checkrun.Options{
		App:            app,
		MaxAnnotations: maxAnnotations,
		// Two deliveries for one commit (a push and /recheck, on any replica)
		// must not both create its run.
		Locker: s.store,
	})
	s.queue = NewQueue(cfg.Server.QueueSize, cfg.Server.Workers, cfg.Server.JobTimeout, s.metrics, logger)

	handlers := append(o.handlers, handler.All(handler.Base{Clients: clients, Metrics: s.metrics, App: app},
		handler.Services{Groups: cfg.Meetings.Groups, Meetings: s.meetings, Checks: checks})...)
	rejected := logger.Sample(rejectSampler())
	routes := newRoutes(handlers)
	s.redeliver = redeliver.New(clients, routes.handles, redeliver.Options{
		Window: cfg.Redelivery.Window, MaxAttempts: cfg.Redelivery.MaxAttempts,
		Logger: logger.With().Str("loop", "redelivery").Logger(), Metrics: s.metrics,
	})
	mux.Handle("POST "+WebhookRoute, &webhook{
		macs:       newMACPool([]byte(cfg.GitHub.App.WebhookSecret)),
		routes:     routes,
		queue:      s.queue,
		deliveries: s.store,
		metrics:    s.metrics,
		budget:     newByteBudget(int64(cmp.Or(cfg.Server.MaxInflightBytes, config.DefaultMaxInflight))),
		ackTimeout: cmp.Or(cfg.Server.AckTimeout, config.DefaultAckTimeout),
		rejected:   &rejected,
		recent:     &s.recent,
		logger:     &s.logger,
	})
	if u := cfg.Server.WebhookProxyURL; u != "" {
		// The same route, signature check included, as deliveries GitHub posts.
		public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) })
		if s.proxy, err = webhookproxy.New(u, public, logger); err != nil {
			return nil, fmt.Errorf("server.webhook_proxy_url: %w", err)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "secwg %s is running. GitHub webhooks go to %s.\n", version.String(), WebhookRoute)
	})
	s.handler = s.accessLog(mux)
	return s, nil
}

// Handler is the public port's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminHandler is the admin port's HTTP handler: metrics and operator pages.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// SetupToken is the one-time token the setup pages require; "" with credentials.
func (s *Server) SetupToken() string { return s.setupToken }

// Metrics exposes the server's metrics, for tests and embedding.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Ready reports whether the App's identity has been confirmed with GitHub.
func (s *Server) Ready() bool { return s.ready.Load() }

// slug is the App's slug once confirmed, else "".
func (s *Server) slug() string {
	if s.app == nil {
		return ""
	}
	return s.app.Slug()
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	switch {
	case s.draining.Load():
		http.Error(w, "not ready: shutting down", http.StatusServiceUnavailable)
	case s.clients == nil:
		http.Error(w, "not ready: no GitHub App credentials; finish the setup at /", http.StatusServiceUnavailable)
	case !s.ready.Load():
		http.Error(w, "not ready: the GitHub App's identity has not been confirmed yet", http.StatusServiceUnavailable)
	case !s.storeOK.Load():
		http.Error(w, "not ready: Redis (SECWG_REDIS_URL) does not answer; deliveries are refused until it does", http.StatusServiceUnavailable)
	default:
		fmt.Fprintf(w, "ready: GitHub App %s\n", s.slug())
	}
}

// accessLog logs each request once, except health and metrics scrapes, which
// would drown everything else. Headers are never logged: they carry signatures.
func (s *Server) accessLog(next http.Handler) http.Handler {
	// The webhook route logs its own line per delivery, with the delivery's fields.
	quiet := map[string]bool{HealthRoute: true, ReadyRoute: true, MetricsRoute: true, WebhookRoute: true}
	access := hlog.AccessHandler(func(r *http.Request, status, size int, d time.Duration) {
		if quiet[r.URL.Path] {
			return
		}
		hlog.FromRequest(r).Info().Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", status).Int("size", size).Dur("duration", d).Msg("http_request")
	})
	logged := hlog.NewHandler(s.logger)(access(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The webhook writes its own line with its own logger: the access log's
		// per-request logger and writer wrapper would only cost time there.
		if r.URL.Path == WebhookRoute && r.Method == http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		logged.ServeHTTP(w, r)
	})
}

// Run listens on the configured addresses until ctx ends, then shuts down.
// Without credentials and without an explicit address, the public port binds
// loopback only: the setup page must not be reachable from the network.
func (s *Server) Run(ctx context.Context) error {
	var public []net.Listener
	closeAll := func() {
		for _, ln := range public {
			ln.Close()
		}
	}
	addrs := []string{s.cfg.Server.ListenAddress()}
	if s.clients == nil && !s.cfg.Server.AddressSet {
		port := strconv.Itoa(s.cfg.Server.Port)
		addrs = []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)}
		s.logger.Warn().Msg("setup mode: listening on loopback only; set SECWG_ADDRESS to listen elsewhere")
	}
	for i, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			// A host without IPv6 still serves the setup page on 127.0.0.1.
			if i > 0 {
				s.logger.Debug().Err(err).Str("address", a).Msg("not listening on this loopback address")
				continue
			}
			return err
		}
		public = append(public, ln)
	}
	admin, err := net.Listen("tcp", s.cfg.Server.AdminListenAddress())
	if err != nil {
		closeAll()
		return fmt.Errorf("admin port: %w", err)
	}
	return s.ServeListeners(ctx, Listeners{Public: public, Admin: admin})
}

// Listeners are the sockets Serve answers on.
type Listeners struct {
	Public []net.Listener
	// Admin may be nil: no metrics or operator pages are served then.
	Admin net.Listener
}

// Serve answers the public routes on ln until ctx ends, without an admin port.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeListeners(ctx, Listeners{Public: []net.Listener{ln}})
}

// ServeListeners answers until ctx ends. Shutdown then turns /readyz to 503 at
// once, keeps accepting for the drain delay so that load balancers can stop
// routing here, then stops accepting, lets requests in flight finish and drains
// the queue, all within the shutdown timeout.
func (s *Server) ServeListeners(ctx context.Context, l Listeners) error {
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			BaseContext:       func(net.Listener) context.Context { return s.logger.WithContext(context.Background()) },
		}
	}
	srv := newServer(s.handler)
	var adminSrv *http.Server
	if l.Admin != nil {
		adminSrv = newServer(s.admin)
	}
	errc := make(chan error, len(l.Public)+2)
	mode := "webhook"
	if s.clients == nil {
		mode = "setup"
		if len(l.Public) > 0 {
			// Like a one-time unlock password: whoever reads this log may set the App up.
			s.logger.Warn().Msgf("no GitHub App credentials: open http://%s/?token=%s to register the App (the link works only in the browser that opens it first)",
				displayAddr(l.Public[0].Addr()), s.setupToken)
		}
	} else {
		go func() {
			if err := s.confirmIdentity(ctx); err != nil {
				errc <- err
			}
		}()
		go s.watchStore(ctx)
		// One replica runs each periodic loop: the lease moves if it dies.
		go s.lead(ctx, "meeting-sync", s.meetings.Run)
		if s.cfg.Redelivery.Interval > 0 {
			go s.lead(ctx, "redelivery", func(ctx context.Context) error { return s.redeliver.Run(ctx, s.cfg.Redelivery.Interval) })
		}
		if s.proxy != nil {
			go func() {
				if err := s.proxy.Run(ctx); err != nil && ctx.Err() == nil {
					s.logger.Error().Err(err).Msg("webhook proxy stopped")
				}
			}()
		}
	}
	for _, ln := range l.Public {
		s.logger.Info().Str("address", ln.Addr().String()).Str("mode", mode).Str("version", version.String()).Msg("secwg listening")
		go func() { errc <- srv.Serve(ln) }()
	}
	if adminSrv != nil {
		s.logger.Info().Str("address", l.Admin.Addr().String()).Msg("admin port listening (metrics)")
		go func() { errc <- adminSrv.Serve(l.Admin) }()
	}
	var runErr error
	select {
	case runErr = <-errc:
	case <-ctx.Done():
		s.draining.Store(true)
		if d := s.cfg.Server.DrainDelay; d > 0 {
			s.logger.Info().Dur("drain_delay", d).Msg("shutting down: not ready; still accepting while load balancers catch up")
			select {
			case <-time.After(d):
			case runErr = <-errc:
			}
		}
	}
	s.draining.Store(true)
	s.logger.Info().Dur("timeout", s.cfg.Server.ShutdownTimeout).Msg("shutting down: no new requests; finishing queued work")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if s.queue != nil {
		err = errors.Join(err, s.queue.Drain(sctx))
	}
	if adminSrv != nil {
		err = errors.Join(err, adminSrv.Shutdown(sctx))
	}
	if runErr != nil {
		return runErr
	}
	if err != nil {
		s.logger.Warn().Err(err).Msg("shutdown did not finish cleanly")
		return err
	}
	s.logger.Info().Msg("shutdown complete")
	return nil
}

// lead runs fn while this replica holds the named lease, until ctx ends.
func (s *Server) lead(ctx context.Context, name string, fn func(context.Context) error) {
	err := s.store.RunAsLeader(ctx, name, 0, fn)
	if err != nil && ctx.Err() == nil {
		s.logger.Error().Err(err).Str("loop", name).Msg("periodic loop stopped")
	}
}

// storePing is how often readiness asks the shared store whether it answers.
const storePing = 2 * time.Second

// watchStore keeps readiness in step with the shared store: webhooks cannot be
// deduplicated without it, so a replica that cannot reach it is not ready.
func (s *Server) watchStore(ctx context.Context) {
	if s.store.Kind() == "memory" {
		return
	}
	t := time.NewTicker(storePing)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, storePing)
		err := s.store.Ping(pctx)
		cancel()
		if ok := err == nil; ok != s.storeOK.Swap(ok) {
			if ok {
				s.logger.Info().Msg("Redis answers again; ready")
			} else {
				s.logger.Error().Err(err).Msg("Redis does not answer; not ready, and deliveries are answered 503")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// confirmIdentity fetches GET /app until it answers, so that /readyz turns green
// only once the key and App id are known to work. A 401 means they do not
// belong together: retrying cannot help, so the server stops and says why.
func (s *Server) confirmIdentity(ctx context.Context) error {
	wait := time.Second
	for {
		fctx, cancel := context.WithTimeout(s.logger.WithContext(ctx), time.Minute)
		slug, err := s.app.Fetch(fctx)
		cancel()
		if err == nil {
			s.ready.Store(true)
			s.logger.Info().Str("app_slug", slug).Msg("GitHub App identity confirmed; ready")
			return nil
		}
		var ge *github.ErrorResponse
		if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("GitHub refused the App's credentials (GET /app answered 401): the private key from %s does not belong to App %d",
				keySource(s.cfg.GitHub.App), s.cfg.GitHub.App.IntegrationID)
		}
		if ctx.Err() != nil {
			return nil
		}
		s.logger.Error().Err(err).Dur("retry_in", wait).Msg("could not confirm the GitHub App's identity (GET /app); check the App id and private key")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, readyRetryMax)
	}
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// NewLogger builds the process logger: JSON for machines, or text for people.
func NewLogger(c config.Logging, w io.Writer) zerolog.Logger {
	if w == nil {
		w = os.Stderr
	}
	if c.Format == "text" {
		f, isFile := w.(*os.File)
		color := isFile && isatty.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == ""
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !color}
	}
	level, err := zerolog.ParseLevel(strings.ToLower(c.Level))
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", "secwg").Logger()
}

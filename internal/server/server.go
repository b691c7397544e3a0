// Package server is secwg's HTTP side: the webhook route, the first-run setup page,
// health, readiness and metrics, the async work queue, and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/metrics"
	"github.com/secwg/secwg/internal/version"
)

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
	deliveryLimit     = 1_000_000
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

	ready   atomic.Bool
	appSlug atomic.Pointer[string]
}

// Option changes how New wires the server; tests use them.
type Option func(*options)

type options struct {
	handlers   []githubapp.EventHandler
	deliveries DeliveryStore
	retry      githubclient.RetryPolicy
}

// WithHandlers adds event handlers ahead of secwg's own.
func WithHandlers(h ...githubapp.EventHandler) Option {
	return func(o *options) { o.handlers = append(o.handlers, h...) }
}

// WithDeliveryStore replaces the in-memory delivery dedup store.
func WithDeliveryStore(s DeliveryStore) Option {
	return func(o *options) { o.deliveries = s }
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
	if o.deliveries == nil {
		o.deliveries = NewMemoryDeliveries(DeliveryTTL, deliveryLimit)
	}
	s := &Server{cfg: cfg, logger: logger, metrics: metrics.New()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthRoute, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET "+ReadyRoute, s.serveReady)
	mux.Handle("GET "+MetricsRoute, promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))

	if !cfg.GitHub.App.HasCredentials() {
		(&setup{
			publicURL:       cfg.Server.PublicURL,
			webURL:          cfg.GitHub.WebURL,
			apiURL:          cfg.GitHub.V3APIURL,
			credentialsPath: cfg.Setup.CredentialsPath,
			httpClient:      &http.Client{Timeout: 30 * time.Second},
			states:          map[string]time.Time{},
		}).routes(mux)
		mux.HandleFunc(WebhookRoute, func(w http.ResponseWriter, _ *http.Request) {
			s.metrics.Deliveries.WithLabelValues("unverified", "", outcomeNotConfigured).Inc()
			http.Error(w, "secwg is not configured yet: open this server's / page to register the GitHub App, then restart it with the credentials", http.StatusServiceUnavailable)
		})
		s.handler = s.accessLog(mux)
		return s, nil
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
	s.meetings, err = meetingsync.New(&cfg.Meetings, clients,
		meetingsync.WithAppSlug(s.slug),
		meetingsync.WithLogger(logger),
		meetingsync.WithHackMD(meetingsync.HackMDFromEnv(os.Getenv)))
	if err != nil {
		return nil, fmt.Errorf("setting up meetings: %w", err)
	}
	checks := checkrun.New(clients, time.Now, logger, checkrun.Options{
		AppID:          cfg.GitHub.App.IntegrationID,
		AppSlug:        s.slug,
		MaxAnnotations: maxAnnotations,
	})
	s.queue = NewQueue(cfg.Server.QueueSize, cfg.Server.Workers, cfg.Server.JobTimeout, s.metrics, o.deliveries, logger)

	handlers := append(o.handlers, handler.All(handler.Base{Clients: clients, Metrics: s.metrics, AppSlug: s.slug},
		handler.Services{Groups: cfg.Meetings.Groups, Meetings: s.meetings, Agenda: s.meetings, Checks: checks, CheckRuns: checks})...)
	dispatcher := githubapp.NewEventDispatcher(handlers, cfg.GitHub.App.WebhookSecret,
		githubapp.WithScheduler(s.queue),
		githubapp.WithErrorCallback(onDispatchError),
		githubapp.WithResponseCallback(onDispatchResponse),
	)
	mux.Handle("POST "+WebhookRoute, &webhook{
		secret:     []byte(cfg.GitHub.App.WebhookSecret),
		dispatcher: dispatcher,
		deliveries: o.deliveries,
		metrics:    s.metrics,
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "secwg %s is running. GitHub webhooks go to %s.\n", version.String(), WebhookRoute)
	})
	s.handler = s.accessLog(mux)
	return s, nil
}

// Handler is the server's whole HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics exposes the server's metrics, for tests and embedding.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Ready reports whether the App's identity has been confirmed with GitHub.
func (s *Server) Ready() bool { return s.ready.Load() }

// slug is the App's slug once confirmed, else "".
func (s *Server) slug() string {
	if p := s.appSlug.Load(); p != nil {
		return *p
	}
	return ""
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	switch {
	case s.clients == nil:
		http.Error(w, "not ready: no GitHub App credentials; finish the setup at /", http.StatusServiceUnavailable)
	case !s.ready.Load():
		http.Error(w, "not ready: the GitHub App's identity has not been confirmed yet", http.StatusServiceUnavailable)
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
	return hlog.NewHandler(s.logger)(access(next))
}

// Run listens on the configured address until ctx ends, then shuts down.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Server.ListenAddress())
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve answers on ln until ctx ends. Shutdown then stops accepting, lets
// requests in flight finish, and drains the queue, all within the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return s.logger.WithContext(context.Background()) },
	}
	mode := "webhook"
	if s.clients == nil {
		mode = "setup"
		s.logger.Warn().Msgf("no GitHub App credentials: open http://%s/ to register the App", displayAddr(ln.Addr()))
	} else {
		go s.confirmIdentity(ctx)
		go func() {
			if err := s.meetings.Run(ctx); err != nil && ctx.Err() == nil {
				s.logger.Error().Err(err).Msg("meeting sync stopped")
			}
		}()
	}
	s.logger.Info().Str("address", ln.Addr().String()).Str("mode", mode).Str("version", version.String()).Msg("secwg listening")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info().Dur("timeout", s.cfg.Server.ShutdownTimeout).Msg("shutting down: no new requests; finishing queued work")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if s.queue != nil {
		err = errors.Join(err, s.queue.Drain(sctx))
	}
	if err != nil {
		s.logger.Warn().Err(err).Msg("shutdown did not finish cleanly")
		return err
	}
	s.logger.Info().Msg("shutdown complete")
	return nil
}

// confirmIdentity fetches GET /app until it answers, so that /readyz turns green
// only once the key and App id are known to work.
func (s *Server) confirmIdentity(ctx context.Context) {
	wait := time.Second
	for {
		slug, err := s.fetchIdentity(ctx)
		if err == nil {
			s.appSlug.Store(&slug)
			s.ready.Store(true)
			s.logger.Info().Str("app_slug", slug).Msg("GitHub App identity confirmed; ready")
			return
		}
		s.logger.Error().Err(err).Dur("retry_in", wait).Msg("could not confirm the GitHub App's identity (GET /app); check the App id and private key")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, readyRetryMax)
	}
}

func (s *Server) fetchIdentity(ctx context.Context) (string, error) {
	client, err := s.clients.NewAppClient()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(s.logger.WithContext(ctx), time.Minute)
	defer cancel()
	app, _, err := client.Apps.Get(ctx, "")
	if err != nil {
		return "", err
	}
	return app.GetSlug(), nil
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

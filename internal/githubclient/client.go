package githubclient

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
	gometrics "github.com/rcrowley/go-metrics"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/metrics"
	"github.com/secwg/secwg/internal/version"
)

// Options configure a client creator.
type Options struct {
	Config    githubapp.Config
	CacheSize int64
	Retry     RetryPolicy
	Metrics   *metrics.Metrics
	// Timeout bounds each single HTTP attempt, reading the answer included; the
	// retry policy's MaxElapsed and the job's deadline bound the whole request.
	Timeout time.Duration
	// Transport is the base transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// NewCreator returns go-githubapp's caching client creator with secwg's middleware.
//
// The cache is shared by every client. That is safe because every cached
// response is revalidated with its ETag under the caller's own token (GitHub
// answers 304 without charging the rate limit, or the fresh body, or a 404 for a
// token that may not see it), and it lets one installation's warm entries serve
// the next job for the same repository.
func NewCreator(o Options) (githubapp.ClientCreator, error) {
	if o.Retry.MaxAttempts == 0 {
		o.Retry = DefaultRetryPolicy()
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	cache := NewLRUCache(o.CacheSize)
	opts := []githubapp.ClientOption{
		githubapp.WithClientUserAgent(version.UserAgent()),
		// http.Client's timeout spans every attempt and wait of the retry
		// middleware inside it, so it is the outer bound; Retry bounds each attempt.
		githubapp.WithClientTimeout(o.Retry.MaxElapsed + o.Timeout),
		githubapp.WithClientCaching(true, func() httpcache.Cache { return cache }),
		githubapp.WithClientMiddleware(Middleware(o.Retry.withAttemptTimeout(o.Timeout), o.Metrics)...),
	}
	if o.Transport != nil {
		opts = append(opts, githubapp.WithTransport(o.Transport))
	}
	return githubapp.NewDefaultCachingClientCreator(o.Config, opts...)
}

// Middleware lists the client middleware, outermost first: one retry loop around
// everything, so that each attempt is logged and counted on its own.
func Middleware(p RetryPolicy, m *metrics.Metrics) []githubapp.ClientMiddleware {
	mw := []githubapp.ClientMiddleware{
		Retry(p),
		githubapp.ClientLogging(zerolog.DebugLevel),
	}
	if m != nil {
		reg := gometrics.NewRegistry()
		m.Registry.MustRegister(newRateLimitCollector(reg))
		mw = append(mw, countRequests(m), githubapp.ClientMetrics(reg))
	}
	return mw
}

// countRequests records each answer by status and whether the cache served it.
func countRequests(m *metrics.Metrics) githubapp.ClientMiddleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			res, err := next.RoundTrip(r)
			status, cached := "error", "false"
			if res != nil {
				status = strconv.Itoa(res.StatusCode)
				if res.Header.Get(httpcache.XFromCache) != "" {
					cached = "true"
				}
			}
			m.GitHubRequests.WithLabelValues(r.Method, status, cached).Inc()
			return res, err
		})
	}
}

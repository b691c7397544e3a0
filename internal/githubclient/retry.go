package githubclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// RetryPolicy bounds how hard a request is retried: by attempts and by total time,
// whichever ends first, and never past the request context's deadline.
type RetryPolicy struct {
	MaxAttempts int
	MaxElapsed  time.Duration
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// AttemptTimeout bounds one attempt, its answer's body included; 0: none.
	AttemptTimeout time.Duration
	// SecondaryWait is the least wait after a secondary rate limit that names
	// no Retry-After; GitHub documents at least one minute.
	SecondaryWait time.Duration

	// now and sleep are replaced in tests.
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// DefaultRetryPolicy suits webhook jobs: four tries within 90 seconds, so that
// one secondary-limit minute fits a job's two-minute deadline, but no more.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MaxElapsed: 90 * time.Second, BaseDelay: 500 * time.Millisecond, MaxDelay: 15 * time.Second,
		SecondaryWait: time.Minute}
}

// ErrRetryBudget wraps the last failure when the next wait would not fit the budget.
var ErrRetryBudget = errors.New("github request retry budget exhausted")

// Retry is client middleware that retries what GitHub did not carry out, or what
// is safe to repeat; see the package documentation for the policy per call.
// go-githubapp has no retries of its own.
func Retry(p RetryPolicy) func(http.RoundTripper) http.RoundTripper {
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.SecondaryWait == 0 {
		p.SecondaryWait = time.Minute
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			return p.do(next, r)
		})
	}
}

func (p RetryPolicy) do(next http.RoundTripper, r *http.Request) (*http.Response, error) {
	start := p.now()
	ctx := r.Context()
	var body []byte
	if r.Body != nil && r.Body != http.NoBody && r.GetBody == nil {
		// A body that cannot be re-read would make a second attempt send nothing.
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	idempotent := repeatable(r, peekBody(r, body))
	for attempt := 1; ; attempt++ {
		req, err := rewind(r, body, attempt)
		if err != nil {
			return nil, err
		}
		res, err := p.attempt(next, req)
		wait, retry := p.decide(req, idempotent, res, err, attempt)
		if !retry || attempt >= p.MaxAttempts {
			return res, err
		}
		elapsed := p.now().Sub(start)
		deadline, hasDeadline := ctx.Deadline()
		if elapsed+wait > p.MaxElapsed || (hasDeadline && p.now().Add(wait).After(deadline)) {
			zerolog.Ctx(ctx).Warn().Str("method", r.Method).Str("path", r.URL.Path).
				Int("attempt", attempt).Dur("wait", wait).Msg("github request not retried: the wait would pass the retry budget or the job deadline")
			if res != nil {
				return res, nil
			}
			return nil, fmt.Errorf("%w: %w", ErrRetryBudget, err)
		}
		zerolog.Ctx(ctx).Info().Str("method", r.Method).Str("path", r.URL.Path).
			Int("attempt", attempt).Int("status", statusOf(res)).Dur("wait", wait).Msg("retrying github request")
		if res != nil {
			// Drain so the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
		}
		if err := p.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (p RetryPolicy) withAttemptTimeout(d time.Duration) RetryPolicy {
	p.AttemptTimeout = d
	return p
}

// attempt sends one try under its own timeout, which ends when the answer's
// body is closed, so that reading it counts too.
func (p RetryPolicy) attempt(next http.RoundTripper, req *http.Request) (*http.Response, error) {
	if p.AttemptTimeout <= 0 {
		return next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), p.AttemptTimeout)
	res, err := next.RoundTrip(req.WithContext(ctx))
	if err != nil || res == nil || res.Body == nil {
		cancel()
		return res, err
	}
	res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func rewind(r *http.Request, body []byte, attempt int) (*http.Request, error) {
	switch {
	case body != nil:
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		return req, nil
	case attempt > 1 && r.GetBody != nil:
		b, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		req := r.Clone(r.Context())
		req.Body = b
		return req, nil
	}
	return r, nil
}

// decide says whether to retry and after how long.
func (p RetryPolicy) decide(r *http.Request, idempotent bool, res *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		if r.Context().Err() != nil {
			return 0, false
		}
		// A transport error may hide a request GitHub did carry out; only
		// requests that are safe to repeat are sent again.
		if !idempotent {
			return 0, false
		}
		return p.backoff(attempt), true
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests || (res.StatusCode == http.StatusForbidden && isRateLimited(res)):
		// A rate-limited request was not carried out, so any method may be sent
		// again, after the wait GitHub asks for.
		if d, ok := p.serverWait(res); ok {
			return d, true
		}
		return p.SecondaryWait, true
	case res.StatusCode >= 500 && res.StatusCode != http.StatusNotImplemented:
		// A 5xx may come after the write happened: repeat only what is idempotent.
		if !idempotent {
			return 0, false
		}
		if d, ok := p.serverWait(res); ok {
			return d, true
		}
		return p.backoff(attempt), true
	}
	return 0, false
}

// repeatable reports whether sending r twice has the effect of sending it once:
// reads, PUT, DELETE and secwg's PATCHes (each sets whole fields to a computed
// state), GraphQL queries but not mutations, and reactions (GitHub answers an
// existing one with 200). Other POSTs create something; after a failure the job
// fails and its redelivery looks for what the first try made before writing.
func repeatable(r *http.Request, body []byte) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return true
	case http.MethodPost:
		switch {
		case strings.HasSuffix(r.URL.Path, "/reactions"):
			return true
		case strings.HasSuffix(r.URL.Path, "/graphql"):
			return isGraphQLQuery(body)
		}
	}
	return false
}

// peekBody returns the body of a GraphQL request, the one kind whose safety
// depends on what it says; go-github's requests can be re-read with GetBody.
func peekBody(r *http.Request, read []byte) []byte {
	if read != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/graphql") || r.GetBody == nil {
		return read
	}
	rc, err := r.GetBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	return b
}

func isGraphQLQuery(body []byte) bool {
	var q struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(body, &q) != nil {
		return false
	}
	op := strings.TrimSpace(q.Query)
	return strings.HasPrefix(op, "{") || strings.HasPrefix(op, "query")
}

// serverWait reads how long GitHub asked us to wait.
func (p RetryPolicy) serverWait(res *http.Response) (time.Duration, bool) {
	if v := strings.TrimSpace(res.Header.Get("Retry-After")); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(p.now()), 0), true
		}
	}
	if res.Header.Get("X-RateLimit-Remaining") == "0" {
		if secs, err := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// One second more, as GitHub's reset time is rounded down.
			return max(time.Unix(secs, 0).Sub(p.now())+time.Second, 0), true
		}
	}
	return 0, false
}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	// Full jitter spreads replicas that were throttled together.
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// isRateLimited tells a rate-limit 403 from a permission 403, which must not be retried.
func isRateLimited(res *http.Response) bool {
	if res.Header.Get("Retry-After") != "" || res.Header.Get("X-RateLimit-Remaining") == "0" {
		return true
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return false
	}
	msg := strings.ToLower(string(b))
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection")
}

func statusOf(res *http.Response) int {
	if res == nil {
		return -1
	}
	return res.StatusCode
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Package webhookproxy receives GitHub deliveries through a webhook proxy
// channel (smee.io or a self-hosted smee server) and hands each one to secwg's
// own webhook handler, so a laptop can run the App without a public address.
//
// The channel streams server-sent events. Each unnamed event is one delivery
// as the smee server stored it: a JSON object whose keys are the original
// request's headers, lower-cased, plus body (the payload, parsed), query and
// timestamp. The events named ready and ping only keep the stream alive.
//
// The request is rebuilt as Probot's smee-client rebuilds it: the body is
// JSON.stringify(message.body), sent as application/json. The smee server
// parsed the payload and smee-client serialises it again, so the bytes that
// reach the handler are GitHub's original bytes only when those were already in
// JSON.stringify's form: compact, keys that are array indices first, numbers in
// JavaScript's shortest form, no escape that JSON.stringify would not write
// (\/, \u00e9, \u003c). GitHub's deliveries are compact JSON, so they usually
// survive; one that does not fails X-Hub-Signature-256 and is answered 401,
// exactly as it is through smee-client. smee.io answers GitHub 200 as soon
// as it relays a delivery, so GitHub's log shows every proxied delivery as OK:
// a delivery refused or failed here, or sent while the proxy was
// disconnected, is not redelivered. The proxy is for trials, not production.
// The channel URL is a secret: whoever knows it reads every
// delivery (private repositories' included), so only its host is logged. The
// proxy never relaxes the signature check: it only rebuilds
// the bytes as faithfully as the channel allows. The query is not forwarded
// (secwg's webhook route reads none), nor any header but GitHub's own. smee.io itself accepts only
// JSON payloads (set the App's content type to application/json) and, by
// default, at most 1 MiB.
package webhookproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	sse "github.com/tmaxmax/go-sse"
	"golang.org/x/time/rate"
)

// Defaults; each has an Option.
const (
	// DefaultMaxEventBytes is GitHub's 25 MiB payload cap plus room for the
	// headers and the JSON the channel wraps around the payload.
	DefaultMaxEventBytes = 25<<20 + 1<<20
	// DefaultPath is the webhook route the rebuilt request is addressed to.
	DefaultPath = "/api/github/hook"
	// A channel that says nothing for this long is dead: smee.io pings every 30 s.
	defaultIdleTimeout   = 90 * time.Second
	defaultMinBackoff    = time.Second
	defaultMaxBackoff    = time.Minute
	defaultRate          = 10 // deliveries a second, sustained
	defaultBurst         = 50
	defaultInFlight      = 4
	defaultHandleTimeout = 30 * time.Second
)

// Stats counts what the proxy did since it started.
type Stats struct {
	Connections int64 // streams opened
	Forwarded   int64 // deliveries handed to the handler
	Skipped     int64 // messages that were not deliveries (not JSON, missing headers…)
	Oversized   int64 // streams dropped because one event was over the size cap
	Throttled   int64 // deliveries held back by the rate cap
	Connected   bool  // a stream is open now
}

// Proxy forwards one channel's deliveries to a handler.
type Proxy struct {
	channel string
	host    string // the channel's host, the part of its URL that may be logged
	target  http.Handler
	logger  zerolog.Logger
	opts    options

	connections, forwarded, skipped, oversized, throttled atomic.Int64
	connected                                             atomic.Bool
}

type options struct {
	transport              http.RoundTripper
	maxEventBytes          int
	path                   string
	idleTimeout            time.Duration
	minBackoff, maxBackoff time.Duration
	limiter                *rate.Limiter
	inFlight               int
	largeEventBytes        int
	handleTimeout          time.Duration
}

// Option adjusts a Proxy.
type Option func(*options)

// WithTransport sets the transport that opens the stream.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithMaxEventBytes caps the size of one event; a larger one drops the stream.
func WithMaxEventBytes(n int) Option { return func(o *options) { o.maxEventBytes = n } }

// WithPath sets the path of the rebuilt request (DefaultPath by default).
func WithPath(p string) Option { return func(o *options) { o.path = p } }

// WithIdleTimeout sets how long a silent stream is trusted before reconnecting.
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idleTimeout = d } }

// WithBackoff bounds the wait between reconnections: it doubles from min up to
// max, each wait drawn at random from its upper half.
func WithBackoff(minWait, maxWait time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = minWait, maxWait }
}

// WithRate caps deliveries a second (sustained) and the burst above it; the
// stream is read no faster, so nothing is dropped.
func WithRate(perSecond float64, burst int) Option {
	return func(o *options) {
		o.limiter = nil
		if perSecond > 0 && burst > 0 {
			o.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
		}
	}
}

// WithInFlight caps the deliveries handed to the handler at once.
func WithInFlight(n int) Option { return func(o *options) { o.inFlight = n } }

// Run forwards channelURL's deliveries to target until ctx is done, then
// returns nil once the deliveries in flight are answered. It returns an error
// at once only when the channel URL is not an http or https URL.
func Run(ctx context.Context, channelURL string, target http.Handler, logger zerolog.Logger, opts ...Option) error {
	p, err := New(channelURL, target, logger, opts...)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// New checks the channel URL and returns a Proxy ready to Run.
func New(channelURL string, target http.Handler, logger zerolog.Logger, opts ...Option) (*Proxy, error) {
	u, err := checkURL(channelURL)
	if err != nil {
		return nil, fmt.Errorf("webhook proxy channel: %w", err)
	}
	o := options{
		maxEventBytes:   DefaultMaxEventBytes,
		path:            DefaultPath,
		idleTimeout:     defaultIdleTimeout,
		minBackoff:      defaultMinBackoff,
		maxBackoff:      defaultMaxBackoff,
		limiter:         rate.NewLimiter(defaultRate, defaultBurst),
		inFlight:        defaultInFlight,
		largeEventBytes: 1 << 20,
		handleTimeout:   defaultHandleTimeout,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		o.transport = t
	}
	if o.minBackoff <= 0 || o.maxBackoff < o.minBackoff || o.inFlight < 1 || o.maxEventBytes < 1 || o.limiter == nil {
		return nil, errors.New("webhook proxy: back-off, rate, in-flight and size limits must be positive")
	}
	// smee-client drops a trailing slash too; the channel is the same.
	return &Proxy{channel: strings.TrimSuffix(u.String(), "/"), host: u.Host, target: target, logger: logger, opts: o}, nil
}

// checkURL accepts what smee-client accepts: an absolute http or https URL.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.User != nil {
		return nil, errors.New("the URL must not carry a user name or password")
	}
	return u, nil
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Connections: p.connections.Load(),
		Forwarded:   p.forwarded.Load(),
		Skipped:     p.skipped.Load(),
		Oversized:   p.oversized.Load(),
		Throttled:   p.throttled.Load(),
		Connected:   p.connected.Load(),
	}
}

// Channel is the channel URL the proxy reads.
func (p *Proxy) Channel() string { return p.channel }

// Run reads the channel until ctx is done, reconnecting with back-off.
func (p *Proxy) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, p.opts.inFlight)
	b := backoff{min: p.opts.minBackoff, max: p.opts.maxBackoff}
	p.logger.Info().Str("channel_host", p.host).Msg("webhook proxy: forwarding channel deliveries")
	for {
		up, err := p.stream(ctx, &wg, slots)
		if ctx.Err() != nil {
			p.logger.Info().Msg("webhook proxy: stopped")
			return nil
		}
		// A stream that stayed up for a while earns a quick reconnection; one
		// that fails at once keeps backing off, so a broken channel costs at
		// most one request per max back-off.
		if up >= p.opts.maxBackoff {
			b.reset()
		}
		wait := b.next()
		p.logger.Warn().Err(err).Dur("retry_in", wait).Msg("webhook proxy: channel stream ended; reconnecting")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			p.logger.Info().Msg("webhook proxy: stopped")
			return nil
		case <-t.C:
		}
	}
}

// stream opens the channel once and reads it until it ends; it returns how
// long the stream was open.
func (p *Proxy) stream(ctx context.Context, wg *sync.WaitGroup, slots chan struct{}) (time.Duration, error) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, p.channel, nil)
	if err != nil {
		return 0, err
	}
	var opened time.Time
	client := &sse.Client{
		HTTPClient: &http.Client{Transport: idleTransport{next: p.opts.transport, idle: p.opts.idleTimeout, cancel: cancel}},
		// Reconnection is Run's, with its own bounds: a retry: field from the
		// channel cannot stretch or shrink the wait.
		Backoff: sse.Backoff{MaxRetries: -1},
		ResponseValidator: func(r *http.Response) error {
			if err := sse.DefaultValidator(r); err != nil {
				return err
			}
			opened = time.Now()
			p.connections.Add(1)
			p.connected.Store(true)
			p.logger.Info().Str("channel_host", p.host).Msg("webhook proxy: connected")
			return nil
		},
	}
	conn := client.NewConnection(req)
	conn.Buffer(nil, p.opts.maxEventBytes)
	conn.SubscribeToAll(func(ev sse.Event) {
		switch ev.Type {
		case "", "message":
		case "ready", "ping":
			return
		default:
			p.logger.Debug().Str("event", truncate(ev.Type, 64)).Msg("webhook proxy: ignoring a named event")
			return
		}
		// Waiting here stops reading the stream: the channel's pace is ours.
		if d := p.opts.limiter.Reserve().Delay(); d > 0 {
			p.throttled.Add(1)
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-sctx.Done():
				t.Stop()
				return
			}
		}
		// Rebuilding a delivery allocates about five times its size (BenchmarkParseMessage): a large
		// one takes every slot, so at most one is rebuilt at a time.
		n := 1
		if len(ev.Data) > p.opts.largeEventBytes {
			n = p.opts.inFlight
		}
		for i := range n {
			select {
			case slots <- struct{}{}:
			case <-sctx.Done():
				for range i {
					<-slots
				}
				return
			}
		}
		wg.Add(1)
		go func() {
			defer func() {
				for range n {
					<-slots
				}
				wg.Done()
			}()
			p.forward(ctx, ev.Data)
		}()
	})
	err = conn.Connect()
	p.connected.Store(false)
	if errors.Is(err, bufio.ErrTooLong) {
		p.oversized.Add(1)
		p.logger.Warn().Int("max_bytes", p.opts.maxEventBytes).Msg("webhook proxy: channel sent an event over the size cap; dropping the stream")
	}
	if cause := context.Cause(sctx); errors.Is(cause, errIdle) {
		err = cause
	}
	if opened.IsZero() {
		return 0, err
	}
	return time.Since(opened), err
}

// forward rebuilds one delivery and hands it to the target handler. Once read
// from the channel, a delivery is answered even if the proxy is stopping.
func (p *Proxy) forward(ctx context.Context, data string) {
	d, err := parseMessage(data)
	if err != nil {
		p.skipped.Add(1)
		p.logger.Warn().Str("reason", err.Error()).Msg("webhook proxy: skipping a channel message that is not a GitHub delivery")
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.handleTimeout)
	defer cancel()
	hctx = p.logger.WithContext(hctx)
	start := time.Now()
	w := &answer{header: http.Header{}}
	p.target.ServeHTTP(w, d.request(hctx, p.opts.path))
	p.forwarded.Add(1)
	e := p.logger.Info()
	if w.status() >= 400 {
		e = p.logger.Warn().Str("answer", truncate(strings.TrimSpace(w.body.String()), 200))
	}
	e.Str("github_delivery_id", truncate(d.header.Get("X-GitHub-Delivery"), 64)).
		Str("github_event_type", truncate(d.header.Get("X-GitHub-Event"), 64)).
		Int("status", w.status()).Dur("duration", time.Since(start)).
		Msg("webhook proxy: delivery forwarded")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// answer is the handler's response: its status and the start of its body.
type answer struct {
	header http.Header
	code   int
	body   limitedBuffer
}

func (a *answer) Header() http.Header { return a.header }
func (a *answer) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
	}
}
func (a *answer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}
func (a *answer) status() int {
	if a.code == 0 {
		return http.StatusOK
	}
	return a.code
}

// limitedBuffer keeps the first 512 bytes written to it and drops the rest.
type limitedBuffer struct{ strings.Builder }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 512 - b.Len(); room > 0 {
		b.Builder.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// backoff doubles the wait from min to max; each wait is drawn from the upper
// half of the current step, so proxies restarted together spread out.
type backoff struct {
	min, max time.Duration
	step     time.Duration
}

func (b *backoff) reset() { b.step = 0 }

func (b *backoff) next() time.Duration {
	if b.step == 0 {
		b.step = b.min
	} else if b.step < b.max {
		b.step = min(2*b.step, b.max)
	}
	half := b.step / 2
	return half + rand.N(b.step-half+1)
}

var errIdle = errors.New("channel silent past the idle timeout")

// idleTransport ends a stream on which nothing arrives for too long: a laptop
// that slept leaves a connection that looks open and never speaks again.
type idleTransport struct {
	next   http.RoundTripper
	idle   time.Duration
	cancel context.CancelCauseFunc
}

func (t idleTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	res, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	timer := time.AfterFunc(t.idle, func() { t.cancel(errIdle) })
	res.Body = &idleBody{ReadCloser: res.Body, timer: timer, idle: t.idle}
	return res, nil
}

type idleBody struct {
	io.ReadCloser
	timer *time.Timer
	idle  time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}

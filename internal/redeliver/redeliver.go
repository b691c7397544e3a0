// Package redeliver asks GitHub to deliver again the webhook deliveries that
// failed, as GitHub's "Handling failed webhook deliveries" tells App owners to:
// GitHub never redelivers on its own, so a delivery answered 500, or lost while
// secwg was down, is otherwise gone.
//
// Each pass lists the App's deliveries (newest first, 100 a page, following the
// Link header's cursor) back to Window, groups the attempts by GUID, and for each
// GUID whose latest attempt is not OK, whose event and action secwg handles,
// whose first delivery is in the list, and which has fewer than MaxAttempts
// attempts in it, requests one more attempt, oldest first, at most MaxPerPass a
// pass, and none once GitHub reports RateReserve requests or fewer left in the
// App's rate limit.
package redeliver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/metrics"
)

// Defaults for Options.
const (
	DefaultInterval    = 5 * time.Minute
	DefaultWindow      = 24 * time.Hour
	DefaultMaxAttempts = 3
	// DefaultMaxPerPass bounds the redelivery requests of one pass, so that an
	// outage's backlog is worked off over several passes within the App's rate limit.
	DefaultMaxPerPass = 50
	// DefaultMaxPages bounds one pass's listing: 100 pages of 100 deliveries.
	DefaultMaxPages = 100
	// DefaultRateReserve is the part of the App's rate limit a pass leaves to
	// the rest of secwg (installation lookups, GET /app): it stops requesting
	// redeliveries when GitHub reports fewer requests remaining.
	DefaultRateReserve = 100
	perPage            = 100
)

// Handles reports whether secwg acts on a delivery of event with action (""
// for events without one). Deliveries it ignores are never redelivered.
type Handles func(event, action string) bool

// Options tunes a Redeliverer; zero fields take the defaults.
type Options struct {
	// Window is how far back a pass looks; GitHub keeps three days.
	Window time.Duration
	// MaxAttempts bounds the attempts of one GUID, the first delivery included,
	// counted from the listing: a GUID with that many is given up.
	MaxAttempts int
	// MaxPerPass bounds the redeliveries requested by one pass.
	MaxPerPass int
	// MaxPages bounds the pages of 100 deliveries one pass lists.
	MaxPages int
	// RateReserve is the App rate limit a pass leaves unused.
	RateReserve int
	Logger      zerolog.Logger
	// Metrics, when set, receives the redeliveries requested, given up and the
	// age of the oldest failed delivery.
	Metrics *metrics.Metrics
	// Now replaces time.Now.
	Now func() time.Time
}

// Redeliverer runs redelivery passes with the App's JWT client.
type Redeliverer struct {
	clients githubapp.ClientCreator
	handles Handles
	opts    Options

	mu sync.Mutex
	// last is the latest pass's result, for the status page.
	last      Result
	lastAt    time.Time
	lastErr   error
	requested int
	given     int
	// givenUp holds the GUIDs already counted as given up, with their latest
	// attempt's time, so a GUID is counted once; entries leave with the window.
	givenUp map[string]time.Time
}

// Result is what one pass saw and did.
type Result struct {
	Listed    int // attempts listed within the window
	Pages     int // list requests made
	Failed    int // handled GUIDs whose latest attempt is not OK
	Requested int // redeliveries requested and accepted
	GivenUp   int // failed GUIDs at MaxAttempts, first seen this pass
	Deferred  int // failed GUIDs left for the next pass by MaxPerPass or RateReserve
	Errors    int // redelivery requests GitHub refused
	// Truncated is true when the listing stopped at MaxPages before it reached
	// the window's start: failures older than the pages listed are not seen.
	Truncated bool
	// OldestFailed is when the oldest failed GUID was first delivered; zero when none.
	OldestFailed time.Time
}

// New returns a Redeliverer. handles must not be nil.
func New(clients githubapp.ClientCreator, handles Handles, opts Options) *Redeliverer {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxPerPass <= 0 {
		opts.MaxPerPass = DefaultMaxPerPass
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = DefaultMaxPages
	}
	if opts.RateReserve <= 0 {
		opts.RateReserve = DefaultRateReserve
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Redeliverer{clients: clients, handles: handles, opts: opts, givenUp: map[string]time.Time{}}
}

// Run makes a pass now and then every interval until ctx ends, and returns
// ctx's error. A failed pass is logged; the next one starts afresh.
func (r *Redeliverer) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := r.Pass(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.mu.Lock()
		r.last, r.lastAt, r.lastErr = res, r.opts.Now(), err
		r.requested += res.Requested
		r.given += res.GivenUp
		r.mu.Unlock()
		ev := r.opts.Logger.Info()
		if err != nil {
			ev = r.opts.Logger.Error().Err(err)
		}
		ev.Int("listed", res.Listed).Int("failed", res.Failed).Int("requested", res.Requested).
			Int("given_up", res.GivenUp).Int("deferred", res.Deferred).Int("errors", res.Errors).
			Bool("truncated", res.Truncated).Msg("redelivery pass")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Status is what the loop has done since it started.
type Status struct {
	LastPass  time.Time // zero before the first pass ends
	Last      Result
	LastError error
	Requested int // redeliveries requested in all passes
	GivenUp   int // GUIDs given up in all passes
}

// Status reports the latest pass and the totals.
func (r *Redeliverer) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Status{LastPass: r.lastAt, Last: r.last, LastError: r.lastErr, Requested: r.requested, GivenUp: r.given}
}

// guid is what a pass knows of one GUID's attempts.
type guid struct {
	latest   *github.HookDelivery
	attempts int
	first    time.Time
	// original is true when the listing holds the first delivery, not only
	// redeliveries: only then is attempts the GUID's whole count.
	original bool
}

// Pass lists the deliveries within the window and requests the redeliveries
// due. It stops early, with an error, when GitHub refuses the listing or
// signals a rate limit; what it requested until then stands.
func (r *Redeliverer) Pass(ctx context.Context) (Result, error) {
	var res Result
	client, err := r.clients.NewAppClient()
	if err != nil {
		return res, fmt.Errorf("creating the App client: %w", err)
	}
	now := r.opts.Now()
	since := now.Add(-r.opts.Window)

	guids := map[string]*guid{}
	opts := &github.ListCursorOptions{PerPage: perPage}
	// remaining is the App's rate limit left, as GitHub last reported it.
	remaining := -1
	noteRate := func(resp *github.Response) {
		if resp != nil && resp.Rate.Limit > 0 {
			remaining = resp.Rate.Remaining
		}
	}
	reached := false // the listing reached the window's start or the log's end
	for res.Pages < r.opts.MaxPages {
		page, resp, err := client.Apps.ListHookDeliveries(ctx, opts)
		res.Pages++
		noteRate(resp)
		if err != nil {
			return res, fmt.Errorf("listing the App's webhook deliveries: %w", err)
		}
		older := false
		for _, d := range page {
			at := d.GetDeliveredAt().Time
			if at.Before(since) {
				older = true
				continue
			}
			res.Listed++
			g := guids[d.GetGUID()]
			if g == nil {
				g = &guid{latest: d, first: at}
				guids[d.GetGUID()] = g
			}
			g.attempts++
			if later(d, g.latest) {
				g.latest = d
			}
			if at.Before(g.first) {
				g.first = at
			}
			if !d.GetRedelivery() {
				g.original = true
			}
		}
		// Deliveries come newest first: one older than the window ends the walk.
		if older || resp.Cursor == "" {
			reached = true
			break
		}
		opts.Cursor = resp.Cursor
	}

	if !reached {
		res.Truncated = true
		r.opts.Logger.Warn().Int("pages", res.Pages).Time("since", since).
			Msg("redelivery pass stopped listing at its page limit before the window's start; older failures are not seen")
	}

	var due []*guid
	for id, g := range guids {
		d := g.latest
		if d.GetStatus() == "OK" || !r.handles(d.GetEvent(), d.GetAction()) {
			continue
		}
		if !g.original {
			// The first delivery left the window (or the pages listed): the
			// attempts counted are not all of them, and a GUID already given
			// up would be redelivered again. It is left, as a GUID whose
			// attempts all left the window is.
			continue
		}
		res.Failed++
		if res.OldestFailed.IsZero() || g.first.Before(res.OldestFailed) {
			res.OldestFailed = g.first
		}
		if g.attempts >= r.opts.MaxAttempts {
			if r.giveUp(id, d.GetDeliveredAt().Time) {
				res.GivenUp++
				r.opts.Logger.Warn().Str("guid", id).Str("event", d.GetEvent()).Str("action", d.GetAction()).
					Int("attempts", g.attempts).Str("status", d.GetStatus()).Msg("giving up on a failed delivery")
			}
			continue
		}
		due = append(due, g)
	}
	r.forget(since)
	r.record(res, now)

	// Oldest first, so that a backlog larger than one pass is worked off before
	// its oldest deliveries leave the window.
	slices.SortFunc(due, func(a, b *guid) int {
		return cmp.Or(a.first.Compare(b.first), cmp.Compare(a.latest.GetID(), b.latest.GetID()))
	})
	if len(due) > r.opts.MaxPerPass {
		res.Deferred = len(due) - r.opts.MaxPerPass
		due = due[:r.opts.MaxPerPass]
	}
	for i, g := range due {
		if remaining >= 0 && remaining <= r.opts.RateReserve {
			res.Deferred += len(due) - i
			r.opts.Logger.Warn().Int("remaining", remaining).Int("deferred", len(due)-i).
				Msg("redelivery pass stopped to leave the App's rate limit to the rest of secwg")
			break
		}
		d := g.latest
		_, resp, err := client.Apps.RedeliverHookDelivery(ctx, d.GetID())
		noteRate(resp)
		var accepted *github.AcceptedError
		switch {
		case err == nil || errors.As(err, &accepted):
			res.Requested++
			if r.opts.Metrics != nil {
				r.opts.Metrics.RedeliveriesRequested.Inc()
			}
			r.opts.Logger.Info().Str("guid", d.GetGUID()).Int64("delivery_id", d.GetID()).Str("event", d.GetEvent()).
				Str("action", d.GetAction()).Int("attempts", g.attempts).Str("status", d.GetStatus()).Msg("redelivery requested")
		case isRateLimit(err) || ctx.Err() != nil:
			return res, fmt.Errorf("redelivering %s: %w", d.GetGUID(), err)
		default:
			res.Errors++
			r.opts.Logger.Error().Err(err).Str("guid", d.GetGUID()).Int64("delivery_id", d.GetID()).Msg("redelivery refused")
		}
	}
	return res, nil
}

// later reports whether a is a later attempt than b.
func later(a, b *github.HookDelivery) bool {
	ta, tb := a.GetDeliveredAt().Time, b.GetDeliveredAt().Time
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetID() > b.GetID()
}

// giveUp records a GUID as given up and reports whether it is new.
func (r *Redeliverer) giveUp(id string, at time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.givenUp[id]; ok {
		return false
	}
	r.givenUp[id] = at
	if r.opts.Metrics != nil {
		r.opts.Metrics.RedeliveriesGivenUp.Inc()
	}
	return true
}

// forget drops given-up GUIDs older than the window, which no pass lists again.
func (r *Redeliverer) forget(since time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, at := range r.givenUp {
		if at.Before(since) {
			delete(r.givenUp, id)
		}
	}
}

func (r *Redeliverer) record(res Result, now time.Time) {
	if r.opts.Metrics == nil {
		return
	}
	age := 0.0
	if !res.OldestFailed.IsZero() {
		age = now.Sub(res.OldestFailed).Seconds()
	}
	r.opts.Metrics.OldestFailedDelivery.Set(age)
}

func isRateLimit(err error) bool {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &abuse)
}

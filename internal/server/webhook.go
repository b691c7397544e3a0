package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/coord"
	"github.com/secwg/secwg/internal/httpstatus"
	"github.com/secwg/secwg/internal/metrics"
)

// MaxPayloadBytes is GitHub's own cap on webhook payloads.
const MaxPayloadBytes = 25 << 20

// Delivery outcomes, as counted in secwg_webhook_deliveries_total.
const (
	outcomeAccepted      = "accepted"
	outcomeIgnored       = "ignored"
	outcomeDuplicate     = "duplicate"
	outcomeQueueFull     = "queue_full"
	outcomeBadSignature  = "bad_signature"
	outcomeBadRequest    = "bad_request"
	outcomeTooLarge      = "too_large"
	outcomeNotConfigured = "not_configured"
	outcomeOverBudget    = "over_budget"
	outcomeUnavailable   = "store_unavailable"
	outcomeInProgress    = "in_progress"
)

// retryAfterBusy is the Retry-After of a 503 for a full memory budget, in seconds.
const retryAfterBusy = "5"

// envelope holds the fields of a payload that log and route a delivery that
// will run; the handler that takes the event decodes the rest.
type envelope struct {
	Number       int `json:"number"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Issue *struct {
		Number int `json:"number"`
	} `json:"issue"`
	PullRequest *struct {
		Number int `json:"number"`
	} `json:"pull_request"`
}

func (e *envelope) number() int {
	switch {
	case e.Issue != nil:
		return e.Issue.Number
	case e.PullRequest != nil:
		return e.PullRequest.Number
	}
	return e.Number
}

// Request headers, in canonical form: looking them up needs no conversion.
const (
	hdrSignature   = "X-Hub-Signature-256"
	hdrEvent       = "X-Github-Event"
	hdrDelivery    = "X-Github-Delivery"
	hdrContentType = "Content-Type"
)

// header reads a header by its canonical name without allocating.
func header(r *http.Request, canonical string) string {
	if v := r.Header[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// validName accepts an event or action name as GitHub writes them: 1 to 64 of
// a-z and _. Hand-written, as it runs on every delivery.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// validDeliveryID accepts 1 to 128 of A-Z, a-z, 0-9 and ._:- (GitHub sends a GUID).
func validDeliveryID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// webhook receives GitHub's deliveries: it checks the signature over the body as
// read, once, routes by event and action, deduplicates, and answers after the
// job, so that GitHub's delivery log tells the truth: 200 done, 500 failed (and
// redelivered), 202 still processing past the acknowledgement timeout.
type webhook struct {
	macs       *macPool
	routes     routes
	queue      *Queue
	deliveries DeliveryStore
	metrics    *metrics.Metrics
	budget     *byteBudget
	ackTimeout time.Duration
	// rejected logs refusals with sampling: a flood of forged requests is
	// counted in full but cannot fill the disk with log lines.
	rejected *zerolog.Logger
	// recent keeps the last verified deliveries for the status page.
	recent *recentDeliveries
	// logger is the server's: the webhook writes its own line per delivery and
	// needs no per-request logger from the access-log middleware.
	logger *zerolog.Logger
	counts deliveryCounters
}

// deliveryCounters looks each label set of secwg_webhook_deliveries_total up
// once; the label values come from verified deliveries only, so they are few.
type deliveryCounters struct {
	m sync.Map // answerKey -> prometheus.Counter
}

type answerKey struct{ event, action, outcome string }

func (c *deliveryCounters) inc(vec *prometheus.CounterVec, event, action, outcome string) {
	k := answerKey{event, action, outcome}
	if v, ok := c.m.Load(k); ok {
		v.(prometheus.Counter).Inc()
		return
	}
	counter := vec.WithLabelValues(event, action, outcome)
	c.m.Store(k, counter)
	counter.Inc()
}

// routes maps each event to its handler.
type routes map[string]githubapp.EventHandler

// newRoutes maps each event to its handler; the first handler named for an
// event takes it.
func newRoutes(handlers []githubapp.EventHandler) routes {
	routes := routes{}
	for _, h := range handlers {
		for _, ev := range h.Handles() {
			if _, taken := routes[ev]; !taken {
				routes[ev] = h
			}
		}
	}
	return routes
}

// handles reports whether a delivery of event with action would be worked on:
// only those are worth redelivering.
func (rs routes) handles(event, action string) bool {
	h := rs[event]
	if h == nil {
		return false
	}
	f, ok := h.(ActionFilter)
	return !ok || f.HandlesAction(event, action)
}

// answer is what the delivery's single log line and metric say about it.
type answer struct {
	event, action, outcome, reason, id string
}

// reject answers status with msg, recording why for the log line and metrics.
func (a *answer) reject(w http.ResponseWriter, status int, outcome, msg string) {
	a.outcome, a.reason = outcome, msg
	http.Error(w, msg, status)
}

// accepted is a delivery the webhook has verified, routed and deduplicated.
type accepted struct {
	event, id, action string
	handler           githubapp.EventHandler
	body              *signedBody
	hash              [sha256.Size]byte
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &httpstatus.Recorder{ResponseWriter: w}
	// Only checked values reach the log line: the headers are a stranger's until then.
	a := answer{event: "unverified", outcome: outcomeBadRequest}
	defer func() { h.record(h.logger, &a, sw.Status(), time.Since(start)) }()
	h.serve(sw, r, &a, h.logger)
}

// record writes the delivery's one log line and counts it.
func (h *webhook) record(logger *zerolog.Logger, a *answer, status int, d time.Duration) {
	h.counts.inc(h.metrics.Deliveries, a.event, a.action, a.outcome)
	if h.recent != nil && a.id != "" {
		h.recent.add(deliveryRecord{At: time.Now(), ID: a.id, Event: a.event, Action: a.action, Outcome: a.outcome, Status: status, Duration: d})
	}
	e := logger.Info()
	if status >= 400 {
		e = h.rejected.Warn().Str("reason", a.reason)
	}
	e.Str(githubapp.LogKeyEventType, a.event).Str("github_event_action", a.action).
		Str(githubapp.LogKeyDeliveryID, a.id).Str("outcome", a.outcome).
		Int("status", status).Dur("duration", d).Msg("webhook")
}

func (h *webhook) serve(w http.ResponseWriter, r *http.Request, a *answer, logger *zerolog.Logger) {
	reject := func(status int, o, msg string) { a.reject(w, status, o, msg) }
	sig, ok := strings.CutPrefix(header(r, hdrSignature), "sha256=")
	mac, err := hex.DecodeString(sig)
	if !ok || err != nil || len(mac) != sha256.Size {
		reject(http.StatusUnauthorized, outcomeBadSignature, "missing or malformed X-Hub-Signature-256 (sha256=<hex> is required)")
		return
	}
	sb, err := readSigned(r.Body, r.ContentLength, MaxPayloadBytes, h.macs, mac, h.budget)
	if err != nil {
		switch {
		case errors.Is(err, errTooLarge):
			reject(http.StatusRequestEntityTooLarge, outcomeTooLarge, "payload larger than 25 MiB")
		case errors.Is(err, errOverBudget):
			// The body may be left unread: close the connection rather than drain it.
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", retryAfterBusy)
			reject(http.StatusServiceUnavailable, outcomeOverBudget, "secwg is holding as many request bodies as its memory budget allows; retry later")
		default:
			reject(http.StatusBadRequest, outcomeBadRequest, "could not read the payload")
		}
		return
	}
	// The reservation passes to the job when one takes the body.
	release := sb.release
	defer func() { release() }()
	if !hmac.Equal(sb.mac, mac) {
		reject(http.StatusUnauthorized, outcomeBadSignature, "signature does not match the payload")
		return
	}
	body := sb.bytes
	// The buffer goes back to the pool unless a job takes the body.
	keep := false
	defer func() {
		if !keep {
			sb.recycle()
		}
	}()

	// From here on the request is GitHub's, so its event name may label metrics.
	ev, id := header(r, hdrEvent), header(r, hdrDelivery)
	if !validName(ev) || !validDeliveryID(id) {
		reject(http.StatusBadRequest, outcomeBadRequest, "missing or malformed X-GitHub-Event or X-GitHub-Delivery header")
		return
	}
	a.event, a.id = ev, id
	if ct := header(r, hdrContentType); ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			reject(http.StatusBadRequest, outcomeBadRequest, "content type must be application/json (set it in the App's webhook settings)")
			return
		}
	}
	// Whether the event is ignored needs only its action: a scan of the first
	// keys, not a decode of the whole payload, which only a delivery that will
	// run gets.
	action, ok := scanAction(body)
	if !ok {
		reject(http.StatusBadRequest, outcomeBadRequest, "payload is not a JSON object")
		return
	}
	if validName(action) {
		a.action = action
	}
	if !h.routes.handles(ev, a.action) {
		a.outcome = outcomeIgnored
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "ignored: secwg does not act on this event or action\n")
		return
	}

	hash := sha256.Sum256(body)
	claim, err := h.claim(r.Context(), id, hash)
	switch {
	case err != nil:
		// Never process a delivery that cannot be deduplicated; GitHub records the
		// failure and the redelivery loop brings it back.
		logger.Error().Err(err).Msg("delivery store unavailable")
		reject(http.StatusServiceUnavailable, outcomeUnavailable, "secwg cannot reach its delivery store; the delivery will be redelivered")
		return
	case claim == coord.Done:
		a.outcome = outcomeDuplicate
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "duplicate delivery: already processed\n")
		return
	case claim == coord.InProgress:
		// Not OK in GitHub's log: the job holding it may yet fail, or its
		// process may have died, and only a failed delivery is redelivered.
		reject(http.StatusServiceUnavailable, outcomeInProgress, "another job is still processing this delivery; it will be redelivered if that job does not finish it")
		return
	}
	if h.run(w, r, a, logger, accepted{event: ev, id: id, action: a.action, handler: h.routes[ev], body: sb, hash: hash}) {
		release, keep = func() {}, true
	}
}

// run hands an accepted delivery to the queue and answers after its job:
// 200 done, 500 failed, 202 past the acknowledgement timeout. taken is true
// when the job took the body and its budget reservation.
func (h *webhook) run(w http.ResponseWriter, r *http.Request, a *answer, logger *zerolog.Logger, d accepted) (taken bool) {
	reject := func(status int, o, msg string) { a.reject(w, status, o, msg) }
	ev, id, hash := d.event, d.id, d.hash
	forget := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.deliveries.Fail(ctx, id, hash); err != nil {
			logger.Error().Err(err).Msg("could not forget a delivery that will not run")
		}
	}
	var env envelope
	if err := json.Unmarshal(d.body.bytes, &env); err != nil {
		forget()
		reject(http.StatusBadRequest, outcomeBadRequest, "payload is not a JSON object")
		return false
	}
	// Every API call secwg makes is an installation's; GitHub puts the
	// installation in every delivery to an App, so a payload without one (a
	// repository webhook pointed here by mistake) has nothing to act for.
	if env.Installation == nil || env.Installation.ID == 0 {
		forget()
		a.outcome = outcomeIgnored
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "ignored: the delivery names no installation\n")
		return false
	}

	lc := logger.With().Str(githubapp.LogKeyEventType, ev).Str(githubapp.LogKeyDeliveryID, id).
		Str("github_event_action", a.action).Int64(githubapp.LogKeyInstallationID, env.Installation.ID)
	if env.Repository != nil {
		lc = lc.Str("github_repository", env.Repository.FullName)
	}
	if n := env.number(); n != 0 {
		lc = lc.Int("github_number", n)
	}
	result := make(chan error, 1)
	held := d.body
	j := &job{logger: lc.Logger(), handler: d.handler, event: ev, action: d.action, id: id, payload: d.body.bytes,
		finish: func(err error) {
			// A context that outlives the request: the job may end after the answer.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err == nil {
				err2 := h.deliveries.Done(ctx, id, hash)
				logStoreError(lc, err2, "could not mark the delivery done; a redelivery may run it again")
			} else {
				err2 := h.deliveries.Fail(ctx, id, hash)
				logStoreError(lc, err2, "could not forget the failed delivery; its redelivery waits for the processing mark to expire")
			}
			held.release()
			held.recycle()
			result <- err
		}}
	if err := h.queue.Submit(j); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		logStoreError(lc, h.deliveries.Fail(ctx, id, hash), "could not forget the refused delivery")
		reject(http.StatusServiceUnavailable, outcomeQueueFull, "secwg is at capacity; GitHub will show this delivery as failed and it will be redelivered")
		return false
	}
	a.outcome = outcomeAccepted
	timer := time.NewTimer(h.ackTimeout)
	defer timer.Stop()
	select {
	case err := <-result:
		if err != nil {
			a.reason = "the handler failed"
			http.Error(w, "the delivery failed; it will be redelivered", http.StatusInternalServerError)
			return true
		}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "processed\n")
	case <-timer.C:
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "accepted: still processing\n")
	case <-r.Context().Done():
		// GitHub gave up waiting; the job goes on and its result is recorded.
	}
	return true
}

// claim claims the delivery, waiting up to the acknowledgement timeout while
// another job holds it, so that a redelivery or replay racing the original is
// answered by the original's outcome: Done once it succeeds, Claimed (and run
// here) once it fails and is forgotten.
func (h *webhook) claim(ctx context.Context, id string, hash [sha256.Size]byte) (coord.Claim, error) {
	deadline := time.Now().Add(h.ackTimeout)
	wait := 10 * time.Millisecond
	for {
		c, err := h.deliveries.Claim(ctx, id, hash)
		if err != nil || c != coord.InProgress || time.Now().Add(wait).After(deadline) {
			return c, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c, nil
		case <-t.C:
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func logStoreError(lc zerolog.Context, err error, msg string) {
	if err != nil {
		l := lc.Logger()
		l.Error().Err(err).Msg(msg)
	}
}

// rejectSampler lets a burst of refusals through each second, then one in 100.
func rejectSampler() zerolog.Sampler {
	return &zerolog.BurstSampler{Burst: 20, Period: time.Second, NextSampler: &zerolog.BasicSampler{N: 100}}
}

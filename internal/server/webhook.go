package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/secwg/secwg/internal/httpstatus"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

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
	outcomeError         = "error"
	outcomeOverBudget    = "over_budget"
)

// retryAfterBusy is the Retry-After of a 503 for a full memory budget, in seconds.
const retryAfterBusy = "5"

// delivery is what secwg reads from a webhook before handing it on: enough to
// log, count, dedup and filter without the handler's full unmarshal.
type delivery struct {
	ID           string
	Event        string
	Action       string
	Installation int64
	Repository   string
	Number       int

	mu      *sync.Mutex
	outcome *string
	// logger carries the delivery's fields for the job.
	logger *zerolog.Logger
}

func (d *delivery) setOutcome(o string) {
	d.mu.Lock()
	*d.outcome = o
	d.mu.Unlock()
}

func (d *delivery) getOutcome() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return *d.outcome
}

type deliveryKey struct{}

func deliveryFrom(ctx context.Context) *delivery {
	if d, ok := ctx.Value(deliveryKey{}).(*delivery); ok {
		return d
	}
	o := ""
	return &delivery{mu: &sync.Mutex{}, outcome: &o}
}

// envelope holds the fields every event payload may carry.
type envelope struct {
	Action       string `json:"action"`
	Number       int    `json:"number"`
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

var (
	eventName  = regexp.MustCompile(`^[a-z_]{1,64}$`)
	deliveryID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	actionName = regexp.MustCompile(`^[a-z_]{1,64}$`)
)

// webhook guards go-githubapp's dispatcher. The dispatcher answers every failure
// with 400 and also accepts SHA-1 signatures; secwg answers each failure with its
// own status, accepts only sha256, caps the body and drops redeliveries.
type webhook struct {
	secret     []byte
	dispatcher http.Handler
	deliveries DeliveryStore
	metrics    *metrics.Metrics
	budget     *byteBudget
	// rejected logs refusals with sampling: a flood of forged requests is
	// counted in full but cannot fill the disk with log lines.
	rejected *zerolog.Logger
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &httpstatus.Recorder{ResponseWriter: w}
	w = sw
	// Only checked values reach the log line: the headers are a stranger's until then.
	event, action, outcome, reason, loggedID := "unverified", "", outcomeBadRequest, "", ""
	logger := zerolog.Ctx(r.Context())
	// One line per delivery, in place of the access log's: it carries what an
	// operator searches by (event, action, delivery ID) and why it was refused.
	defer func() {
		h.metrics.Deliveries.WithLabelValues(event, action, outcome).Inc()
		e := logger.Info()
		if sw.Status() >= 400 {
			e = h.rejectLogger(logger).Warn().Str("reason", reason)
		}
		e.Str(githubapp.LogKeyEventType, event).Str("github_event_action", action).
			Str(githubapp.LogKeyDeliveryID, loggedID).Str("outcome", outcome).
			Int("status", sw.Status()).Dur("duration", time.Since(start)).Msg("webhook")
	}()
	reject := func(status int, o, msg string) {
		outcome, reason = o, msg
		http.Error(w, msg, status)
	}

	sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	mac, err := hex.DecodeString(sig)
	if !ok || err != nil || len(mac) != sha256.Size {
		reject(http.StatusUnauthorized, outcomeBadSignature, "missing or malformed X-Hub-Signature-256 (sha256=<hex> is required)")
		return
	}
	sb, err := readSigned(r.Body, r.ContentLength, MaxPayloadBytes, h.secret, mac, h.budget)
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
	defer sb.release()
	if !hmac.Equal(sb.mac, mac) {
		reject(http.StatusUnauthorized, outcomeBadSignature, "signature does not match the payload")
		return
	}
	body := sb.bytes

	// From here on the request is GitHub's, so its event name may label metrics.
	ev, id := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	if !eventName.MatchString(ev) || !deliveryID.MatchString(id) {
		reject(http.StatusBadRequest, outcomeBadRequest, "missing or malformed X-GitHub-Event or X-GitHub-Delivery header")
		return
	}
	event, loggedID = ev, id
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		reject(http.StatusBadRequest, outcomeBadRequest, "content type must be application/json (set it in the App's webhook settings)")
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		reject(http.StatusBadRequest, outcomeBadRequest, "payload is not a JSON object")
		return
	}
	if actionName.MatchString(env.Action) {
		action = env.Action
	}

	o := ""
	del := &delivery{ID: id, Event: event, Action: action, mu: &sync.Mutex{}, outcome: &o}
	lc := logger.With().Str(githubapp.LogKeyEventType, event).Str(githubapp.LogKeyDeliveryID, id).Str("github_event_action", action)
	if env.Installation != nil {
		del.Installation = env.Installation.ID
		lc = lc.Int64(githubapp.LogKeyInstallationID, env.Installation.ID)
	}
	if env.Repository != nil {
		del.Repository = env.Repository.FullName
		lc = lc.Str("github_repository", env.Repository.FullName)
	}
	switch {
	case env.Issue != nil:
		del.Number = env.Issue.Number
	case env.PullRequest != nil:
		del.Number = env.PullRequest.Number
	default:
		del.Number = env.Number
	}
	if del.Number != 0 {
		lc = lc.Int("github_number", del.Number)
	}
	l := lc.Logger()
	del.logger = &l

	if !h.deliveries.Claim(id) {
		outcome = outcomeDuplicate
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "duplicate delivery; already processed\n")
		return
	}

	// The dispatcher logs every delivery again at info level; the line above
	// already does, so the dispatcher sees only warnings and errors.
	quiet := logger.With().Logger().Level(max(logger.GetLevel(), zerolog.WarnLevel))
	ctx := context.WithValue(quiet.WithContext(r.Context()), deliveryKey{}, del)
	r2 := r.Clone(ctx)
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	h.dispatcher.ServeHTTP(w, r2)

	outcome = del.getOutcome()
	switch outcome {
	case "":
		outcome = outcomeIgnored
		h.deliveries.Release(id)
	case outcomeAccepted:
	default:
		h.deliveries.Release(id)
	}
}

func (h *webhook) rejectLogger(fallback *zerolog.Logger) *zerolog.Logger {
	if h.rejected != nil {
		return h.rejected
	}
	return fallback
}

// rejectSampler lets a burst of refusals through each second, then one in 100.
func rejectSampler() zerolog.Sampler {
	return &zerolog.BurstSampler{Burst: 20, Period: time.Second, NextSampler: &zerolog.BasicSampler{N: 100}}
}

// onDispatchError maps the dispatcher's errors to answers. Validation has been
// done already, so a ValidationError here means the two checks disagree.
func onDispatchError(w http.ResponseWriter, r *http.Request, err error) {
	logger := zerolog.Ctx(r.Context())
	var ve githubapp.ValidationError
	switch {
	case errors.Is(err, githubapp.ErrCapacityExceeded):
		logger.Warn().Msg("webhook refused: the work queue is full")
		http.Error(w, "secwg is at capacity; GitHub will show this delivery as failed and it can be redelivered", http.StatusServiceUnavailable)
	case errors.As(err, &ve):
		deliveryFrom(r.Context()).setOutcome(outcomeBadRequest)
		logger.Warn().Err(ve.Cause).Msg("webhook rejected by the dispatcher")
		http.Error(w, "invalid webhook payload", http.StatusBadRequest)
	default:
		deliveryFrom(r.Context()).setOutcome(outcomeError)
		logger.Error().Err(err).Msg("webhook could not be dispatched")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// onDispatchResponse acknowledges with 202: the work, if any, happens later.
func onDispatchResponse(w http.ResponseWriter, r *http.Request, event string, handled bool) {
	del := deliveryFrom(r.Context())
	if !handled {
		del.setOutcome(outcomeIgnored)
	}
	w.WriteHeader(http.StatusAccepted)
	if del.getOutcome() == outcomeAccepted {
		io.WriteString(w, "accepted\n")
		return
	}
	io.WriteString(w, "ignored: secwg does not act on this event or action\n")
}

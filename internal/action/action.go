// Package action runs secwg as one step of a GitHub Actions workflow: the event
// the runner hands over goes once through the server's own handlers and client.
package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/metrics"
)

// DefaultAppSlug is the slug of the App behind a workflow's GITHUB_TOKEN: what
// it writes is authored by github-actions[bot].
const DefaultAppSlug = "github-actions"

// Budgets of one run.
const (
	// MaxPayloadBytes is GitHub's own cap on a webhook payload.
	MaxPayloadBytes = 25 << 20
	// passTimeout bounds a meeting sync pass over every group.
	passTimeout = 10 * time.Minute
	// maxAnnotations matches the server's cap on one check run's annotations.
	maxAnnotations = 1000
)

// eventHandlers maps the workflow events secwg handles to the webhook event
// whose handler runs them. pull_request_target carries a pull_request payload
// and runs with the base repository's token and workflow, whatever the fork.
var eventHandlers = map[string]string{
	"issues":              "issues",
	"pull_request":        "pull_request",
	"pull_request_target": "pull_request",
	"issue_comment":       "issue_comment",
	"check_run":           "check_run",
	"check_suite":         "check_suite",
}

// passEvents run one meeting sync pass: they carry no item to react to.
var passEvents = map[string]bool{"schedule": true, "workflow_dispatch": true}

// WebhookEvent is the webhook event whose handler runs a workflow event.
func WebhookEvent(workflowEvent string) (string, bool) {
	e, ok := eventHandlers[workflowEvent]
	return e, ok
}

// Events lists every workflow event secwg action acts on.
func Events() []string {
	out := make([]string, 0, len(eventHandlers)+len(passEvents))
	for e := range eventHandlers {
		out = append(out, e)
	}
	for e := range passEvents {
		out = append(out, e)
	}
	return out
}

// Options are what the workflow says beyond the runner's variables.
type Options struct {
	// AppSlug and AppID name the App the token acts as, so that its own
	// meeting issues, replies and check runs are recognised: github-actions
	// for the workflow token, the App's for an App token.
	AppSlug string
	AppID   int64
	// TokenKind decides how team membership is read.
	TokenKind TokenKind
	// Features are the parts of secwg that run; nil is AllFeatures.
	Features Features
	// Now is the clock of the meeting pass; nil is time.Now.
	Now func() time.Time
}

// Runner runs one workflow event.
type Runner struct {
	env      Env
	cfg      *config.Config
	opts     Options
	logger   zerolog.Logger
	handlers map[string]githubapp.EventHandler
	meetings *meetingsync.Service
}

// Outcome says what a run did.
type Outcome string

// The outcomes of a run that did not fail.
const (
	Handled Outcome = "handled"
	Ignored Outcome = "ignored"
)

// New wires the handlers the server wires, over clients that authenticate
// with the workflow's token instead of the App's installations.
func New(env Env, cfg *config.Config, logger zerolog.Logger, o Options) (*Runner, error) {
	if o.AppSlug == "" {
		o.AppSlug = DefaultAppSlug
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Features == nil {
		o.Features = AllFeatures
	}
	ghc := githubapp.Config{WebURL: env.ServerURL, V3APIURL: env.APIURL, V4APIURL: env.GraphQLURL}
	m := metrics.New()
	base, err := githubclient.NewCreator(githubclient.Options{
		Config: ghc, CacheSize: int64(cfg.Server.CacheSize), Retry: githubclient.DefaultRetryPolicy(), Metrics: m,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the GitHub client: %w", err)
	}
	clients := &tokenClients{ClientCreator: base, token: env.Token}
	app := appid.Fixed(o.AppID, o.AppSlug)
	meetings, err := meetingsync.New(&cfg.Meetings, clients,
		meetingsync.WithApp(app),
		meetingsync.WithInstallation(0),
		meetingsync.WithClock(o.Now),
		meetingsync.WithLogger(logger),
		meetingsync.WithHackMD(meetingsync.HackMDFromEnv(os.Getenv)))
	if err != nil {
		return nil, fmt.Errorf("setting up meetings: %w", err)
	}
	checks := checkrun.New(clients, time.Now, logger, checkrun.Options{
		App: app, MaxAnnotations: maxAnnotations,
	})
	services := handler.Services{Groups: cfg.Meetings.Groups}
	if o.Features.Has(Meetings) {
		services.Meetings = meetings
	}
	if o.Features.Has(Checks) {
		services.Checks = checks
	}
	if o.TokenKind == WorkflowToken {
		services.WrapChecker = func(api command.Checker) command.Checker {
			return &repoTeamChecker{Checker: api, owner: env.Owner(), repo: env.Name()}
		}
	}
	r := &Runner{env: env, cfg: cfg, opts: o, logger: logger, meetings: meetings,
		handlers: map[string]githubapp.EventHandler{}}
	for _, h := range handler.All(handler.Base{Clients: clients, Metrics: m, App: app}, services) {
		for _, ev := range h.Handles() {
			if ev == "issue_comment" && !o.Features.Has(Commands) {
				continue
			}
			r.handlers[ev] = h
		}
	}
	return r, nil
}

// actionFilter is the optional filter secwg's handlers implement.
type actionFilter interface {
	HandlesAction(event, action string) bool
}

// Run handles the runner's event once. An event or action secwg does not act
// on is Ignored without a call to GitHub.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	ctx = r.logger.WithContext(ctx)
	if passEvents[r.env.EventName] {
		return r.pass(ctx)
	}
	if !r.Acts(r.env.EventName, "") {
		return Ignored, nil
	}
	payload, err := readPayload(r.env.EventPath)
	if err != nil {
		return "", err
	}
	action := actionOf(payload)
	if !r.Acts(r.env.EventName, action) {
		return Ignored, nil
	}
	webhookEvent := eventHandlers[r.env.EventName]
	h := r.handlers[webhookEvent]
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Server.JobTimeout)
	defer cancel()
	// The handlers take the action as read here instead of reading it again.
	if err := h.Handle(handler.WithAction(ctx, action), webhookEvent, r.env.RunID, payload); err != nil {
		return "", fmt.Errorf("%s %s: %w", r.env.EventName, action, err)
	}
	return Handled, nil
}

// Acts reports whether the runner acts on a workflow event with an action;
// "" asks whether it acts on any action of the event.
func (r *Runner) Acts(event, action string) bool {
	if passEvents[event] {
		return r.opts.Features.Has(Meetings)
	}
	h := r.handlers[eventHandlers[event]]
	if h == nil {
		return false
	}
	af, ok := h.(actionFilter)
	return !ok || action == "" || af.HandlesAction(eventHandlers[event], action)
}

// pass runs one meeting sync pass over every configured group, the pass the
// server runs every sync interval.
func (r *Runner) pass(ctx context.Context) (Outcome, error) {
	if !r.opts.Features.Has(Meetings) {
		return Ignored, nil
	}
	if len(r.cfg.Meetings.Groups) == 0 {
		r.logger.Info().Msg("no meeting groups are configured; nothing to do")
		return Ignored, nil
	}
	ctx, cancel := context.WithTimeout(ctx, passTimeout)
	defer cancel()
	if err := r.meetings.Sync(ctx, r.opts.Now(), false, io.Discard); err != nil {
		return "", fmt.Errorf("meeting sync pass: %w", err)
	}
	return Handled, nil
}

// readPayload reads the event file, which the runner wrote; GitHub's cap on
// payloads bounds it all the same.
func readPayload(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPayloadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the event payload %s: %w", path, err)
	}
	if len(data) > MaxPayloadBytes {
		return nil, fmt.Errorf("event payload %s is larger than %d bytes", path, MaxPayloadBytes)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, fmt.Errorf("event payload %s is not a JSON object", path)
	}
	return trimmed, nil
}

func actionOf(payload []byte) string {
	var v struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(payload, &v)
	return v.Action
}

// errNoApp answers the App-level calls a token cannot make.
var errNoApp = errors.New("secwg action authenticates with a token, not as the App: App-level calls are not available")

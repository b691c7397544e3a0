package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/checkrun"
)

// Check runs the threat-model check when a pull request's head or base
// changes and when someone re-runs the App's check from GitHub's interface.
// The check itself is the checkrun service's; this handler reads payloads.
type Check struct {
	Base
	checks *checkrun.Service
}

var _ githubapp.EventHandler = &Check{}

// NewCheck builds the handler for pull_request, check_run and check_suite.
func NewCheck(b Base, checks *checkrun.Service) *Check {
	return &Check{Base: b, checks: checks}
}

// Handles implements githubapp.EventHandler.
func (h *Check) Handles() []string { return []string{"pull_request", "check_run", "check_suite"} }

// HandlesAction keeps every other action off the queue. pull_request edited
// passes here and is dropped in Handle unless the base changed, which only
// the payload shows.
func (h *Check) HandlesAction(event, action string) bool {
	switch event {
	case "pull_request":
		switch action {
		case "opened", "reopened", "synchronize", "ready_for_review", "edited":
			return true
		}
	case "check_run", "check_suite":
		return action == "rerequested"
	}
	return false
}

// Handle implements githubapp.EventHandler.
func (h *Check) Handle(ctx context.Context, eventType, _ string, payload []byte) error {
	switch eventType {
	case "pull_request":
		var e github.PullRequestEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("parsing pull_request event: %w", err)
		}
		if !h.HandlesAction(eventType, e.GetAction()) || (e.GetAction() == "edited" && e.GetChanges().GetBase() == nil) {
			return nil
		}
		p := e.GetPullRequest()
		ctx, _ = githubapp.PreparePRContext(ctx, e.GetInstallation().GetID(), e.GetRepo(), p.GetNumber())
		return h.checks.Check(ctx, e.GetInstallation().GetID(), checkrun.PullRequest{
			Owner: e.GetRepo().GetOwner().GetLogin(), Repo: e.GetRepo().GetName(), Number: p.GetNumber(),
			HeadSHA: p.GetHead().GetSHA(), BaseRef: p.GetBase().GetRef(), BaseSHA: p.GetBase().GetSHA(),
		}, nil)
	case "check_run", "check_suite":
		// Most re-requests are other Apps' runs: decide from the few fields that
		// say whose they are, before the full decode, which is costlier and fails
		// on some older payloads' App timestamps.
		var head struct {
			Action   string `json:"action"`
			CheckRun *struct {
				App appRef `json:"app"`
			} `json:"check_run"`
			CheckSuite *struct {
				App appRef `json:"app"`
			} `json:"check_suite"`
		}
		if err := json.Unmarshal(payload, &head); err != nil {
			return fmt.Errorf("parsing %s event: %w", eventType, err)
		}
		var app appRef
		switch {
		case eventType == "check_run" && head.CheckRun != nil:
			app = head.CheckRun.App
		case eventType == "check_suite" && head.CheckSuite != nil:
			app = head.CheckSuite.App
		}
		if !h.HandlesAction(eventType, head.Action) || !h.ours(&github.App{ID: &app.ID, Slug: &app.Slug}) {
			return nil
		}
		return h.rerequested(ctx, eventType, payload)
	}
	return nil
}

// appRef is the part of an App object that names it.
type appRef struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
}

// rerequested re-runs this App's check run or suite.
func (h *Check) rerequested(ctx context.Context, eventType string, payload []byte) error {
	switch eventType {
	case "check_run":
		var e github.CheckRunEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("parsing check_run event: %w", err)
		}
		run := e.GetCheckRun()
		ctx, _ = githubapp.PrepareRepoContext(ctx, e.GetInstallation().GetID(), e.GetRepo())
		return h.checks.RecheckRun(ctx, e.GetInstallation().GetID(), e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), run)
	case "check_suite":
		var e github.CheckSuiteEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("parsing check_suite event: %w", err)
		}
		suite := e.GetCheckSuite()
		ctx, _ = githubapp.PrepareRepoContext(ctx, e.GetInstallation().GetID(), e.GetRepo())
		return h.checks.RecheckSuite(ctx, e.GetInstallation().GetID(), e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), suite)
	}
	return nil
}

// ours is true for this App's runs and suites: by id when the service knows
// it, else by the slug GET /app answered.
func (h *Check) ours(app *github.App) bool {
	return h.checks.Owns(app) || h.App.HasSlug(app.GetSlug())
}

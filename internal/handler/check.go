package handler

import (
	"context"
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
		e, err := decode[github.PullRequestEvent](ctx, payload)
		if err != nil {
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
		return h.rerequested(ctx, eventType, payload)
	}
	return nil
}

// rerequested checks again this App's re-requested check run or suite.
func (h *Check) rerequested(ctx context.Context, eventType string, payload []byte) error {
	e, err := decode[checkDelivery](ctx, payload)
	if err != nil {
		return fmt.Errorf("parsing %s event: %w", eventType, err)
	}
	var app *appRef
	switch {
	case eventType == "check_run" && e.CheckRun != nil:
		app = &e.CheckRun.App
	case eventType == "check_suite" && e.CheckSuite != nil:
		app = &e.CheckSuite.App
	}
	if app == nil || !h.HandlesAction(eventType, e.Action) || !h.ours(&github.App{ID: &app.ID, Slug: &app.Slug}) {
		return nil
	}
	ctx, _ = githubapp.PrepareRepoContext(ctx, e.Installation.ID, e.Repo)
	owner, repo := e.Repo.GetOwner().GetLogin(), e.Repo.GetName()
	if eventType == "check_run" {
		return h.checks.RecheckRun(ctx, e.Installation.ID, owner, repo, &e.CheckRun.CheckRun)
	}
	return h.checks.RecheckSuite(ctx, e.Installation.ID, owner, repo, &e.CheckSuite.CheckSuite)
}

// checkDelivery is what a check_run or check_suite re-request needs, read in
// one decode. Its App is read by id and slug alone: older payloads carry App
// timestamps go-github cannot read.
type checkDelivery struct {
	Action       string `json:"action"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repo     *github.Repository `json:"repository"`
	CheckRun *struct {
		github.CheckRun
		App appRef `json:"app"` // in place of the embedded App
		// The run's suite names the App again, timestamps and all; unused.
		CheckSuite struct{} `json:"check_suite"`
	} `json:"check_run"`
	CheckSuite *struct {
		github.CheckSuite
		App appRef `json:"app"`
	} `json:"check_suite"`
}

// appRef is the part of an App object that names it.
type appRef struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
}

// ours is true for this App's runs and suites: by id when the service knows
// it, else by the slug GET /app answered.
func (h *Check) ours(app *github.App) bool { return h.checks.Owns(app) }

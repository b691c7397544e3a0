package handler

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync"
)

// LiveAgenda is what the meeting handler asks of the meeting service.
type LiveAgenda interface {
	// Concerns says whether any group's agenda may change; false costs no call.
	Concerns(e meetingsync.ItemEvent) bool
	// ItemChanged rewrites the agenda region of each concerned upcoming meeting.
	ItemChanged(ctx context.Context, e meetingsync.ItemEvent) error
}

var _ MeetingService = (*meetingsync.Service)(nil)

// Meeting keeps each group's upcoming meeting issue's agenda in step with the
// items carrying the group's label. The payload says everything: an event on an
// item without a group's label makes no API call.
type Meeting struct {
	Base
	Agenda LiveAgenda
}

var _ githubapp.EventHandler = &Meeting{}

// meetingActions are the actions that can put an item on an agenda or take it off.
var meetingActions = map[string]map[string]bool{
	"issues":       {"labeled": true, "unlabeled": true, "closed": true, "reopened": true, "edited": true, "transferred": true},
	"pull_request": {"labeled": true, "unlabeled": true, "closed": true, "reopened": true, "edited": true},
}

// Handles implements githubapp.EventHandler.
func (h *Meeting) Handles() []string { return []string{"issues", "pull_request"} }

// HandlesAction keeps every other action out of the queue.
func (h *Meeting) HandlesAction(event, action string) bool { return meetingActions[event][action] }

// Handle implements githubapp.EventHandler.
func (h *Meeting) Handle(ctx context.Context, eventType, _ string, payload []byte) error {
	if h.Agenda == nil || !h.HandlesAction(eventType, actionFrom(ctx, payload)) {
		return nil
	}
	var (
		ev  meetingsync.ItemEvent
		ok  bool
		err error
	)
	switch eventType {
	case "issues":
		ev, ok, err = issueItemEvent(ctx, payload)
	case "pull_request":
		ev, ok, err = pullItemEvent(ctx, payload)
	}
	if err != nil || !ok || !h.Agenda.Concerns(ev) {
		return err
	}
	return h.Agenda.ItemChanged(ctx, ev)
}

func labelNames(labels []*github.Label) []string {
	names := make([]string, 0, len(labels))
	for _, l := range labels {
		names = append(names, l.GetName())
	}
	return names
}

// issuesDelivery is an issues event with the changes secwg reads, a transfer's
// among them, which go-github's EditChange leaves out.
type issuesDelivery struct {
	github.IssuesEvent
	Changes struct {
		Title         *github.EditTitle  `json:"title"`
		NewIssue      *github.Issue      `json:"new_issue"`
		NewRepository *github.Repository `json:"new_repository"`
	} `json:"changes"`
}

// issueItemEvent reads an issues delivery; ok is false for an edit that left the
// title alone.
func issueItemEvent(ctx context.Context, payload []byte) (meetingsync.ItemEvent, bool, error) {
	e, err := decode[issuesDelivery](ctx, payload)
	if err != nil {
		return meetingsync.ItemEvent{}, false, fmt.Errorf("parsing issues event: %w", err)
	}
	if e.GetAction() == "edited" && e.Changes.Title == nil {
		return meetingsync.ItemEvent{}, false, nil
	}
	is, repo := e.GetIssue(), e.GetRepo().GetFullName()
	ev := meetingsync.ItemEvent{
		Item:   meeting.Item{Repo: repo, Number: is.GetNumber(), Title: is.GetTitle(), URL: is.GetHTMLURL(), PullRequest: is.IsPullRequest()},
		Open:   is.GetState() != "closed",
		Labels: labelNames(is.Labels),
	}
	if e.GetAction() == "unlabeled" {
		ev.Removed = e.GetLabel().GetName()
	}
	if e.GetAction() == "transferred" {
		former := ev.Item
		ev.Former, ev.FormerLabels = &former, ev.Labels
		ni := e.Changes.NewIssue
		ev.Item = meeting.Item{Repo: e.Changes.NewRepository.GetFullName(), Number: ni.GetNumber(), Title: ni.GetTitle(), URL: ni.GetHTMLURL()}
		ev.Open, ev.Labels = ni.GetState() != "closed", labelNames(ni.Labels)
	}
	return ev, true, nil
}

// pullItemEvent reads a pull_request delivery; ok is false for an edit that left
// the title alone.
func pullItemEvent(ctx context.Context, payload []byte) (meetingsync.ItemEvent, bool, error) {
	e, err := decode[github.PullRequestEvent](ctx, payload)
	if err != nil {
		return meetingsync.ItemEvent{}, false, fmt.Errorf("parsing pull_request event: %w", err)
	}
	if e.GetAction() == "edited" && e.GetChanges().GetTitle() == nil {
		return meetingsync.ItemEvent{}, false, nil
	}
	pr := e.GetPullRequest()
	ev := meetingsync.ItemEvent{
		Item:   meeting.Item{Repo: e.GetRepo().GetFullName(), Number: pr.GetNumber(), Title: pr.GetTitle(), URL: pr.GetHTMLURL(), PullRequest: true},
		Open:   pr.GetState() != "closed",
		Labels: labelNames(pr.Labels),
	}
	if e.GetAction() == "unlabeled" {
		ev.Removed = e.GetLabel().GetName()
	}
	return ev, true, nil
}

package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/commands"
	"github.com/secwg/secwg/internal/meeting"
)

// Comment answers slash commands in issue and pull-request comments. The
// commands service resolves groups, runs the commands and replies; this
// handler reads the payload and hands it the client and permission checker.
type Comment struct {
	Base
	commands *commands.Service
	perms    *Permissions
	wrap     func(command.Checker) command.Checker
}

var _ githubapp.EventHandler = &Comment{}

// NewComment builds the issue_comment handler. meetings or checks may be nil
// when that feature is off; their commands then fail with a reply saying so.
func NewComment(b Base, groups []meeting.Group, meetings Meetings, checks Checks) *Comment {
	return &Comment{Base: b, commands: commands.New(groups, meetings, checks, b.App),
		perms: NewPermissions(PermissionTTL, PermissionCacheLimit)}
}

func newCommentWith(b Base, s Services) *Comment {
	// A nil pointer in an interface would read as a feature switched on.
	var meetings Meetings
	if s.Meetings != nil {
		meetings = s.Meetings
	}
	var checks Checks
	if s.Checks != nil {
		checks = s.Checks
	}
	c := NewComment(b, s.Groups, meetings, checks)
	c.wrap = s.WrapChecker
	return c
}

// Handles implements githubapp.EventHandler.
func (h *Comment) Handles() []string { return []string{"issue_comment"} }

// HandlesAction keeps edits and deletions off the queue: only a new comment
// can ask for something.
func (h *Comment) HandlesAction(event, action string) bool {
	return event == "issue_comment" && action == "created"
}

// Handle implements githubapp.EventHandler.
func (h *Comment) Handle(ctx context.Context, eventType, _ string, payload []byte) error {
	var e github.IssueCommentEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return fmt.Errorf("parsing issue_comment event: %w", err)
	}
	if !h.HandlesAction(eventType, e.GetAction()) || h.ignoresAuthor(e.GetComment().GetUser()) {
		return nil
	}
	cmds := command.Parse(e.GetComment().GetBody())
	if len(cmds) == 0 {
		return nil
	}
	inst := e.GetInstallation().GetID()
	ctx, logger := githubapp.PrepareRepoContext(ctx, inst, e.GetRepo())
	logger = logger.With().Int("issue", e.GetIssue().GetNumber()).Int64("comment_id", e.GetComment().GetID()).Logger()
	ctx = logger.WithContext(ctx)
	client, err := h.Clients.NewInstallationClient(inst)
	if err != nil {
		return fmt.Errorf("creating the client for installation %d: %w", inst, err)
	}
	checker := h.perms.Checker(client, inst)
	if h.wrap != nil {
		checker = h.wrap(checker)
	}
	return h.commands.Answer(ctx, commands.GitHub(client), checker, commentRequest(&e), cmds)
}

// commentRequest is what the commands service needs of the payload.
func commentRequest(e *github.IssueCommentEvent) commands.Request {
	issue, c := e.GetIssue(), e.GetComment()
	return commands.Request{
		Installation: e.GetInstallation().GetID(),
		Owner:        e.GetRepo().GetOwner().GetLogin(), Repo: e.GetRepo().GetName(),
		Number: issue.GetNumber(), PullRequest: issue.IsPullRequest(),
		IssueBody: issue.GetBody(), IssueAuthor: issue.GetUser().GetLogin(), Labels: labelNames(issue.Labels),
		CommentID: c.GetID(), Created: c.GetCreatedAt().Time, User: c.GetUser().GetLogin(),
	}
}

// ignoresAuthor is true for the App's own comments and any other bot's: a
// bot cannot ask for anything, so two bots can never answer each other.
func (h *Comment) ignoresAuthor(u *github.User) bool {
	if strings.EqualFold(u.GetType(), "Bot") {
		return true
	}
	return h.App.IsLogin(u.GetLogin())
}

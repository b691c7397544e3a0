package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/meeting"
)

// Comment answers slash commands in issue and pull-request comments: it reads
// the commands, checks through the API who may run each, runs them, and
// answers with one reaction and at most one reply.
type Comment struct {
	Base
	groups   []meeting.Group
	meetings Meetings
	checks   Checks
	perms    *Permissions
	wrap     func(command.Checker) command.Checker
}

var _ githubapp.EventHandler = &Comment{}

// NewComment builds the issue_comment handler. meetings or checks may be nil
// when that feature is off; their commands then fail with a reply saying so.
func NewComment(b Base, groups []meeting.Group, meetings Meetings, checks Checks) *Comment {
	return &Comment{Base: b, groups: groups, meetings: meetings, checks: checks,
		perms: NewPermissions(PermissionTTL, PermissionCacheLimit)}
}

func newCommentWith(b Base, s Services) *Comment {
	c := NewComment(b, s.Groups, s.Meetings, s.Checks)
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
	r := h.newRun(&e, client, inst)
	outcomes := make([]command.Outcome, 0, len(cmds))
	for _, c := range cmds {
		o, d, err := r.run(ctx, c)
		outcomes = append(outcomes, o)
		audit := logger
		if o.Reason != "" {
			// The reply's sentence, also for a command stopped before its
			// permission check, whose zero decision reads "refused".
			audit = logger.With().Str("reason", o.Reason).Logger()
		}
		command.Audit{User: r.user, Repository: r.fullName(), Issue: r.number,
			Command: c, Decision: d, Result: o.Result, Err: err}.Log(audit)
	}
	return r.answer(ctx, outcomes)
}

// ignoresAuthor is true for the App's own comments and any other bot's: a
// bot cannot ask for anything, so two bots can never answer each other.
func (h *Comment) ignoresAuthor(u *github.User) bool {
	if strings.EqualFold(u.GetType(), "Bot") {
		return true
	}
	app := h.AppLogin()
	return app != "" && strings.EqualFold(u.GetLogin(), app)
}

// commentRun is one comment being answered.
type commentRun struct {
	h            *Comment
	client       *github.Client
	checker      command.Checker
	installation int64
	owner, repo  string
	number       int
	commentID    int64
	comment      *github.IssueComment
	user         string // the comment's author
	author       string // the issue's or pull request's author
	place        command.Place
	meetingGroup string // the group whose meeting issue this is, if any
	labels       []*github.Label
}

func (h *Comment) newRun(e *github.IssueCommentEvent, client *github.Client, inst int64) *commentRun {
	issue := e.GetIssue()
	r := &commentRun{
		h: h, client: client, checker: h.perms.Checker(client, inst), installation: inst,
		owner: e.GetRepo().GetOwner().GetLogin(), repo: e.GetRepo().GetName(),
		number: issue.GetNumber(), commentID: e.GetComment().GetID(), comment: e.GetComment(),
		user: e.GetComment().GetUser().GetLogin(), author: issue.GetUser().GetLogin(),
		place: command.Issue, labels: issue.Labels,
	}
	if h.wrap != nil {
		r.checker = h.wrap(r.checker)
	}
	if issue.IsPullRequest() {
		r.place = command.PullRequest
	} else if h.meetings != nil {
		if id, ok := h.meetings.MeetingIssueGroup(r.fullName(), issue.GetBody(), r.author); ok {
			r.place |= command.MeetingIssue
			r.meetingGroup = id
		}
	}
	return r
}

func (r *commentRun) fullName() string { return r.owner + "/" + r.repo }

// run checks and runs one command. The error is what made it fail, for the audit.
func (r *commentRun) run(ctx context.Context, c command.Command) (command.Outcome, command.Decision, error) {
	var none command.Decision
	if c.Err != nil {
		return command.ArgumentFailure(c), none, nil
	}
	if reason := r.h.unavailable(c.Kind); reason != "" {
		return command.Failure(c, reason, nil), none, nil
	}
	if err := c.CheckPlace(r.place); err != nil {
		return command.Failure(c, err.Error()+".", nil), none, nil
	}
	g, reason := r.groupOf(c)
	if reason != "" {
		return command.Failure(c, reason, nil), none, nil
	}
	var overrides command.Overrides
	var team command.TeamRef
	if g != nil {
		overrides = g.Commands
		team, _ = command.ParseTeamRef(g.Team) // validated with the config; a bad one grants nothing
	}
	d, err := command.Decide(ctx, r.checker, command.Request{
		User: r.user, Owner: r.owner, Repo: r.repo, Author: r.author, Team: team,
		Allowed: overrides.For(c.Kind), Command: c.Spec().Invocation(),
	})
	switch {
	case err != nil:
		return command.Failure(c, "Your permission could not be checked, so nothing was done; please try again in a few minutes.", err), d, err
	case !d.Allowed:
		return command.Refusal(c, d), d, nil
	}
	content, reason, err := r.execute(ctx, c, g)
	if reason != "" {
		return command.Failure(c, reason, err), d, err
	}
	return command.Success(c, content), d, nil
}

// unavailable says why a command cannot run on this server at all.
func (h *Comment) unavailable(k command.Kind) string {
	switch {
	case (k == command.Meeting || k == command.Minutes) && h.meetings == nil:
		return "Meetings are not enabled on this server."
	case k == command.Recheck && h.checks == nil:
		return "The threat-model check is not enabled on this server."
	}
	return ""
}

// groupOf is the group a command acts for: the one it names, the meeting
// issue's, or the only group of this organization; else why there is none.
// /recheck and /help need no group, but take the organization's when there is
// exactly one, so that its overrides apply.
func (r *commentRun) groupOf(c command.Command) (*meeting.Group, string) {
	switch c.Kind {
	case command.Minutes:
		if g := r.h.group(r.meetingGroup); g != nil {
			return g, ""
		}
		return nil, fmt.Sprintf("This meeting issue belongs to group %s, which is no longer configured.", r.meetingGroup)
	case command.Recheck, command.Help:
		g, _ := r.h.orgGroup(r.owner, "")
		return g, ""
	case command.Agenda, command.AgendaRemove:
		g, reason := r.h.orgGroup(r.owner, c.Group)
		switch {
		case reason != "":
		case !strings.EqualFold(g.Org, r.owner):
			reason = fmt.Sprintf("The agenda of group %s lists issues of the %s organization only.", g.ID, g.Org)
		case g.AgendaLabel == "":
			reason = fmt.Sprintf("Group %s has no agenda label configured.", g.ID)
		}
		return g, reason
	}
	return r.h.orgGroup(r.owner, c.Group)
}

func (h *Comment) group(id string) *meeting.Group {
	for i := range h.groups {
		if h.groups[i].ID == id {
			return &h.groups[i]
		}
	}
	return nil
}

// orgGroup is the group named id, or with id empty the only group whose
// organization is owner; else why there is none.
func (h *Comment) orgGroup(owner, id string) (*meeting.Group, string) {
	if id != "" {
		if g := h.group(id); g != nil {
			return g, ""
		}
		return nil, fmt.Sprintf("There is no group %s; the groups are %s.", id, h.groupList(""))
	}
	var found []*meeting.Group
	for i := range h.groups {
		if strings.EqualFold(h.groups[i].Org, owner) {
			found = append(found, &h.groups[i])
		}
	}
	switch {
	case len(h.groups) == 0:
		return nil, "No meeting group is configured on this server."
	case len(found) == 1:
		return found[0], ""
	case len(found) == 0:
		return nil, fmt.Sprintf("No group meets for the %s organization; name one of %s.", owner, h.groupList(""))
	}
	return nil, fmt.Sprintf("Several groups meet for the %s organization; name one of %s.", owner, h.groupList(owner))
}

// groupList names the groups, those of org only when org is set.
func (h *Comment) groupList(org string) string {
	var ids []string
	for _, g := range h.groups {
		if org == "" || strings.EqualFold(g.Org, org) {
			ids = append(ids, g.ID)
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// execute runs an allowed command: the content it produced, or why it failed.
func (r *commentRun) execute(ctx context.Context, c command.Command, g *meeting.Group) (content, reason string, err error) {
	switch c.Kind {
	case command.Agenda:
		if r.hasLabel(g.AgendaLabel) {
			return "", "", nil // the payload already says so; nothing to write
		}
		if _, _, err := r.client.Issues.AddLabelsToIssue(ctx, r.owner, r.repo, r.number, []string{g.AgendaLabel}); err != nil {
			return "", "The agenda label " + g.AgendaLabel + " could not be added.", err
		}
		r.labels = append(r.labels, &github.Label{Name: &g.AgendaLabel})
	case command.AgendaRemove:
		if !r.hasLabel(g.AgendaLabel) {
			return "", "", nil
		}
		_, err := r.client.Issues.RemoveLabelForIssue(ctx, r.owner, r.repo, r.number, g.AgendaLabel)
		if err != nil && !isNotFound(err) {
			return "", "The agenda label " + g.AgendaLabel + " could not be removed.", err
		}
		r.labels = slices.DeleteFunc(r.labels, func(l *github.Label) bool { return strings.EqualFold(l.GetName(), g.AgendaLabel) })
	case command.Recheck:
		if err := r.h.checks.Recheck(ctx, r.installation, r.fullName(), r.number); err != nil {
			return "", "The threat-model check could not be started again.", err
		}
	case command.Meeting:
		md, err := r.h.meetings.NextMeeting(ctx, g.ID)
		if err != nil {
			return "", "The next meeting of group " + g.ID + " could not be looked up.", err
		}
		return md, "", nil
	case command.Minutes:
		u, err := r.h.meetings.ProposeMinutes(ctx, g.ID, r.fullName(), r.number)
		if err != nil {
			return "", "The minutes pull request could not be opened or updated.", err
		}
		return "The minutes pull request is ready for review: " + u, "", nil
	case command.Help:
		var o command.Overrides
		if g != nil {
			o = g.Commands
		}
		return command.HelpFor(o), "", nil
	}
	return "", "", nil
}

// hasLabel reads the labels from the payload, kept up to date as the
// comment's own commands change them, so a repeated command costs nothing.
func (r *commentRun) hasLabel(name string) bool {
	return slices.ContainsFunc(r.labels, func(l *github.Label) bool { return strings.EqualFold(l.GetName(), name) })
}

// answer puts one reaction on the comment and posts at most one reply.
func (r *commentRun) answer(ctx context.Context, outcomes []command.Outcome) error {
	var errs []error
	reaction := command.ReactionFor(outcomes)
	if _, _, err := r.client.Reactions.CreateIssueCommentReaction(ctx, r.owner, r.repo, r.commentID, reaction); err != nil {
		errs = append(errs, fmt.Errorf("reacting %s to comment %d: %w", reaction, r.commentID, err))
	}
	if body := command.Reply(r.commentID, outcomes); body != "" {
		if err := r.reply(ctx, body); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maxReplyPages bounds the search for an earlier reply. Replies follow their
// comment within seconds, so they sit on the first page of the comments
// written since it; three pages are 300 comments.
const maxReplyPages = 3

// reply posts body unless the comment already has a reply, so a repeated
// delivery, on this replica or another, never answers twice. Looking costs
// one call (the comments written since the command's, usually one page);
// posting, one more, and a second look, one more: two replicas that looked at
// the same moment both post, and the second look has the later one delete
// its own reply.
func (r *commentRun) reply(ctx context.Context, body string) error {
	logger := zerolog.Ctx(ctx)
	earlier, err := r.replies(ctx)
	if err != nil {
		return fmt.Errorf("looking for an earlier reply to comment %d: %w", r.commentID, err)
	}
	if len(earlier) > 0 {
		logger.Debug().Int64("reply_id", earlier[0]).Msg("comment already answered")
		return nil
	}
	posted, _, err := r.client.Issues.CreateComment(ctx, r.owner, r.repo, r.number, &github.IssueComment{Body: &body})
	if err != nil {
		return fmt.Errorf("replying to comment %d: %w", r.commentID, err)
	}
	all, err := r.replies(ctx)
	if err != nil {
		logger.Warn().Err(err).Msg("could not check the reply for a duplicate")
		return nil
	}
	if len(all) > 0 && all[0] < posted.GetID() {
		logger.Info().Int64("reply_id", posted.GetID()).Int64("earlier_reply_id", all[0]).Msg("another replica answered first; deleting this reply")
		if _, err := r.client.Issues.DeleteComment(ctx, r.owner, r.repo, posted.GetID()); err != nil {
			return fmt.Errorf("deleting duplicate reply %d: %w", posted.GetID(), err)
		}
	}
	return nil
}

// replies lists the IDs of the App's replies to the comment, lowest first.
// Only the App's own comments are read for the marker: anyone can type one.
func (r *commentRun) replies(ctx context.Context) ([]int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	if t := r.comment.GetCreatedAt(); !t.IsZero() {
		opts.Since = &t.Time
	}
	var ids []int64
	for page := 0; page < maxReplyPages; page++ {
		comments, resp, err := r.client.Issues.ListComments(ctx, r.owner, r.repo, r.number, opts)
		if err != nil {
			return nil, err
		}
		for _, c := range comments {
			if r.h.isOwnComment(c.GetUser()) && command.HasReplyMarker(c.GetBody(), r.commentID) {
				ids = append(ids, c.GetID())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Sort(ids)
	return ids, nil
}

// isOwnComment is true for comments the App wrote. Until the App knows its
// login, any bot's comment counts: only apps write as bots.
func (h *Comment) isOwnComment(u *github.User) bool {
	if app := h.AppLogin(); app != "" {
		return strings.EqualFold(u.GetLogin(), app)
	}
	return strings.EqualFold(u.GetType(), "Bot")
}

package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/meeting"
)

// Meetings is what commands ask of the meeting service. The service finds the
// installation it needs for each group's repository itself.
type Meetings interface {
	// NextMeeting is the Markdown answer to /meeting: the next meeting's time in
	// UTC and every zone of the group, its issue when there is one, and the agenda.
	NextMeeting(ctx context.Context, groupID string) (string, error)
	// MeetingIssueGroup reports which group's meeting issue repo#number is, when it
	// is one: its body carries the meeting marker and its author is the App.
	MeetingIssueGroup(repo, body, author string) (groupID string, ok bool)
	// ProposeMinutes opens, or updates, the minutes pull request of the meeting
	// whose issue is repo#issueNumber, and returns the pull request's URL.
	ProposeMinutes(ctx context.Context, groupID, repo string, issueNumber int) (string, error)
}

// Checks is what commands ask of the threat-model check.
type Checks interface {
	// Recheck runs the threat-model check again on the pull request's head commit.
	Recheck(ctx context.Context, installationID int64, repo string, number int) error
}

// Service answers comments. Its features are fixed at start; a nil Meetings
// or Checks makes their commands fail with a reply saying so.
type Service struct {
	groups   []meeting.Group
	meetings Meetings
	checks   Checks
	app      appid.Identity
}

// New returns the service. Until app's login is known, any bot's reply
// counts as the App's.
func New(groups []meeting.Group, meetings Meetings, checks Checks, app appid.Identity) *Service {
	return &Service{groups: groups, meetings: meetings, checks: checks, app: app}
}

// Request is one comment to answer and the item it is on, as the payload says.
type Request struct {
	Installation int64
	Owner, Repo  string
	// Number is the issue's or pull request's; PullRequest says which.
	Number      int
	PullRequest bool
	IssueBody   string
	IssueAuthor string
	// Labels are the item's labels when the comment was written.
	Labels    []string
	CommentID int64
	// Created is when the comment was written; replies are looked for after it.
	Created time.Time
	User    string // the comment's author
}

func (r Request) fullName() string { return r.Owner + "/" + r.Repo }

// Answer runs cmds, the commands of one comment, and answers it: one reaction
// and at most one reply. checker says who may run what; each command leaves
// one audit line on the context's logger.
func (s *Service) Answer(ctx context.Context, client Client, checker command.Checker, req Request, cmds []command.Command) error {
	a := &answer{s: s, client: client, checker: checker, Request: req, place: command.Issue,
		labels: slices.Clone(req.Labels)}
	if req.PullRequest {
		a.place = command.PullRequest
	} else if s.meetings != nil {
		if id, ok := s.meetings.MeetingIssueGroup(req.fullName(), req.IssueBody, req.IssueAuthor); ok {
			a.place |= command.MeetingIssue
			a.meetingGroup = id
		}
	}
	logger := zerolog.Ctx(ctx)
	outcomes := make([]command.Outcome, 0, len(cmds))
	for _, c := range cmds {
		o, d, err := a.run(ctx, c)
		outcomes = append(outcomes, o)
		audit := *logger
		if o.Reason != "" {
			// The reply's sentence, also for a command stopped before its
			// permission check, whose zero decision reads "refused".
			audit = logger.With().Str("reason", o.Reason).Logger()
		}
		command.Audit{User: req.User, Repository: req.fullName(), Issue: req.Number,
			Command: c, Decision: d, Result: o.Result, Err: err}.Log(audit)
	}
	return a.respond(ctx, outcomes)
}

// answer is one comment being answered.
type answer struct {
	Request
	s            *Service
	client       Client
	checker      command.Checker
	place        command.Place
	meetingGroup string   // the group whose meeting issue this is, if any
	labels       []string // the item's, kept up to date as commands change them
}

// run checks and runs one command. The error is what made it fail, for the audit.
func (a *answer) run(ctx context.Context, c command.Command) (command.Outcome, command.Decision, error) {
	var none command.Decision
	if c.Err != nil {
		return command.ArgumentFailure(c), none, nil
	}
	if reason := a.s.unavailable(c.Kind); reason != "" {
		return command.Failure(c, reason, nil), none, nil
	}
	if err := c.CheckPlace(a.place); err != nil {
		return command.Failure(c, err.Error()+".", nil), none, nil
	}
	g, reason := a.groupOf(c)
	if reason != "" {
		return command.Failure(c, reason, nil), none, nil
	}
	var overrides command.Overrides
	var team command.TeamRef
	if g != nil {
		overrides = g.Commands
		team, _ = command.ParseTeamRef(g.Team) // validated with the config; a bad one grants nothing
	}
	d, err := command.Decide(ctx, a.checker, command.Request{
		User: a.User, Owner: a.Owner, Repo: a.Repo, Author: a.IssueAuthor, Team: team,
		Allowed: overrides.For(c.Kind), Command: c.Spec().Invocation(),
	})
	switch {
	case err != nil:
		return command.Failure(c, "Your permission could not be checked, so nothing was done; please try again in a few minutes.", err), d, err
	case !d.Allowed:
		return command.Refusal(c, d), d, nil
	}
	content, reason, err := a.execute(ctx, c, g)
	if reason != "" {
		return command.Failure(c, reason, err), d, err
	}
	return command.Success(c, content), d, nil
}

// unavailable says why a command cannot run on this server at all.
func (s *Service) unavailable(k command.Kind) string {
	switch {
	case (k == command.Meeting || k == command.Minutes) && s.meetings == nil:
		return "Meetings are not enabled on this server."
	case k == command.Recheck && s.checks == nil:
		return "The threat-model check is not enabled on this server."
	}
	return ""
}

// groupOf is the group a command acts for: the one it names, the meeting
// issue's, or the only group of this organization; else why there is none.
// /recheck and /help need no group, but take the organization's when there is
// exactly one, so that its overrides apply.
func (a *answer) groupOf(c command.Command) (*meeting.Group, string) {
	switch c.Kind {
	case command.Minutes:
		if g := a.s.group(a.meetingGroup); g != nil {
			return g, ""
		}
		return nil, fmt.Sprintf("This meeting issue belongs to group %s, which is no longer configured.", a.meetingGroup)
	case command.Recheck, command.Help:
		g, _ := a.s.orgGroup(a.Owner, "")
		return g, ""
	case command.Agenda, command.AgendaRemove:
		g, reason := a.s.orgGroup(a.Owner, c.Group)
		switch {
		case reason != "":
		case !strings.EqualFold(g.Org, a.Owner):
			reason = fmt.Sprintf("The agenda of group %s lists issues of the %s organization only.", g.ID, g.Org)
		case g.AgendaLabel == "":
			reason = fmt.Sprintf("Group %s has no agenda label configured.", g.ID)
		}
		return g, reason
	}
	return a.s.orgGroup(a.Owner, c.Group)
}

func (s *Service) group(id string) *meeting.Group {
	for i := range s.groups {
		if s.groups[i].ID == id {
			return &s.groups[i]
		}
	}
	return nil
}

// orgGroup is the group named id, or with id empty the only group whose
// organization is owner; else why there is none.
func (s *Service) orgGroup(owner, id string) (*meeting.Group, string) {
	if id != "" {
		if g := s.group(id); g != nil {
			return g, ""
		}
		return nil, fmt.Sprintf("There is no group %s; the groups are %s.", id, s.groupList(""))
	}
	var found []*meeting.Group
	for i := range s.groups {
		if strings.EqualFold(s.groups[i].Org, owner) {
			found = append(found, &s.groups[i])
		}
	}
	switch {
	case len(s.groups) == 0:
		return nil, "No meeting group is configured on this server."
	case len(found) == 1:
		return found[0], ""
	case len(found) == 0:
		return nil, fmt.Sprintf("No group meets for the %s organization; name one of %s.", owner, s.groupList(""))
	}
	return nil, fmt.Sprintf("Several groups meet for the %s organization; name one of %s.", owner, s.groupList(owner))
}

// groupList names the groups, those of org only when org is set.
func (s *Service) groupList(org string) string {
	var ids []string
	for _, g := range s.groups {
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
func (a *answer) execute(ctx context.Context, c command.Command, g *meeting.Group) (content, reason string, err error) {
	switch c.Kind {
	case command.Agenda:
		return a.addAgendaLabel(ctx, g.AgendaLabel)
	case command.AgendaRemove:
		return a.removeAgendaLabel(ctx, g.AgendaLabel)
	case command.Recheck:
		if err := a.s.checks.Recheck(ctx, a.Installation, a.fullName(), a.Number); err != nil {
			return "", "The threat-model check could not be started again.", err
		}
	case command.Meeting:
		md, err := a.s.meetings.NextMeeting(ctx, g.ID)
		if err != nil {
			return "", "The next meeting of group " + g.ID + " could not be looked up.", err
		}
		return md, "", nil
	case command.Minutes:
		u, err := a.s.meetings.ProposeMinutes(ctx, g.ID, a.fullName(), a.Number)
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

// addAgendaLabel puts the agenda label on the item unless the payload says it
// is there already: a repeated command costs nothing.
func (a *answer) addAgendaLabel(ctx context.Context, label string) (content, reason string, err error) {
	if a.hasLabel(label) {
		return "", "", nil
	}
	if err := a.client.AddLabel(ctx, a.Owner, a.Repo, a.Number, label); err != nil {
		return "", "The agenda label " + label + " could not be added.", err
	}
	a.labels = append(a.labels, label)
	return "", "", nil
}

// removeAgendaLabel takes the agenda label off the item when it carries it.
func (a *answer) removeAgendaLabel(ctx context.Context, label string) (content, reason string, err error) {
	if !a.hasLabel(label) {
		return "", "", nil
	}
	if err := a.client.RemoveLabel(ctx, a.Owner, a.Repo, a.Number, label); err != nil {
		return "", "The agenda label " + label + " could not be removed.", err
	}
	a.labels = slices.DeleteFunc(a.labels, func(l string) bool { return strings.EqualFold(l, label) })
	return "", "", nil
}

func (a *answer) hasLabel(name string) bool {
	return slices.ContainsFunc(a.labels, func(l string) bool { return strings.EqualFold(l, name) })
}

// respond puts one reaction on the comment and posts at most one reply.
func (a *answer) respond(ctx context.Context, outcomes []command.Outcome) error {
	var errs []error
	reaction := command.ReactionFor(outcomes)
	if err := a.client.AddReaction(ctx, a.Owner, a.Repo, a.CommentID, reaction); err != nil {
		errs = append(errs, fmt.Errorf("reacting %s to comment %d: %w", reaction, a.CommentID, err))
	}
	if body := command.Reply(a.CommentID, outcomes); body != "" {
		if err := a.reply(ctx, body); err != nil {
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
func (a *answer) reply(ctx context.Context, body string) error {
	logger := zerolog.Ctx(ctx)
	earlier, err := a.replies(ctx)
	if err != nil {
		return fmt.Errorf("looking for an earlier reply to comment %d: %w", a.CommentID, err)
	}
	if len(earlier) > 0 {
		logger.Debug().Int64("reply_id", earlier[0]).Msg("comment already answered")
		return nil
	}
	posted, err := a.client.CreateComment(ctx, a.Owner, a.Repo, a.Number, body)
	if err != nil {
		return fmt.Errorf("replying to comment %d: %w", a.CommentID, err)
	}
	all, err := a.replies(ctx)
	if err != nil {
		logger.Warn().Err(err).Msg("could not check the reply for a duplicate")
		return nil
	}
	if len(all) > 0 && all[0] < posted {
		logger.Info().Int64("reply_id", posted).Int64("earlier_reply_id", all[0]).Msg("another replica answered first; deleting this reply")
		if err := a.client.DeleteComment(ctx, a.Owner, a.Repo, posted); err != nil {
			return fmt.Errorf("deleting duplicate reply %d: %w", posted, err)
		}
	}
	return nil
}

// replies lists the IDs of the App's replies to the comment, lowest first.
// Only the App's own comments are read for the marker: anyone can type one.
func (a *answer) replies(ctx context.Context) ([]int64, error) {
	var ids []int64
	for page, n := 0, 0; n < maxReplyPages; n++ {
		comments, next, err := a.client.ListComments(ctx, a.Owner, a.Repo, a.Number, a.Created, page)
		if err != nil {
			return nil, err
		}
		for _, c := range comments {
			if a.s.isOwn(c) && command.HasReplyMarker(c.Body, a.CommentID) {
				ids = append(ids, c.ID)
			}
		}
		if next == 0 {
			break
		}
		page = next
	}
	slices.Sort(ids)
	return ids, nil
}

// isOwn is true for comments the App wrote. Until the App knows its login,
// any bot's comment counts: only apps write as bots.
func (s *Service) isOwn(c Comment) bool {
	if s.app.Login() != "" {
		return s.app.IsLogin(c.Author)
	}
	return c.Bot
}

package meetingsync

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/meeting"
)

// pass is one group's reconcile: what it works on, what it found on GitHub,
// and the applier that carries out what it decides.
type pass struct {
	s      *Service
	ctx    context.Context
	client *github.Client
	g      *meeting.Group
	st     *groupState
	found  map[string]*meetingIssue
	apply  applier
}

// applier carries out a pass's decisions: writer on GitHub (and HackMD), or
// printer, for a dry run, as text that says what would be written. The pass
// decides; only the applier differs.
type applier interface {
	// status records what the pass learned, for the status page.
	status(g *meeting.Group, update func(*GroupStatus))
	// note finds or creates the meeting's HackMD note, returning its address
	// ("" when there is none).
	note(p *pass, occ meeting.Occurrence, agenda meeting.Agenda) (string, error)
	// createIssue creates the meeting issue; nil when nothing was created.
	createIssue(p *pass, title, body string) (*github.Issue, error)
	// editAgenda replaces the issue's body, whose agenda region is now region.
	editAgenda(p *pass, ref *issueRef, body, region string, items int) error
	// proposeMinutes opens the minutes pull request of mi, or reuses the first
	// of open, the open pull requests from branch; its address, or "" when
	// nothing was proposed.
	proposeMinutes(p *pass, mi *meetingIssue, branch string, open []*github.PullRequest) (string, error)
}

// writer applies on GitHub.
type writer struct{ s *Service }

func (w writer) status(g *meeting.Group, update func(*GroupStatus)) { w.s.noteStatus(g.ID, update) }

func (w writer) note(p *pass, occ meeting.Occurrence, agenda meeting.Agenda) (string, error) {
	n, err := w.s.ensureNote(p.ctx, p.g, occ, agenda)
	if err != nil {
		return "", err
	}
	return n.URL, nil
}

func (w writer) createIssue(p *pass, title, body string) (*github.Issue, error) {
	owner, name := splitRepo(p.g.Repo)
	created, _, err := p.client.Issues.Create(p.ctx, owner, name, &github.IssueRequest{Title: &title, Body: &body})
	if err != nil {
		return nil, fmt.Errorf("creating the meeting issue in %s: %w", p.g.Repo, err)
	}
	return created, nil
}

func (w writer) editAgenda(p *pass, ref *issueRef, body, _ string, items int) error {
	owner, name := splitRepo(p.g.Repo)
	if _, _, err := p.client.Issues.Edit(p.ctx, owner, name, ref.Number, &github.IssueRequest{Body: &body}); err != nil {
		return fmt.Errorf("updating the agenda of %s#%d: %w", p.g.Repo, ref.Number, err)
	}
	w.s.logger.Info().Str("group", p.g.ID).Int("issue", ref.Number).Int("items", items).Msg("agenda updated")
	return nil
}

func (w writer) proposeMinutes(p *pass, mi *meetingIssue, _ string, open []*github.PullRequest) (string, error) {
	return w.s.proposeMinutes(p.ctx, p.client, p.g, mi, open)
}

// printer applies nothing: it prints what a writer would do to out.
type printer struct{ out io.Writer }

func (printer) status(*meeting.Group, func(*GroupStatus)) {}

func (pr printer) note(p *pass, occ meeting.Occurrence, _ meeting.Agenda) (string, error) {
	fmt.Fprintf(pr.out, "group %s: would create or find the HackMD note of the %s meeting in team %s\n",
		p.g.ID, meeting.MeetingDate(occ.Start), p.g.Minutes.HackMDTeam)
	return "", nil
}

func (pr printer) createIssue(p *pass, title, body string) (*github.Issue, error) {
	fmt.Fprintf(pr.out, "group %s: would create the meeting issue in %s\ntitle: %s\n\n%s\n", p.g.ID, p.g.Repo, title, body)
	return nil, nil
}

func (pr printer) editAgenda(p *pass, ref *issueRef, _, region string, _ int) error {
	fmt.Fprintf(pr.out, "group %s: would rewrite the agenda of %s#%d to\n%s\n", p.g.ID, p.g.Repo, ref.Number, region)
	return nil
}

func (pr printer) proposeMinutes(p *pass, mi *meetingIssue, branch string, _ []*github.PullRequest) (string, error) {
	path, _ := p.g.MinutesPath(mi.ref.Occ)
	merged, err := p.s.minutesOnDefaultBranch(p.ctx, p.client, p.g, mi)
	if err != nil {
		return "", err
	}
	if merged {
		fmt.Fprintf(pr.out, "group %s: the minutes of %s#%d are already on the default branch as %s; nothing to propose\n", p.g.ID, p.g.Repo, mi.ref.Number, path)
		return "", nil
	}
	fmt.Fprintf(pr.out, "group %s: would propose the minutes of %s#%d as %s on branch %s\n", p.g.ID, p.g.Repo, mi.ref.Number, path, branch)
	return "", nil
}

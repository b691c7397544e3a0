package meetingsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/meeting"
)

// ErrNotMeetingIssue means an issue is not one of the group's meeting issues.
var ErrNotMeetingIssue = errors.New("not a meeting issue")

// ErrMinutesMerged means the default branch already holds these minutes.
var ErrMinutesMerged = errors.New("the minutes are already on the default branch")

// minutesBranch is the branch a meeting's minutes are proposed from.
func minutesBranch(g *meeting.Group, date string) string {
	return "secwg/" + g.ID + "/minutes-" + date
}

// ProposeMinutes opens, or updates, the minutes pull request of the meeting whose
// issue is repo#issueNumber, and returns the pull request's URL. The branch is
// the default branch plus one commit adding the minutes; an open pull request
// for it is reused, never duplicated.
func (s *Service) ProposeMinutes(ctx context.Context, groupID, repo string, issueNumber int) (string, error) {
	g, st, err := s.group(groupID)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(repo, g.Repo) {
		return "", fmt.Errorf("%w: group %q keeps its meeting issues in %s, not %s", ErrNotMeetingIssue, g.ID, g.Repo, repo)
	}
	ctx, unlock, err := s.lockGroup(ctx, g, st)
	if err != nil {
		return "", err
	}
	defer unlock()
	client, err := s.repoClient(ctx, g)
	if err != nil {
		return "", err
	}
	login, err := s.ensureAppLogin(ctx)
	if err != nil {
		return "", err
	}
	owner, name := splitRepo(g.Repo)
	is, _, err := client.Issues.Get(ctx, owner, name, issueNumber)
	if err != nil {
		return "", fmt.Errorf("reading %s#%d: %w", g.Repo, issueNumber, err)
	}
	mi, ok := asMeetingIssue(is, g, login)
	if !ok {
		return "", fmt.Errorf("%w: %s#%d is not a %s meeting issue written by %s", ErrNotMeetingIssue, g.Repo, issueNumber, g.ID, login)
	}
	mi.ref.Occ = s.occurrenceOn(ctx, g, mi.ref.Date)
	open, err := s.minutesPulls(ctx, client, g, minutesBranch(g, mi.ref.Date), "open")
	if err != nil {
		return "", err
	}
	url, err := s.proposeMinutes(ctx, client, g, mi, open)
	if err != nil {
		return "", err
	}
	st.proposed[mi.ref.Date] = true
	return url, nil
}

// occurrenceOn is the meeting on date from the calendar, or, when the calendar no
// longer has it (moved, cancelled, unreachable), one starting at that date's
// midnight UTC: titles and file names need only the date.
func (s *Service) occurrenceOn(ctx context.Context, g *meeting.Group, date string) meeting.Occurrence {
	if cal, err := s.calendar(ctx, g); err == nil {
		if occ, err := cal.On(date); err == nil {
			return occ
		}
	}
	day, _ := time.Parse(time.DateOnly, date) // FindMarker checked the date
	return meeting.Occurrence{Start: day, End: day.Add(g.Duration)}
}

// minutesPulls lists the pull requests from the minutes branch in state.
func (s *Service) minutesPulls(ctx context.Context, client *github.Client, g *meeting.Group, branch, state string) ([]*github.PullRequest, error) {
	owner, name := splitRepo(g.Repo)
	prs, _, err := client.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{
		State: state, Head: owner + ":" + branch, ListOptions: github.ListOptions{PerPage: perPage},
	})
	if err != nil {
		return nil, fmt.Errorf("listing the pull requests from %s: %w", branch, err)
	}
	return prs, nil
}

// minutesOnDefaultBranch reports, without writing, whether the default branch
// already holds mi's minutes as proposeMinutes would write them: the case in
// which proposeMinutes answers ErrMinutesMerged.
func (s *Service) minutesOnDefaultBranch(ctx context.Context, client *github.Client, g *meeting.Group, mi *meetingIssue) (bool, error) {
	path, err := g.MinutesPath(mi.ref.Occ)
	if err != nil {
		return false, err
	}
	content, err := s.minutesContent(ctx, g, mi)
	if err != nil {
		return false, err
	}
	owner, name := splitRepo(g.Repo)
	file, _, _, err := client.Repositories.GetContents(ctx, owner, name, path, nil)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s in %s: %w", path, g.Repo, err)
	}
	if file == nil {
		return false, nil // a directory
	}
	have, err := file.GetContent()
	if err != nil {
		return false, fmt.Errorf("reading %s in %s: %w", path, g.Repo, err)
	}
	return have == content, nil
}

// proposeMinutes writes the minutes on their branch and opens the pull request,
// or reuses the first of open, the open pull requests from the branch, which the
// caller listed.
func (s *Service) proposeMinutes(ctx context.Context, client *github.Client, g *meeting.Group, mi *meetingIssue, open []*github.PullRequest) (string, error) {
	occ := mi.ref.Occ
	path, err := g.MinutesPath(occ)
	if err != nil {
		return "", err
	}
	title, err := g.MeetingTitle(occ.Start)
	if err != nil {
		return "", err
	}
	content, err := s.minutesContent(ctx, g, mi)
	if err != nil {
		return "", err
	}
	branch := minutesBranch(g, mi.ref.Date)
	owner, name := splitRepo(g.Repo)
	fail := func(what string, err error) (string, error) {
		return "", fmt.Errorf("proposing the minutes of %s#%d: %s: %w", g.Repo, mi.ref.Number, what, err)
	}

	repo, _, err := client.Repositories.Get(ctx, owner, name)
	if err != nil {
		return fail("reading the repository", err)
	}
	base := repo.GetDefaultBranch()
	baseRef, _, err := client.Git.GetRef(ctx, owner, name, "heads/"+base)
	if err != nil {
		return fail("reading branch "+base, err)
	}
	baseSHA := baseRef.GetObject().GetSHA()
	baseCommit, _, err := client.Git.GetCommit(ctx, owner, name, baseSHA)
	if err != nil {
		return fail("reading commit "+baseSHA, err)
	}
	mode, kind := "100644", "blob"
	tree, _, err := client.Git.CreateTree(ctx, owner, name, baseCommit.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: &path, Mode: &mode, Type: &kind, Content: &content},
	})
	if err != nil {
		return fail("writing the tree", err)
	}
	if tree.GetSHA() == baseCommit.GetTree().GetSHA() {
		if len(open) > 0 {
			return open[0].GetHTMLURL(), nil
		}
		return "", fmt.Errorf("%w: %s in %s", ErrMinutesMerged, path, g.Repo)
	}

	headRef, _, err := client.Git.GetRef(ctx, owner, name, "heads/"+branch)
	if err != nil && !isNotFound(err) {
		return fail("reading branch "+branch, err)
	}
	upToDate := false
	if headRef != nil && err == nil {
		head, _, err := client.Git.GetCommit(ctx, owner, name, headRef.GetObject().GetSHA())
		if err != nil {
			return fail("reading branch "+branch, err)
		}
		upToDate = head.GetTree().GetSHA() == tree.GetSHA() && len(head.Parents) == 1 && head.Parents[0].GetSHA() == baseSHA
	} else {
		headRef = nil
	}
	if !upToDate {
		msg := "Add the minutes of the " + title + "\n\nFixes: " + mi.ref.URL
		commit, _, err := client.Git.CreateCommit(ctx, owner, name, &github.Commit{
			Message: &msg, Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: &baseSHA}},
		}, nil)
		if err != nil {
			return fail("writing the commit", err)
		}
		ref := &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: commit.SHA}}
		if headRef == nil {
			_, _, err = client.Git.CreateRef(ctx, owner, name, ref)
		} else {
			_, _, err = client.Git.UpdateRef(ctx, owner, name, ref, true)
		}
		if err != nil {
			return fail("moving branch "+branch, err)
		}
	}
	if len(open) > 0 {
		// People may have edited the pull request; its new commit is the update.
		return open[0].GetHTMLURL(), nil
	}
	body := "Fixes: " + mi.ref.URL
	pr, _, err := client.PullRequests.Create(ctx, owner, name, &github.NewPullRequest{
		Title: github.String("Add the minutes of the " + title), Head: &branch, Base: &base, Body: &body,
	})
	if err != nil {
		return fail("opening the pull request", err)
	}
	return pr.GetHTMLURL(), nil
}

// minutesContent is the minutes file: the HackMD note when the group keeps one,
// else the minutes template over the agenda frozen in the meeting issue.
func (s *Service) minutesContent(ctx context.Context, g *meeting.Group, mi *meetingIssue) (string, error) {
	var items []meeting.Item
	var standing []meeting.StandingResults
	if region, err := meeting.AgendaRegion(mi.body, g.ID); err == nil {
		items, _ = decodeItems(region)
		standing = decodeStanding(region)
	}
	agenda := meeting.NewAgenda(g.Repo, items)
	agenda.Standing = standing
	if s.hackmdFor(g) {
		title, err := g.MeetingTitle(mi.ref.Occ.Start)
		if err != nil {
			return "", err
		}
		note, err := s.hackmd.FindNote(ctx, g.Minutes.HackMDTeam, title)
		if err != nil {
			return "", err
		}
		if note != nil {
			full, err := s.hackmd.Note(ctx, note.ID)
			if err != nil {
				return "", err
			}
			content := fillLink(full.Content, "* **GitHub Issue**:", mi.ref.URL)
			if note.URL != "" {
				content = fillLink(content, "* **Minutes**:", note.URL)
			}
			return content, nil
		}
	}
	return s.renderer.RenderMinutes(g, meeting.Meeting{Occurrence: mi.ref.Occ, Agenda: agenda, IssueURL: mi.ref.URL})
}

// fillLink completes the minutes template's empty link line labelled empty (the
// GitHub Issue and Minutes lines, which a note created before its issue and its
// own URL carries); every other line stays as people wrote it.
func fillLink(content, empty, url string) string {
	lines := strings.SplitAfter(content, "\n")
	for i, l := range lines {
		if strings.TrimRight(l, "\r\n") == empty {
			lines[i] = empty + " " + url + l[len(empty):]
		}
	}
	return strings.Join(lines, "")
}

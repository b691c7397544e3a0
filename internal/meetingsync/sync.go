package meetingsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/meeting"
)

const (
	// perPage is the page size of every list and search; GitHub's maximum.
	perPage = 100
	// maxSearchPages stops where GitHub stops: a search serves 1,000 results.
	maxSearchPages = 10
	// minutesLookBack is how far back sync looks for a meeting whose minutes are
	// still to be proposed.
	minutesLookBack = 31 * 24 * time.Hour
	// listSlack widens the window in which meeting issues are listed, for an issue
	// created late (the server was down at lead time).
	listSlack = 24 * time.Hour
)

// meetingIssue is a meeting issue found on GitHub, with its body.
type meetingIssue struct {
	ref  issueRef
	body string
}

// Sync runs one reconcile pass over every group at now: create the meeting
// issue when due, refresh its agenda from search, leave it once the meeting has
// started, and propose the minutes once it has ended. With dryRun it writes
// nothing and prints what it would write to out. Groups fail independently.
func (s *Service) Sync(ctx context.Context, now time.Time, dryRun bool, out io.Writer) error {
	s.passMu.Lock()
	defer s.passMu.Unlock()
	if out == nil {
		out = io.Discard
	}
	var apply applier = writer{s}
	if dryRun {
		apply = printer{out}
	}
	var errs []error
	for i := range s.cfg.Groups {
		g := &s.cfg.Groups[i]
		err := s.syncGroup(ctx, g, now, apply)
		if err != nil {
			errs = append(errs, fmt.Errorf("group %q: %w", g.ID, err))
			if deadInstallation(err) {
				s.ForgetInstallations()
			}
		}
		apply.status(g, func(st *GroupStatus) { st.LastSync, st.LastError = s.now(), errString(err) })
	}
	return errors.Join(errs...)
}

func (s *Service) syncGroup(ctx context.Context, g *meeting.Group, now time.Time, apply applier) error {
	st := s.groups[g.ID]
	ctx, unlock, err := s.lockGroup(ctx, g, st)
	if err != nil {
		return err
	}
	defer unlock()
	log := s.logger.With().Str("group", g.ID).Logger()

	cal, err := s.calendar(ctx, g)
	if err != nil {
		return err
	}
	next, err := cal.Next(now)
	hasNext := err == nil
	if hasNext {
		apply.status(g, func(st *GroupStatus) { st.Next = next.Start })
	}
	if err != nil && !errors.Is(err, meeting.ErrNoOccurrence) {
		return err
	}
	prev, hasPrev, err := previous(cal, now)
	if err != nil {
		return err
	}
	needUpcoming := hasNext && meeting.Due(now, next, g.LeadTime)
	needMinutes := hasPrev && meeting.MinutesDue(now, prev, g.Minutes.Delay) && !st.proposed[meeting.MeetingDate(prev.Start)]
	if !needUpcoming && !needMinutes {
		log.Debug().Bool("has_next", hasNext).Msg("nothing to reconcile")
		return nil
	}

	client, err := s.repoClient(ctx, g)
	if err != nil {
		return err
	}
	oldest := next.Start
	if needMinutes {
		oldest = prev.Start
	}
	found, err := s.findMeetingIssues(ctx, client, g, oldest.Add(-g.LeadTime-listSlack))
	if err != nil {
		return err
	}
	p := &pass{s: s, ctx: ctx, client: client, g: g, st: st, found: found, apply: apply}
	var errs []error
	if needUpcoming {
		errs = append(errs, p.reconcileUpcoming(next))
	}
	if needMinutes {
		errs = append(errs, p.reconcileMinutes(prev))
	}
	return errors.Join(errs...)
}

// previous is the latest meeting that ended by now, within minutesLookBack.
func previous(cal *meeting.Calendar, now time.Time) (meeting.Occurrence, bool, error) {
	occs, err := cal.Between(now.Add(-minutesLookBack), now)
	if err != nil {
		return meeting.Occurrence{}, false, err
	}
	for i := len(occs) - 1; i >= 0; i-- {
		if !occs[i].End.After(now) {
			return occs[i], true, nil
		}
	}
	return meeting.Occurrence{}, false, nil
}

// findMeetingIssues lists the repository's issues newest first, back to since,
// and keeps the group's meeting issues that the App wrote, by meeting date. Where
// two claim one date (two replicas raced), the older one wins.
func (s *Service) findMeetingIssues(ctx context.Context, client *github.Client, g *meeting.Group, since time.Time) (map[string]*meetingIssue, error) {
	login, err := s.ensureAppLogin(ctx)
	if err != nil {
		return nil, err
	}
	owner, name := splitRepo(g.Repo)
	found := map[string]*meetingIssue{}
	opts := &github.IssueListByRepoOptions{State: "all", Sort: "created", Direction: "desc", ListOptions: github.ListOptions{PerPage: perPage}}
	for {
		list, resp, err := client.Issues.ListByRepo(ctx, owner, name, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the issues of %s: %w", g.Repo, err)
		}
		for _, is := range list {
			if mi, ok := asMeetingIssue(is, g, login); ok {
				if old := found[mi.ref.Date]; old == nil || mi.ref.Number < old.ref.Number {
					found[mi.ref.Date] = mi
				}
			}
		}
		if resp.NextPage == 0 || len(list) == 0 || list[len(list)-1].GetCreatedAt().Before(since) {
			return found, nil
		}
		opts.Page = resp.NextPage
	}
}

// asMeetingIssue recognises one of the group's meeting issues: the marker names
// the group and the App wrote it.
func asMeetingIssue(is *github.Issue, g *meeting.Group, login string) (*meetingIssue, bool) {
	if is.IsPullRequest() || !strings.EqualFold(is.GetUser().GetLogin(), login) {
		return nil, false
	}
	id, date, ok := meeting.FindMarker(is.GetBody())
	if !ok || id != g.ID {
		return nil, false
	}
	return &meetingIssue{
		ref:  issueRef{Number: is.GetNumber(), URL: is.GetHTMLURL(), Date: date, Closed: is.GetState() == "closed"},
		body: is.GetBody(),
	}, true
}

// reconcileUpcoming creates the next meeting's issue, or refreshes its agenda.
func (p *pass) reconcileUpcoming(next meeting.Occurrence) error {
	s, g := p.s, p.g
	date := meeting.MeetingDate(next.Start)
	if mi := p.found[date]; mi != nil {
		ref := mi.ref
		ref.Occ = next
		p.st.upcoming = &ref
		p.apply.status(g, func(gs *GroupStatus) { gs.IssueURL = ref.URL })
		if ref.Closed {
			s.logger.Info().Str("group", g.ID).Int("issue", ref.Number).Msg("meeting issue is closed; leaving it")
			return nil
		}
		items, standing, err := p.searchAll()
		if err != nil {
			return err
		}
		return p.writeAgenda(&ref, mi.body, items, standing)
	}

	items, standing, err := p.searchAll()
	if err != nil {
		return err
	}
	agenda := meeting.NewAgenda(g.Repo, items)
	agenda.Standing = standing
	var minutesURL string
	if s.hackmdFor(g) {
		if minutesURL, err = p.apply.note(p, next, agenda); err != nil {
			// The meeting issue matters more than its notes document.
			s.logger.Error().Err(err).Str("group", g.ID).Msg("could not create the HackMD note; creating the meeting issue without it")
		}
	}
	issue, err := s.renderer.RenderIssue(g, meeting.Meeting{Occurrence: next, Agenda: agenda, MinutesURL: minutesURL})
	if err != nil {
		return err
	}
	region, err := s.regionText(g, items, standing)
	if err != nil {
		return err
	}
	body, err := meeting.ReplaceAgenda(issue.Body, g.ID, region)
	if err != nil {
		return err
	}
	created, err := p.apply.createIssue(p, issue.Title, body)
	if err != nil || created == nil {
		return err
	}
	p.st.upcoming = &issueRef{Number: created.GetNumber(), URL: created.GetHTMLURL(), Date: date, Occ: next}
	p.apply.status(g, func(gs *GroupStatus) { gs.IssueURL, gs.AgendaItems = created.GetHTMLURL(), len(items) })
	s.logger.Info().Str("group", g.ID).Int("issue", created.GetNumber()).Str("date", date).Msg("meeting issue created")
	return nil
}

// searchAll runs the group's agenda search and its standing items' searches,
// all through one search client.
func (p *pass) searchAll() ([]meeting.Item, []meeting.StandingResults, error) {
	client, err := p.s.searchClient(p.ctx, p.g)
	if err != nil {
		return nil, nil, err
	}
	items, err := p.s.searchAgenda(p.ctx, p.g, client)
	if err != nil {
		return nil, nil, err
	}
	standing, err := p.s.searchStanding(p.ctx, p.g, client)
	if err != nil {
		return nil, nil, err
	}
	return items, standing, nil
}

// writeAgenda rewrites the agenda region of the issue whose body is body, when
// items or the standing items' results change it.
func (p *pass) writeAgenda(ref *issueRef, body string, items []meeting.Item, standing []meeting.StandingResults) error {
	g := p.g
	region, err := p.s.regionText(g, items, standing)
	if err != nil {
		return err
	}
	newBody, err := meeting.ReplaceAgenda(body, g.ID, region)
	if err != nil {
		return fmt.Errorf("meeting issue %s#%d: %w", g.Repo, ref.Number, err)
	}
	p.apply.status(g, func(st *GroupStatus) { st.IssueURL, st.AgendaItems = ref.URL, len(items) })
	if newBody == body {
		return nil
	}
	return p.apply.editAgenda(p, ref, newBody, region, len(items))
}

// searchAgenda runs the group's one agenda query, 100 items a page, through
// client, the group's searchClient.
func (s *Service) searchAgenda(ctx context.Context, g *meeting.Group, client *github.Client) ([]meeting.Item, error) {
	query := g.AgendaQuery()
	opts := &github.SearchOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	var all []meeting.Item
	for page := 1; ; page++ {
		res, resp, err := client.Search.Issues(ctx, query, opts)
		if err != nil {
			return nil, fmt.Errorf("searching %q: %w", query, err)
		}
		if res.GetIncompleteResults() {
			s.logger.Warn().Str("group", g.ID).Msg("GitHub's search answered with incomplete results")
		}
		data, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		items, _, err := meeting.ParseSearchItems(data)
		if err != nil {
			return nil, fmt.Errorf("searching %q: %w", query, err)
		}
		all = append(all, items...)
		if resp.NextPage == 0 || page >= maxSearchPages {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}

// maxStandingResults bounds the results listed under one standing item: one
// search page, so each standing query costs one call a pass.
const maxStandingResults = 50

// searchStanding runs the search of each standing item that has one, one call
// each, through client, the group's searchClient; label events never run them,
// they keep the results the region holds.
func (s *Service) searchStanding(ctx context.Context, g *meeting.Group, client *github.Client) ([]meeting.StandingResults, error) {
	var out []meeting.StandingResults
	for _, si := range g.StandingItems {
		if si.Search == "" {
			continue
		}
		query := si.StandingQuery()
		res, _, err := client.Search.Issues(ctx, query, &github.SearchOptions{Sort: "created", Order: "asc", ListOptions: github.ListOptions{PerPage: maxStandingResults}})
		if err != nil {
			return nil, fmt.Errorf("searching %q for standing item %q: %w", query, si.Title, err)
		}
		data, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		items, _, err := meeting.ParseSearchItems(data)
		if err != nil {
			return nil, fmt.Errorf("searching %q for standing item %q: %w", query, si.Title, err)
		}
		out = append(out, meeting.StandingResults{Title: si.Title, Items: items})
	}
	return out, nil
}

// reconcileMinutes proposes the minutes of prev once, unless a pull request for
// its branch exists in any state, its issue is closed or missing, or the default
// branch already holds them.
func (p *pass) reconcileMinutes(prev meeting.Occurrence) error {
	g, st := p.g, p.st
	date := meeting.MeetingDate(prev.Start)
	mi := p.found[date]
	if mi == nil || mi.ref.Closed {
		st.proposed[date] = true
		return nil
	}
	mi.ref.Occ = prev
	branch := minutesBranch(g, date)
	existing, err := p.s.minutesPulls(p.ctx, p.client, g, branch, "all")
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		st.proposed[date] = true
		return nil
	}
	// None exists in any state, so none is open: no second listing.
	url, err := p.apply.proposeMinutes(p, mi, branch, nil)
	if errors.Is(err, ErrMinutesMerged) {
		// Nothing left to propose: the minutes came in another way.
		st.proposed[date] = true
		p.s.logger.Info().Str("group", g.ID).Str("date", date).Msg("minutes already on the default branch; nothing to propose")
		return nil
	}
	if err != nil || url == "" {
		return err
	}
	st.proposed[date] = true
	p.s.logger.Info().Str("group", g.ID).Str("pull_request", url).Msg("minutes proposed")
	return nil
}

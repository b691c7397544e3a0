package meetingsync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/meeting"
)

// ItemEvent is what an issues or pull_request delivery says about one item.
type ItemEvent struct {
	// Item is the issue or pull request as it is now (after a transfer: in its
	// new repository).
	Item meeting.Item
	// Open is false once the item is closed.
	Open bool
	// Labels are the item's labels now.
	Labels []string
	// Removed is the label an unlabeled event took off, else "".
	Removed string
	// Former is where a transferred issue was, else nil.
	Former *meeting.Item
	// FormerLabels are the labels the transferred issue carried.
	FormerLabels []string
}

// concerns says whether the event touches the group's agenda: an item of the
// group's org carries the group's label or lost it, or carried it before a
// transfer.
func (e ItemEvent) concerns(g *meeting.Group) bool {
	if (hasLabel(e.Labels, g.AgendaLabel) || strings.EqualFold(e.Removed, g.AgendaLabel)) && inOrg(e.Item.Repo, g.Org) {
		return true
	}
	return e.Former != nil && hasLabel(e.FormerLabels, g.AgendaLabel) && inOrg(e.Former.Repo, g.Org)
}

// Concerns says whether any group's agenda may change with the event; an event
// that concerns none costs no API call.
func (s *Service) Concerns(e ItemEvent) bool {
	for i := range s.cfg.Groups {
		if e.concerns(&s.cfg.Groups[i]) {
			return true
		}
	}
	return false
}

func hasLabel(labels []string, want string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, want) {
			return true
		}
	}
	return false
}

// inOrg says whether repo ("owner/name") belongs to org.
func inOrg(repo, org string) bool {
	owner, _ := splitRepo(repo)
	return strings.EqualFold(owner, org)
}

// ItemChanged rewrites the agenda region of every concerned group's upcoming
// meeting issue after e. With warm caches it reads the issue (revalidated through
// the ETag cache) and writes it only when the agenda changed: two calls at most.
func (s *Service) ItemChanged(ctx context.Context, e ItemEvent) error {
	var errs []error
	for i := range s.cfg.Groups {
		g := &s.cfg.Groups[i]
		if !e.concerns(g) {
			continue
		}
		if err := s.applyToGroup(ctx, g, e); err != nil {
			errs = append(errs, fmt.Errorf("group %q: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

// applyAgenda is the new agenda after e: the item's former and present identity
// are taken out, and the item is put back when it is open, labelled and in the
// group's org. changed is false when the agenda is the same.
func applyAgenda(g *meeting.Group, current []meeting.Item, e ItemEvent) (next []meeting.Item, changed bool) {
	drop := map[string]bool{itemKey(e.Item.Repo, e.Item.Number): true}
	if e.Former != nil {
		drop[itemKey(e.Former.Repo, e.Former.Number)] = true
	}
	next = make([]meeting.Item, 0, len(current)+1)
	var was *meeting.Item
	for i, it := range current {
		if drop[itemKey(it.Repo, it.Number)] {
			if itemKey(it.Repo, it.Number) == itemKey(e.Item.Repo, e.Item.Number) {
				was = &current[i]
			} else {
				changed = true // the former identity leaves
			}
			continue
		}
		next = append(next, it)
	}
	want := e.Open && hasLabel(e.Labels, g.AgendaLabel) && inOrg(e.Item.Repo, g.Org)
	if want {
		next = append(next, e.Item)
	}
	switch {
	case want && was == nil, !want && was != nil:
		changed = true
	case want && was != nil:
		changed = changed || *was != e.Item
	}
	return next, changed
}

func (s *Service) applyToGroup(ctx context.Context, g *meeting.Group, e ItemEvent) error {
	st := s.groups[g.ID]
	ctx, unlock, err := s.lockGroup(ctx, g, st)
	if err != nil {
		return err
	}
	defer unlock()
	now := s.now()
	client, err := s.repoClient(ctx, g)
	if err != nil {
		return err
	}
	ref := st.upcoming
	if ref == nil || meeting.Frozen(now, ref.Occ) {
		// Rebuild what a sync would remember: the next meeting and its issue.
		if ref, err = s.lookupUpcoming(ctx, client, g, st); err != nil || ref == nil {
			return err
		}
	}
	if ref.Closed || meeting.Frozen(now, ref.Occ) || !meeting.Due(now, ref.Occ, g.LeadTime) {
		return nil
	}
	owner, name := splitRepo(g.Repo)
	is, _, err := client.Issues.Get(ctx, owner, name, ref.Number)
	if err != nil {
		return fmt.Errorf("reading meeting issue %s#%d: %w", g.Repo, ref.Number, err)
	}
	if is.GetState() == "closed" {
		ref.Closed = true
		return nil
	}
	body := is.GetBody()
	region, err := meeting.AgendaRegion(body, g.ID)
	if err != nil {
		return fmt.Errorf("meeting issue %s#%d: %w", g.Repo, ref.Number, err)
	}
	p := &pass{s: s, ctx: ctx, client: client, g: g, st: st, apply: writer{s}}
	// Label events keep the standing items' results; the next pass refreshes them.
	standing := decodeStanding(region)
	current, ok := decodeItems(region)
	if !ok {
		// The region lost its items (edited by hand): rebuild it from search.
		sc, err := s.searchClient(ctx, g)
		if err != nil {
			return err
		}
		items, err := s.searchAgenda(ctx, g, sc)
		if err != nil {
			return err
		}
		return p.writeAgenda(ref, body, items, standing)
	}
	next, changed := applyAgenda(g, current, e)
	if !changed {
		return nil
	}
	return p.writeAgenda(ref, body, next, standing)
}

// lookupUpcoming finds the next meeting's issue the way a sync does and
// remembers it; nil when the meeting is not due or its issue does not exist.
func (s *Service) lookupUpcoming(ctx context.Context, client *github.Client, g *meeting.Group, st *groupState) (*issueRef, error) {
	now := s.now()
	cal, err := s.calendar(ctx, g)
	if err != nil {
		return nil, err
	}
	next, err := cal.Next(now)
	if errors.Is(err, meeting.ErrNoOccurrence) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !meeting.Due(now, next, g.LeadTime) {
		return nil, nil
	}
	found, err := s.findMeetingIssues(ctx, client, g, next.Start.Add(-g.LeadTime-listSlack))
	if err != nil {
		return nil, err
	}
	mi := found[meeting.MeetingDate(next.Start)]
	if mi == nil {
		return nil, nil
	}
	ref := mi.ref
	ref.Occ = next
	st.upcoming = &ref
	return &ref, nil
}

package meetingsync

import (
	"context"
	"fmt"
	"strings"

	"github.com/secwg/secwg/internal/meeting"
)

// MeetingIssueGroup reports which group's meeting issue an issue of repo is: its
// body carries a group's meeting marker, repo is that group's repository, and
// the App wrote it. It makes no API call; while the App's identity is unknown it
// answers false.
func (s *Service) MeetingIssueGroup(repo, body, author string) (string, bool) {
	id, _, ok := meeting.FindMarker(body)
	if !ok {
		return "", false
	}
	g, err := s.cfg.Group(id)
	if err != nil || !strings.EqualFold(repo, g.Repo) {
		return "", false
	}
	login := s.appLogin()
	if login == "" || !strings.EqualFold(author, login) {
		return "", false
	}
	return g.ID, true
}

// NextMeeting is the Markdown answer to /meeting: the next meeting's time in UTC
// and every zone of the group, its issue when there is one, and the agenda (read
// back from the issue, else searched).
func (s *Service) NextMeeting(ctx context.Context, groupID string) (string, error) {
	g, st, err := s.group(groupID)
	if err != nil {
		return "", err
	}
	ctx, unlock, err := s.lockGroup(ctx, g, st)
	if err != nil {
		return "", err
	}
	defer unlock()
	now := s.now()
	cal, err := s.calendar(ctx, g)
	if err != nil {
		return "", err
	}
	occ, err := cal.Next(now)
	if err != nil {
		return "", fmt.Errorf("group %q: %w", g.ID, err)
	}
	title, err := g.MeetingTitle(occ.Start)
	if err != nil {
		return "", err
	}
	zones, err := meeting.ZoneTimes(occ.Start, g.Timezones)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**", meeting.EscapeTitle(title))
	if meeting.Frozen(now, occ) {
		b.WriteString(" (in progress)")
	}
	fmt.Fprintf(&b, "\n\n**UTC %s**\n\n| Timezone | Date/Time |\n| -------- | --------- |\n", meeting.FormatTime(occ.Start.UTC()))
	for _, z := range zones {
		fmt.Fprintf(&b, "| %s | %s |\n", meeting.EscapeTitle(z.Label), z.Local)
	}

	var items []meeting.Item
	haveItems := false
	if meeting.Due(now, occ, g.LeadTime) || meeting.Frozen(now, occ) {
		client, err := s.repoClient(ctx, g)
		if err != nil {
			return "", err
		}
		ref := st.upcoming
		if ref == nil || ref.Date != meeting.MeetingDate(occ.Start) {
			found, err := s.findMeetingIssues(ctx, client, g, occ.Start.Add(-g.LeadTime-listSlack))
			if err != nil {
				return "", err
			}
			if mi := found[meeting.MeetingDate(occ.Start)]; mi != nil {
				r := mi.ref
				r.Occ = occ
				ref = &r
				st.upcoming = ref
			}
		}
		if ref != nil {
			fmt.Fprintf(&b, "\nMeeting issue: %s\n", ref.URL)
			owner, name := splitRepo(g.Repo)
			if is, _, err := client.Issues.Get(ctx, owner, name, ref.Number); err == nil {
				if region, err := meeting.AgendaRegion(is.GetBody(), g.ID); err == nil {
					items, haveItems = decodeItems(region)
				}
			}
		}
	}
	if !haveItems {
		sc, err := s.searchClient(ctx, g)
		if err != nil {
			return "", err
		}
		if items, err = s.searchAgenda(ctx, g, sc); err != nil {
			return "", err
		}
	}
	agenda, err := s.renderer.RenderAgenda(g, meeting.NewAgenda(g.Repo, items))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "\n## Agenda\n\n%s\n", strings.TrimRight(agenda, "\n"))
	return b.String(), nil
}

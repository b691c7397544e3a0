package meetingsync

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/secwg/secwg/internal/meeting"
)

// itemsPrefix opens the hidden comment that keeps the agenda's items inside the
// agenda region, so that a label event can recompute the region without a search.
const itemsPrefix = "<!-- secwg:agenda:items "

// storedItem is one agenda item in the hidden comment; the URL is kept only when
// it is not the item's canonical one.
type storedItem struct {
	Number int    `json:"n"`
	Title  string `json:"t"`
	PR     bool   `json:"pr,omitempty"`
	URL    string `json:"u,omitempty"`
}

func canonicalURL(it meeting.Item) string {
	kind := "issues"
	if it.PullRequest {
		kind = "pull"
	}
	return fmt.Sprintf("https://github.com/%s/%s/%d", it.Repo, kind, it.Number)
}

// maxStoredTitle bounds a stored title; rendering cuts titles far shorter.
const maxStoredTitle = 4 * meeting.MaxTitleRunes

func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// encodeItems writes items as the hidden comment. encoding/json escapes <, >
// and &, so no title can close the comment, and @ is escaped too, so that no
// mention appears even in the source.
func encodeItems(a meeting.Agenda) string {
	byRepo := make(map[string][]storedItem, len(a.Repos))
	for _, r := range a.Repos {
		list := make([]storedItem, 0, len(r.Items))
		for _, it := range r.Items {
			si := storedItem{Number: it.Number, Title: cutRunes(it.Title, maxStoredTitle), PR: it.PullRequest}
			if it.URL != canonicalURL(it) {
				si.URL = it.URL
			}
			list = append(list, si)
		}
		byRepo[r.Repo] = list
	}
	data, _ := json.Marshal(byRepo) // maps of plain values always marshal
	return itemsPrefix + strings.ReplaceAll(string(data), "@", `\u0040`) + " -->"
}

// decodeItems reads the hidden comment of a region; ok is false when the region
// has none or it does not parse.
func decodeItems(region string) (items []meeting.Item, ok bool) {
	i := strings.LastIndex(region, itemsPrefix)
	if i < 0 {
		return nil, false
	}
	rest := region[i+len(itemsPrefix):]
	j := strings.Index(rest, " -->")
	if j < 0 {
		return nil, false
	}
	var byRepo map[string][]storedItem
	if err := json.Unmarshal([]byte(rest[:j]), &byRepo); err != nil {
		return nil, false
	}
	repos := make([]string, 0, len(byRepo))
	for r := range byRepo {
		repos = append(repos, r)
	}
	sort.Strings(repos)
	for _, r := range repos {
		for _, si := range byRepo[r] {
			if si.Number <= 0 {
				return nil, false
			}
			it := meeting.Item{Repo: r, Number: si.Number, Title: si.Title, PullRequest: si.PR, URL: si.URL}
			if it.URL == "" {
				it.URL = canonicalURL(it)
			}
			items = append(items, it)
		}
	}
	return items, true
}

// MaxRegionBytes bounds the agenda region. GitHub refuses issue bodies over
// 65,536 characters; the rest of the meeting issue takes a few thousand.
const MaxRegionBytes = 50_000

// regionText renders the inside of the agenda region: the list people read and
// the hidden items behind it. An agenda too long for an issue keeps as many items,
// in agenda order, as fit, and links to the search that lists them all; the next
// sync rebuilds the rest from that search.
func (s *Service) regionText(g *meeting.Group, items []meeting.Item) (string, error) {
	full, err := s.renderRegion(g, items, 0)
	if err != nil || len(full) <= MaxRegionBytes {
		return full, err
	}
	ordered := agendaOrder(meeting.NewAgenda(g.Repo, items))
	lo, hi := 0, len(ordered) // the longest prefix that fits lies in [lo, hi)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		text, err := s.renderRegion(g, ordered[:mid], len(ordered)-mid)
		if err != nil {
			return "", err
		}
		if len(text) <= MaxRegionBytes {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s.renderRegion(g, ordered[:lo], len(ordered)-lo)
}

func (s *Service) renderRegion(g *meeting.Group, items []meeting.Item, left int) (string, error) {
	a := meeting.NewAgenda(g.Repo, items)
	text, err := s.renderer.RenderAgenda(g, a)
	if err != nil {
		return "", err
	}
	text = strings.TrimRight(text, "\n")
	if left > 0 {
		text += fmt.Sprintf("\n\n%d more items are too many for this issue: [see the whole agenda](https://github.com/search?type=issues&q=%s).",
			left, url.QueryEscape(g.AgendaQuery()))
	}
	return text + "\n\n" + encodeItems(a), nil
}

// agendaOrder lists the items as the agenda shows them.
func agendaOrder(a meeting.Agenda) []meeting.Item {
	var out []meeting.Item
	for _, r := range a.Repos {
		out = append(out, r.Items...)
	}
	return out
}

// itemKey identifies an item across events; repositories compare without case.
func itemKey(repo string, number int) string {
	return fmt.Sprintf("%s#%d", strings.ToLower(repo), number)
}

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
// agenda region, so that a label event can recompute the region without a search;
// standingPrefix opens the one that keeps the standing items' search results.
const (
	itemsPrefix    = "<!-- secwg:agenda:items "
	standingPrefix = "<!-- secwg:agenda:standing "
)

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

func storeItem(it meeting.Item) storedItem {
	si := storedItem{Number: it.Number, Title: cutRunes(it.Title, maxStoredTitle), PR: it.PullRequest}
	if it.URL != canonicalURL(it) {
		si.URL = it.URL
	}
	return si
}

// hiddenJSON writes v as a hidden comment. encoding/json escapes <, > and &, so
// no title can close the comment, and @ is escaped too, so that no mention
// appears even in the source.
func hiddenJSON(prefix string, v any) string {
	data, _ := json.Marshal(v) // maps and slices of plain values always marshal
	return prefix + strings.ReplaceAll(string(data), "@", `\u0040`) + " -->"
}

// readHiddenJSON reads the last hidden comment opened by prefix into v.
func readHiddenJSON(region, prefix string, v any) bool {
	i := strings.LastIndex(region, prefix)
	if i < 0 {
		return false
	}
	rest := region[i+len(prefix):]
	j := strings.Index(rest, " -->")
	return j >= 0 && json.Unmarshal([]byte(rest[:j]), v) == nil
}

// encodeItems writes the agenda's items as the hidden comment.
func encodeItems(a meeting.Agenda) string {
	byRepo := make(map[string][]storedItem, len(a.Repos))
	for _, r := range a.Repos {
		list := make([]storedItem, 0, len(r.Items))
		for _, it := range r.Items {
			list = append(list, storeItem(it))
		}
		byRepo[r.Repo] = list
	}
	return hiddenJSON(itemsPrefix, byRepo)
}

// storedResult is one standing search result: results come from any repository.
type storedResult struct {
	Repo string `json:"r"`
	storedItem
}

// encodeStanding writes the standing items' results as a hidden comment, by title.
func encodeStanding(standing []meeting.StandingResults) string {
	byTitle := make(map[string][]storedResult, len(standing))
	for _, s := range standing {
		list := make([]storedResult, 0, len(s.Items))
		for _, it := range s.Items {
			list = append(list, storedResult{Repo: it.Repo, storedItem: storeItem(it)})
		}
		byTitle[s.Title] = list
	}
	return hiddenJSON(standingPrefix, byTitle)
}

// decodeStanding reads the standing items' results back from a region; none
// when it has no such comment.
func decodeStanding(region string) []meeting.StandingResults {
	var byTitle map[string][]storedResult
	if !readHiddenJSON(region, standingPrefix, &byTitle) {
		return nil
	}
	titles := make([]string, 0, len(byTitle))
	for t := range byTitle {
		titles = append(titles, t)
	}
	sort.Strings(titles)
	out := make([]meeting.StandingResults, 0, len(titles))
	for _, t := range titles {
		sr := meeting.StandingResults{Title: t}
		for _, r := range byTitle[t] {
			it := meeting.Item{Repo: r.Repo, Number: r.Number, Title: r.Title, PullRequest: r.PR, URL: r.URL}
			if r.Number <= 0 || !validRepo(r.Repo) {
				continue
			}
			if it.URL == "" {
				it.URL = canonicalURL(it)
			}
			sr.Items = append(sr.Items, it)
		}
		out = append(out, sr)
	}
	return out
}

func validRepo(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(repo, " <>()[]\n")
}

// decodeItems reads the hidden comment of a region; ok is false when the region
// has none or it does not parse.
func decodeItems(region string) (items []meeting.Item, ok bool) {
	var byRepo map[string][]storedItem
	if !readHiddenJSON(region, itemsPrefix, &byRepo) {
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
func (s *Service) regionText(g *meeting.Group, items []meeting.Item, standing []meeting.StandingResults) (string, error) {
	full, err := s.renderRegion(g, items, standing, 0)
	if err != nil || len(full) <= MaxRegionBytes {
		return full, err
	}
	ordered := agendaOrder(meeting.NewAgenda(g.Repo, items))
	lo, hi := 0, len(ordered) // the longest prefix that fits lies in [lo, hi)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		text, err := s.renderRegion(g, ordered[:mid], standing, len(ordered)-mid)
		if err != nil {
			return "", err
		}
		if len(text) <= MaxRegionBytes {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s.renderRegion(g, ordered[:lo], standing, len(ordered)-lo)
}

func (s *Service) renderRegion(g *meeting.Group, items []meeting.Item, standing []meeting.StandingResults, left int) (string, error) {
	a := meeting.NewAgenda(g.Repo, items)
	a.Standing = standing
	text, err := s.renderer.RenderAgenda(g, a)
	if err != nil {
		return "", err
	}
	text = strings.TrimRight(text, "\n")
	if left > 0 {
		text += fmt.Sprintf("\n\n%d more items are too many for this issue: [see the whole agenda](https://github.com/search?type=issues&q=%s).",
			left, url.QueryEscape(g.AgendaQuery()))
	}
	text += "\n\n" + encodeItems(a)
	if len(standing) > 0 {
		text += "\n" + encodeStanding(standing)
	}
	return text, nil
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

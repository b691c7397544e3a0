package meeting

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Item is one open issue or pull request carrying the agenda label.
type Item struct {
	Repo        string // owner/name
	Number      int
	Title       string
	URL         string
	PullRequest bool
}

// searchResponse is the part of a Search API response the agenda reads.
type searchResponse struct {
	TotalCount *int `json:"total_count"`
	Items      []struct {
		Number        int             `json:"number"`
		Title         string          `json:"title"`
		HTMLURL       string          `json:"html_url"`
		RepositoryURL string          `json:"repository_url"`
		PullRequest   json.RawMessage `json:"pull_request"`
	} `json:"items"`
}

// ParseSearchItems reads a Search API response body ({"total_count":…, "items":[…]})
// and returns its items and the total the search reported (len(items) when absent).
func ParseSearchItems(body []byte) ([]Item, int, error) {
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, 0, fmt.Errorf("reading search response: %w", err)
	}
	items := make([]Item, 0, len(r.Items))
	for i, it := range r.Items {
		repo, err := repoFromAPIURL(it.RepositoryURL)
		if err != nil {
			return nil, 0, fmt.Errorf("reading search response: item %d: %w", i, err)
		}
		if it.Number <= 0 {
			return nil, 0, fmt.Errorf("reading search response: item %d: number %d", i, it.Number)
		}
		pr := len(it.PullRequest) > 0 && string(it.PullRequest) != "null"
		items = append(items, Item{Repo: repo, Number: it.Number, Title: it.Title, URL: it.HTMLURL, PullRequest: pr})
	}
	total := len(items)
	if r.TotalCount != nil {
		total = *r.TotalCount
	}
	return items, total, nil
}

// repoFromAPIURL turns https://api.github.com/repos/owner/name into owner/name.
func repoFromAPIURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("repository_url %q: %v", s, err)
	}
	_, rest, ok := strings.Cut(u.Path, "/repos/")
	if !ok || !repoPattern.MatchString(rest) {
		return "", fmt.Errorf("repository_url %q does not name a repository", s)
	}
	return rest, nil
}

// Agenda is the labelled items grouped by repository, and the open results of
// the standing items' searches.
type Agenda struct {
	Repos    []RepoAgenda
	Standing []StandingResults
}

// StandingResults are the open results of one standing item's search.
type StandingResults struct {
	Title string // the standing item's
	Items []Item
}

// searched says whether the standing item titled title had its search run.
func (a Agenda) searched(title string) bool {
	for _, s := range a.Standing {
		if s.Title == title {
			return true
		}
	}
	return false
}

// results are the items listed under the standing item titled title.
func (a Agenda) results(title string) []Item {
	for _, s := range a.Standing {
		if s.Title == title {
			return s.Items
		}
	}
	return nil
}

// RepoAgenda is one repository's items, by number.
type RepoAgenda struct {
	Repo  string
	Items []Item
}

// Len is the number of items on the agenda.
func (a Agenda) Len() int {
	n := 0
	for _, r := range a.Repos {
		n += len(r.Items)
	}
	return n
}

// NewAgenda groups items by repository: home (the group's own repository) first,
// then the others alphabetically ignoring case; items by number, duplicates dropped.
func NewAgenda(home string, items []Item) Agenda {
	byRepo := map[string]*RepoAgenda{}
	seen := map[string]bool{}
	var order []*RepoAgenda
	for _, it := range items {
		key := strings.ToLower(it.Repo)
		id := fmt.Sprintf("%s#%d", key, it.Number)
		if seen[id] {
			continue
		}
		seen[id] = true
		r := byRepo[key]
		if r == nil {
			r = &RepoAgenda{Repo: it.Repo}
			byRepo[key] = r
			order = append(order, r)
		}
		r.Items = append(r.Items, it)
	}
	home = strings.ToLower(home)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := strings.ToLower(order[i].Repo), strings.ToLower(order[j].Repo)
		if (a == home) != (b == home) {
			return a == home
		}
		return a < b
	})
	out := Agenda{Repos: make([]RepoAgenda, len(order))}
	for i, r := range order {
		sort.SliceStable(r.Items, func(a, b int) bool { return r.Items[a].Number < r.Items[b].Number })
		out.Repos[i] = *r
	}
	return out
}

// AgendaQuery is the one Search API query that finds the group's agenda: every
// open issue and pull request carrying the label anywhere in the org.
func (g *Group) AgendaQuery() string {
	return fmt.Sprintf(`is:open label:"%s" org:%s`, g.AgendaLabel, g.Org) // Validate keeps quotes out of labels
}

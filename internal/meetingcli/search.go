package meetingcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/secwg/secwg/internal/meeting"
)

// AgendaSearcher finds the items a Search API query matches.
type AgendaSearcher interface {
	Search(ctx context.Context, query string) ([]meeting.Item, error)
}

// Search limits: GitHub serves at most 1,000 results a query, 100 a page.
const (
	perPage      = 100
	maxPages     = 10
	maxPageBytes = 16 << 20
)

// RESTSearcher searches issues through the GitHub REST API, following the Link
// header page by page.
type RESTSearcher struct {
	BaseURL string // e.g. https://api.github.com
	Token   string // optional for public orgs
	Client  *http.Client
}

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="next"`)

// Search returns every item the query matches.
func (s *RESTSearcher) Search(ctx context.Context, query string) ([]meeting.Item, error) {
	base, err := url.Parse(strings.TrimRight(s.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("GitHub API URL %q: want an http(s) URL", s.BaseURL)
	}
	next := base.String() + "/search/issues?" + url.Values{"q": {query}, "per_page": {fmt.Sprint(perPage)}}.Encode()
	var all []meeting.Item
	for page := 1; next != ""; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("search %q: more than %d pages", query, maxPages)
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != base.Scheme || u.Host != base.Host {
			// The token goes only where BaseURL points.
			return nil, fmt.Errorf("search %q: next page %q is not on %s", query, next, base.Host)
		}
		items, link, err := s.page(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("search %q page %d: %w", query, page, err)
		}
		all = append(all, items...)
		next = ""
		if m := nextLink.FindStringSubmatch(link); m != nil {
			next = m[1]
		}
	}
	return all, nil
}

func (s *RESTSearcher) page(ctx context.Context, u string) ([]meeting.Item, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "secwg")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return nil, "", err
	}
	if len(body) > maxPageBytes {
		return nil, "", errors.New("response too large")
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, "", fmt.Errorf("HTTP %s: %s", resp.Status, msg)
	}
	items, _, err := meeting.ParseSearchItems(body)
	if err != nil {
		return nil, "", err
	}
	return items, resp.Header.Get("Link"), nil
}

package githubtest

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// RepositoryID is the id the fake gives repository fullName ("owner/name"), the same for
// every spelling of its name: GitHub's pagination links and rename redirects name
// repositories by id (/repositories/{id}/...).
func RepositoryID(fullName string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(fullName)))
	return 100_000_000 + int64(h.Sum32()%900_000_000)
}

// repositoryPath splits /repos/{owner}/{repo}/rest into "owner/repo" and "/rest".
func repositoryPath(path string) (fullName, rest string, ok bool) {
	after, ok := strings.CutPrefix(path, "/repos/")
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(after, "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	if len(parts) == 3 {
		rest = "/" + parts[2]
	}
	return parts[0] + "/" + parts[1], rest, true
}

// knowRepository records fullName under its id, so /repositories/{id}/... reaches it.
func (s *Server) knowRepository(fullName string) int64 {
	id := RepositoryID(fullName)
	s.mu.Lock()
	s.repositories[id] = fullName
	s.mu.Unlock()
	return id
}

// RenameRepository makes the fake answer as GitHub does once from was renamed to now:
// a request naming the old name is redirected to /repositories/{id}/..., with 301 for
// GET and HEAD and 307 for other methods, and that path serves the new name's routes.
func (s *Server) RenameRepository(from, to string) {
	s.knowRepository(to)
	s.mu.Lock()
	s.renamed[strings.ToLower(from)] = to
	s.mu.Unlock()
}

// renamedTo is the new name of the repository r names, "" when it was not renamed.
func (s *Server) renamedTo(r *http.Request) string {
	fullName, _, ok := repositoryPath(r.URL.Path)
	if !ok {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renamed[strings.ToLower(fullName)]
}

// redirectRenamed answers a request to a renamed repository as GitHub does.
func (s *Server) redirectRenamed(w http.ResponseWriter, r *http.Request) {
	_, rest, _ := repositoryPath(r.URL.Path)
	to := s.renamedTo(r)
	loc := fmt.Sprintf("%s/repositories/%d%s", s.srv.URL, RepositoryID(to), rest)
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	status, message := http.StatusTemporaryRedirect, "Temporary Redirect"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status, message = http.StatusMovedPermanently, "Moved Permanently"
	}
	w.Header().Set("Location", loc)
	Response{Status: status, Body: map[string]string{
		"message":           message,
		"url":               loc,
		"documentation_url": "https://docs.github.com/v3/#http-redirects",
	}}.write(w)
}

// resolveRepositoryID rewrites /repositories/{id}/rest to /repos/{owner}/{repo}/rest for
// a repository the fake has named in a link or redirect, as GitHub serves both.
func (s *Server) resolveRepositoryID(r *http.Request) {
	after, ok := strings.CutPrefix(r.URL.Path, "/repositories/")
	if !ok {
		return
	}
	idText, rest, _ := strings.Cut(after, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return
	}
	s.mu.Lock()
	fullName, known := s.repositories[id]
	s.mu.Unlock()
	if !known {
		return
	}
	_, rawRest, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/repositories/"), "/")
	if rest != "" {
		rest, rawRest = "/"+rest, "/"+rawRest
	}
	r.URL.Path = "/repos/" + fullName + rest
	r.URL.RawPath = "/repos/" + fullName + rawRest
}

// Paginate cuts a list of total items to the page r asks for (per_page, default 30, at
// most 100; page, from 1) and sets the Link header GitHub sends: prev, next, last and
// first, in /repositories/{id}/... form for a repository's lists. Answer items[lo:hi].
func (s *Server) Paginate(w http.ResponseWriter, r *http.Request, total int) (lo, hi int) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((total+per-1)/per, 1)
	lo, hi = min((page-1)*per, total), min(page*per, total)

	path := r.URL.EscapedPath()
	if fullName, rest, ok := repositoryPath(r.URL.Path); ok {
		_, rawRest, _ := strings.Cut(strings.TrimPrefix(path, "/repos/"), "/")
		_, rawRest, _ = strings.Cut(rawRest, "/")
		if rest != "" {
			rawRest = "/" + rawRest
		}
		path = fmt.Sprintf("/repositories/%d%s", s.knowRepository(fullName), rawRest)
	}
	link := func(n int, rel string) string {
		q.Set("page", strconv.Itoa(n))
		u := url.URL{Path: path, RawQuery: q.Encode()}
		return fmt.Sprintf(`<%s%s>; rel="%s"`, s.srv.URL, u.RequestURI(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return lo, hi
}

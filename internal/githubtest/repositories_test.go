package githubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestPaginateLinksLikeGitHub(t *testing.T) {
	id := RepositoryID("nodejs/security-wg")
	link := func(page int, rel string) string {
		return fmt.Sprintf(`</repositories/%d/issues?page=%d&per_page=3&state=all>; rel="%s"`, id, page, rel)
	}
	tests := []struct {
		page       int
		wantLink   []string
		first, max int // items answered
	}{
		{1, []string{link(2, "next"), link(5, "last")}, 1, 3},
		{2, []string{link(1, "prev"), link(3, "next"), link(5, "last"), link(1, "first")}, 4, 6},
		{5, []string{link(4, "prev"), link(1, "first")}, 13, 13},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("page ", tt.page), func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.Handle("GET /repos/{owner}/{repo}/issues", func(w http.ResponseWriter, r *http.Request) {
				const total = 13
				lo, hi := s.Paginate(w, r, total)
				items := []any{}
				for n := lo + 1; n <= hi; n++ {
					items = append(items, Issue("nodejs/security-wg", n, nil))
				}
				Response{Body: items}.ServeHTTP(w, r)
			})
			client, err := newClientCreator(t, s).NewInstallationClient(7)
			if err != nil {
				t.Fatal(err)
			}
			opts := &github.IssueListByRepoOptions{State: "all", ListOptions: github.ListOptions{Page: tt.page, PerPage: 3}}
			issues, resp, err := client.Issues.ListByRepo(context.Background(), "nodejs", "security-wg", opts)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(resp.Header.Get("Link"), strings.TrimSuffix(s.URL(), "/"), "")
			if want := strings.Join(tt.wantLink, ", "); got != want {
				t.Errorf("Link\n%s\nwant\n%s", got, want)
			}
			if len(issues) == 0 || issues[0].GetNumber() != tt.first || issues[len(issues)-1].GetNumber() != tt.max {
				t.Errorf("answered %d issues from %d", len(issues), issues[0].GetNumber())
			}
			// go-github reads the page numbers from the links.
			if tt.page < 5 && (resp.NextPage != tt.page+1 || resp.LastPage != 5) {
				t.Errorf("next %d, last %d", resp.NextPage, resp.LastPage)
			}
			if tt.page > 1 && (resp.PrevPage != tt.page-1 || resp.FirstPage != 1) {
				t.Errorf("prev %d, first %d", resp.PrevPage, resp.FirstPage)
			}
			rec.requireFailure(t)
		})
	}
}

func TestRepositoryLinksAreServedByTheRepositorysRoutes(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.Handle("GET /repos/{owner}/{repo}/issues", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("repo") != "security-wg" {
			t.Errorf("routed to %s", r.URL.Path)
		}
		lo, hi := s.Paginate(w, r, 40)
		Response{Body: make([]any, hi-lo)}.ServeHTTP(w, r)
	})
	_, _ = call(t, s, "GET", "/repos/nodejs/security-wg/issues", installation7, nil)
	status, _ := call(t, s, "GET", fmt.Sprintf("/repositories/%d/issues?page=2", RepositoryID("nodejs/security-wg")), installation7, nil)
	if status != 200 || s.Count("GET /repos/{owner}/{repo}/issues") != 2 {
		t.Errorf("status %d, %d calls routed", status, s.Count("GET /repos/{owner}/{repo}/issues"))
	}
	if got := s.Requests()[1].Path; !strings.HasPrefix(got, "/repositories/") {
		t.Errorf("recorded path %s, want the path as sent", got)
	}
	rec.requireFailure(t)
}

func TestRenamedRepositoryRedirectsLikeGitHub(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.RenameRepository("nodejs/security-wg-old", "nodejs/security-wg")
	var edited []string
	s.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}", func(w http.ResponseWriter, r *http.Request) {
		Response{Body: Issue(r.PathValue("owner")+"/"+r.PathValue("repo"), 5, map[string]any{"title": "moved"})}.ServeHTTP(w, r)
	})
	s.Handle("PATCH /repos/{owner}/{repo}/issues/{issue_number}", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Title string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		edited = append(edited, r.PathValue("repo")+":"+body.Title)
		Response{Body: Issue("nodejs/security-wg", 5, map[string]any{"title": body.Title})}.ServeHTTP(w, r)
	})
	client, err := newClientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	issue, _, err := client.Issues.Get(ctx, "nodejs", "security-wg-old", 5)
	if err != nil || issue.GetTitle() != "moved" {
		t.Fatalf("get through the redirect: %v, %v", issue, err)
	}
	if _, _, err := client.Issues.Edit(ctx, "nodejs", "security-wg-old", 5, &github.IssueRequest{Title: github.String("new")}); err != nil {
		t.Fatalf("edit through the redirect: %v", err)
	}
	var statuses []string
	for _, r := range s.Requests() {
		if !isAccessTokenRequest(r.Method, r.Path) {
			statuses = append(statuses, fmt.Sprintf("%s %d", r.Method, r.Status))
		}
	}
	if got := strings.Join(statuses, ", "); got != "GET 301, GET 200, PATCH 307, PATCH 200" {
		t.Errorf("answers %s", got)
	}
	if len(edited) != 1 || edited[0] != "security-wg:new" {
		t.Errorf("edits %v; want the body re-sent to the new name", edited)
	}
	rec.requireFailure(t)
}

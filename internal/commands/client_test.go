package commands

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/githubtest"
)

func newRESTClient(t *testing.T, gh *githubtest.Server) Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(githubtest.InstallationToken(1))
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return GitHub(c)
}

func TestRemovingALabelTheItemLacksIsNoError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		fails  bool
	}{
		{"removed", http.StatusOK, false},
		{"not there", http.StatusNotFound, false},
		{"GitHub failing", http.StatusBadGateway, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.ReplyJSON("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", tt.status,
				map[string]any{"message": http.StatusText(tt.status)})
			err := newRESTClient(t, gh).RemoveLabel(context.Background(), "nodejs", "node", 5, "security-wg-agenda")
			if (err != nil) != tt.fails {
				t.Errorf("err = %v, want failure %v", err, tt.fails)
			}
		})
	}
}

func TestListingCommentsAsksForThoseSinceTheCommandAPageAtATime(t *testing.T) {
	gh := githubtest.New(t)
	gh.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("since") != "2026-03-01T10:00:00Z" || q.Get("per_page") != "100" || q.Get("page") != "2" {
			t.Errorf("listed with %s", r.URL.RawQuery)
		}
		next := *r.URL
		q.Set("page", "3")
		next.RawQuery = q.Encode()
		w.Header().Set("Link", `<`+gh.URL()+next.RequestURI()[1:]+`>; rel="next"`)
		githubtest.Response{Body: []map[string]any{
			{"id": 11, "body": "hi", "user": map[string]any{"login": "secwg[bot]", "type": "Bot"}},
			{"id": 12, "body": "yo", "user": map[string]any{"login": "alice", "type": "User"}},
		}}.ServeHTTP(w, r)
	})
	got, next, err := newRESTClient(t, gh).ListComments(context.Background(), "nodejs", "node", 5,
		time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []Comment{{ID: 11, Author: "secwg[bot]", Bot: true, Body: "hi"}, {ID: 12, Author: "alice", Body: "yo"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || next != 3 {
		t.Errorf("got %+v, next %d; want %+v, next 3", got, next, want)
	}
}

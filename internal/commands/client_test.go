package commands

import (
	"context"
	"net/http"
	"net/url"
	"testing"

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
			var body any = map[string]any{"message": http.StatusText(tt.status),
				"documentation_url": "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"}
			if tt.status == http.StatusOK {
				body = []any{} // the labels left
			}
			gh.ReplyJSON("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", tt.status, body)
			err := newRESTClient(t, gh).RemoveLabel(context.Background(), "nodejs", "node", 5, "security-wg-agenda")
			if (err != nil) != tt.fails {
				t.Errorf("err = %v, want failure %v", err, tt.fails)
			}
		})
	}
}

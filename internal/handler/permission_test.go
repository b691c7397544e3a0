package handler

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/githubtest"
)

const (
	permTeamRoute = "GET /orgs/{org}/teams/{team_slug}/memberships/{username}"
	permRepoRoute = "GET /repos/{owner}/{repo}/collaborators/{username}/permission"
)

// permClient is an installation client on the fake GitHub.
func permClient(t *testing.T, gh *githubtest.Server, installation int64) *github.Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(githubtest.InstallationToken(installation))
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// permClock is a clock the test moves by hand.
type permClock struct{ now time.Time }

func (c *permClock) Now() time.Time { return c.now }

func newTestPermissions(ttl time.Duration, limit int) (*Permissions, *permClock) {
	clock := &permClock{now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	p := NewPermissions(ttl, limit)
	p.now = clock.Now
	return p, clock
}

func TestTeamMembershipCountsActiveMembersOnly(t *testing.T) {
	tests := []struct {
		name   string
		answer githubtest.Response
		want   bool
		err    bool
		cached bool
	}{
		{"active", githubtest.Response{Body: githubtest.TeamMembership("nodejs", "security-wg", "alice", "active", "member")}, true, false, true},
		{"maintainer", githubtest.Response{Body: githubtest.TeamMembership("nodejs", "security-wg", "alice", "active", "maintainer")}, true, false, true},
		{"pending invitation", githubtest.Response{Body: githubtest.TeamMembership("nodejs", "security-wg", "alice", "pending", "member")}, false, false, true},
		{"not a member", githubtest.Response{Status: 404, Body: map[string]any{"message": "Not Found"}}, false, false, true},
		{"App lacks members permission", githubtest.Response{Status: 403, Body: map[string]any{"message": "Resource not accessible by integration"}}, false, true, false},
		{"server error", githubtest.Response{Status: 500}, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.Handle(permTeamRoute, tt.answer.ServeHTTP)
			p, _ := newTestPermissions(time.Minute, 10)
			c := p.Checker(permClient(t, gh, 7), 7)
			for i := 0; i < 2; i++ {
				got, err := c.TeamMember(context.Background(), "nodejs", "security-wg", "alice")
				if got != tt.want || (err != nil) != tt.err {
					t.Fatalf("ask %d: member %v, error %v; want %v, error %v", i, got, err, tt.want, tt.err)
				}
			}
			want := 2
			if tt.cached {
				want = 1
			}
			if n := gh.Count(permTeamRoute); n != want {
				t.Errorf("%d calls for two questions, want %d", n, want)
			}
		})
	}
}

func TestRepoPermissionReadsRoleName(t *testing.T) {
	tests := []struct {
		name   string
		answer githubtest.Response
		want   string
	}{
		{"triage, which permission calls read", githubtest.Response{Body: githubtest.CollaboratorPermission("alice", "read", "triage")}, "triage"},
		{"maintain, which permission calls write", githubtest.Response{Body: githubtest.CollaboratorPermission("alice", "write", "maintain")}, "maintain"},
		{"admin", githubtest.Response{Body: githubtest.CollaboratorPermission("alice", "admin", "admin")}, "admin"},
		{"custom role falls back to its base permission", githubtest.Response{Body: githubtest.CollaboratorPermission("alice", "write", "security-manager")}, "write"},
		{"unknown user", githubtest.Response{Status: 404, Body: map[string]any{"message": "Not Found"}}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.Handle(permRepoRoute, tt.answer.ServeHTTP)
			p, _ := newTestPermissions(time.Minute, 10)
			got, err := p.Checker(permClient(t, gh, 7), 7).RepoPermission(context.Background(), "nodejs", "node", "alice")
			if err != nil || got != tt.want {
				t.Errorf("role %q, error %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPermissionsAreRememberedPerInstallationForAFewMinutes(t *testing.T) {
	gh := githubtest.New(t)
	gh.ReplyJSON(permRepoRoute, http.StatusOK, githubtest.CollaboratorPermission("alice", "write", "write"))
	p, clock := newTestPermissions(3*time.Minute, 100)
	ctx := context.Background()
	ask := func(installation int64, user string) {
		t.Helper()
		if _, err := p.Checker(permClient(t, gh, installation), installation).RepoPermission(ctx, "nodejs", "node", user); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name         string
		installation int64
		user         string
		advance      time.Duration
		calls        int
	}{
		{"first question", 7, "alice", 0, 1},
		{"same question", 7, "alice", 0, 1},
		{"login in another case", 7, "ALICE", 0, 1},
		{"another installation asks", 8, "alice", 0, 2},
		{"just before expiry", 7, "alice", 3*time.Minute - time.Second, 2},
		{"after expiry", 7, "alice", time.Second, 3},
	}
	for _, s := range steps {
		clock.now = clock.now.Add(s.advance)
		ask(s.installation, s.user)
		if n := gh.Count(permRepoRoute); n != s.calls {
			t.Errorf("%s: %d calls in all, want %d", s.name, n, s.calls)
		}
	}
}

func TestPermissionCacheIsBounded(t *testing.T) {
	gh := githubtest.New(t)
	gh.ReplyJSON(permRepoRoute, http.StatusOK, githubtest.CollaboratorPermission("alice", "read", "read"))
	p, clock := newTestPermissions(time.Hour, 3)
	c := p.Checker(permClient(t, gh, 7), 7)
	ctx := context.Background()
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		clock.now = clock.now.Add(time.Second)
		if _, err := c.RepoPermission(ctx, "nodejs", "node", u); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Len(); n != 3 {
		t.Errorf("%d answers remembered, limit 3", n)
	}
	before := gh.Count(permRepoRoute)
	_, _ = c.RepoPermission(ctx, "nodejs", "node", "u5")
	_, _ = c.RepoPermission(ctx, "nodejs", "node", "u1")
	if n := gh.Count(permRepoRoute) - before; n != 1 {
		t.Errorf("%d calls; want the newest answer kept and the oldest asked again", n)
	}
}

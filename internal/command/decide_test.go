package command

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// recordingChecker answers from fixed tables and records every call, so
// tests can pin how many API calls a decision costs.
type recordingChecker struct {
	members map[string]bool   // "org/team/user"
	roles   map[string]string // user → role
	teamErr error
	repoErr error
	calls   []string
}

func (c *recordingChecker) TeamMember(_ context.Context, org, team, user string) (bool, error) {
	c.calls = append(c.calls, "team "+org+"/"+team+" "+user)
	if c.teamErr != nil {
		return false, c.teamErr
	}
	return c.members[org+"/"+team+"/"+user], nil
}

func (c *recordingChecker) RepoPermission(_ context.Context, owner, repo, user string) (string, error) {
	c.calls = append(c.calls, "repo "+owner+"/"+repo+" "+user)
	if c.repoErr != nil {
		return "", c.repoErr
	}
	if r, ok := c.roles[user]; ok {
		return r, nil
	}
	return "none", nil
}

func TestDecideRunsTheCheapestSufficientCheckFirst(t *testing.T) {
	wg := TeamRef{Org: "nodejs", Slug: "security-wg"}
	newChecker := func() *recordingChecker {
		return &recordingChecker{
			members: map[string]bool{"nodejs/security-wg/member": true, "nodejs/security-wg/memberwriter": true},
			roles: map[string]string{
				"triager": "triage", "writer": "write", "maintainer": "maintain", "owner": "admin",
				"reader": "read", "memberwriter": "write", "pusher": "push", "odd": "superuser",
			},
		}
	}
	apiDown := errors.New("502 bad gateway")
	tests := []struct {
		name     string
		req      Request
		teamErr  error
		repoErr  error
		allowed  bool
		granted  Permission
		calls    []string
		wantErr  bool
		inReason string
	}{
		{name: "anyone costs no call", req: Request{User: "stranger", Allowed: Anyone}, allowed: true, granted: Anyone},
		{name: "anyone even without a user", req: Request{Allowed: Anyone}, allowed: true, granted: Anyone},
		{
			name:    "team member costs one membership call",
			req:     Request{User: "member", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage},
			allowed: true, granted: Team, calls: []string{"team nodejs/security-wg member"},
		},
		{
			name:    "non-member with triage costs two calls",
			req:     Request{User: "triager", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage},
			allowed: true, granted: Triage,
			calls: []string{"team nodejs/security-wg triager", "repo nodejs/node triager"},
		},
		{
			name:    "higher role satisfies triage",
			req:     Request{User: "owner", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage},
			allowed: true, granted: Triage,
			calls: []string{"team nodejs/security-wg owner", "repo nodejs/node owner"},
		},
		{
			name:     "reader is refused after two calls",
			req:      Request{User: "reader", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage, Command: "/agenda"},
			calls:    []string{"team nodejs/security-wg reader", "repo nodejs/node reader"},
			inReason: "Only members of team nodejs/security-wg or people with triage access or higher on nodejs/node may run /agenda.",
		},
		{
			name:    "pull request author costs no call",
			req:     Request{User: "Contributor", Author: "contributor", Owner: "nodejs", Repo: "node", Allowed: Author | Write},
			allowed: true, granted: Author,
		},
		{
			name:    "writer who is not the author costs one call",
			req:     Request{User: "writer", Author: "contributor", Owner: "nodejs", Repo: "node", Allowed: Author | Write},
			allowed: true, granted: Write, calls: []string{"repo nodejs/node writer"},
		},
		{
			name:    "legacy push role counts as write",
			req:     Request{User: "pusher", Author: "contributor", Owner: "nodejs", Repo: "node", Allowed: Author | Write},
			allowed: true, granted: Write, calls: []string{"repo nodejs/node pusher"},
		},
		{
			name:     "triage does not satisfy write",
			req:      Request{User: "triager", Author: "contributor", Owner: "nodejs", Repo: "node", Allowed: Author | Write, Command: "/recheck"},
			calls:    []string{"repo nodejs/node triager"},
			inReason: "Only the author or people with write access or higher on nodejs/node may run /recheck.",
		},
		{
			name:  "unknown role admits nothing",
			req:   Request{User: "odd", Owner: "nodejs", Repo: "node", Allowed: Triage},
			calls: []string{"repo nodejs/node odd"},
		},
		{
			name: "empty author never matches",
			req:  Request{User: "", Author: "", Owner: "nodejs", Repo: "node", Allowed: Author},
		},
		{
			name:     "team only makes no repository call",
			req:      Request{User: "writer", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team, Command: "/minutes"},
			calls:    []string{"team nodejs/security-wg writer"},
			inReason: "Only members of team nodejs/security-wg may run /minutes.",
		},
		{
			name:     "team without a configured team makes no call",
			req:      Request{User: "member", Owner: "nodejs", Repo: "node", Allowed: Team, Command: "/minutes"},
			inReason: "this group has no team configured",
		},
		{
			name:    "several repository levels cost one call",
			req:     Request{User: "maintainer", Owner: "nodejs", Repo: "node", Allowed: Maintain | Admin},
			allowed: true, granted: Maintain, calls: []string{"repo nodejs/node maintainer"},
		},
		{
			name:    "team error is rescued by the repository permission",
			req:     Request{User: "triager", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage},
			teamErr: apiDown, allowed: true, granted: Triage,
			calls: []string{"team nodejs/security-wg triager", "repo nodejs/node triager"},
		},
		{
			name:    "team error without a rescue is an error, not a refusal",
			req:     Request{User: "reader", Owner: "nodejs", Repo: "node", Team: wg, Allowed: Team | Triage},
			teamErr: apiDown, wantErr: true,
			calls: []string{"team nodejs/security-wg reader", "repo nodejs/node reader"},
		},
		{
			name:    "repository error is an error",
			req:     Request{User: "writer", Owner: "nodejs", Repo: "node", Allowed: Write},
			repoErr: apiDown, wantErr: true, calls: []string{"repo nodejs/node writer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker()
			c.teamErr, c.repoErr = tt.teamErr, tt.repoErr
			d, err := Decide(context.Background(), c, tt.req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if d.Allowed != tt.allowed || d.Granted != tt.granted {
				t.Errorf("decision = %+v, want allowed %v granted %v", d, tt.allowed, tt.granted)
			}
			if strings.Join(c.calls, "; ") != strings.Join(tt.calls, "; ") {
				t.Errorf("calls = %q, want %q", c.calls, tt.calls)
			}
			if !tt.allowed && !tt.wantErr && !strings.Contains(d.Reason, tt.inReason) {
				t.Errorf("reason = %q, want it to contain %q", d.Reason, tt.inReason)
			}
			if !tt.allowed && !tt.wantErr && d.Reason == "" {
				t.Error("a refusal needs a reason")
			}
		})
	}
}

func TestDecideErrorNamesTheFailedCheck(t *testing.T) {
	c := &recordingChecker{repoErr: errors.New("502 bad gateway")}
	_, err := Decide(context.Background(), c, Request{User: "u", Owner: "nodejs", Repo: "node", Allowed: Write})
	if err == nil || !strings.Contains(err.Error(), "nodejs/node") || !strings.Contains(err.Error(), "502") {
		t.Errorf("err = %v, want it to name the repository and the cause", err)
	}
}

func TestParseTeamRef(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"nodejs/security-wg", true},
		{"nodejs", false},
		{"/security-wg", false},
		{"nodejs/", false},
		{"nodejs/a/b", false},
	}
	for _, tt := range tests {
		ref, err := ParseTeamRef(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseTeamRef(%q) = %v, %v; want ok=%v", tt.in, ref, err, tt.ok)
		}
		if err == nil && ref.String() != tt.in {
			t.Errorf("ParseTeamRef(%q).String() = %q", tt.in, ref.String())
		}
	}
}

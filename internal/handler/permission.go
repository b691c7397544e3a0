package handler

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/command"
)

// Defaults for the permission cache: long enough that a burst of commands
// from one person costs one check, short enough that someone removed from a
// team loses their commands within minutes.
const (
	PermissionTTL        = 3 * time.Minute
	PermissionCacheLimit = 10_000
)

// Permissions answers command.Checker through the GitHub API: team membership
// (GET /orgs/{org}/teams/{team_slug}/memberships/{username}, active only) and
// repository role (GET /repos/{owner}/{repo}/collaborators/{username}/permission).
// Each answer is remembered per installation for a few minutes, in a cache of
// bounded size; errors are never remembered. The payload's author_association
// is never consulted: it hides private organization membership.
type Permissions struct {
	ttl   time.Duration
	limit int
	now   func() time.Time

	mu      sync.Mutex
	entries map[permKey]*list.Element
	order   *list.List // of *permEntry, oldest answer first
}

type permKey struct {
	installation int64
	kind         string // "team" or "repo"
	scope        string // org/slug or owner/repo, lower-case
	user         string // lower-case: logins are case-insensitive
}

type permEntry struct {
	key   permKey
	value string
	at    time.Time
}

// NewPermissions remembers answers for ttl, and at most limit of them.
func NewPermissions(ttl time.Duration, limit int) *Permissions {
	return &Permissions{ttl: ttl, limit: max(limit, 1), now: time.Now,
		entries: map[permKey]*list.Element{}, order: list.New()}
}

// Checker is the command.Checker for one installation, asking through client.
func (p *Permissions) Checker(client *github.Client, installationID int64) command.Checker {
	return &apiChecker{perms: p, client: client, installation: installationID}
}

// Len reports how many answers are remembered, expired ones included until
// they are next touched.
func (p *Permissions) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.order.Len()
}

func (p *Permissions) get(k permKey) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el, ok := p.entries[k]
	if !ok {
		return "", false
	}
	e := el.Value.(*permEntry)
	if p.now().Sub(e.at) >= p.ttl {
		p.order.Remove(el)
		delete(p.entries, k)
		return "", false
	}
	return e.value, true
}

func (p *Permissions) put(k permKey, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if el, ok := p.entries[k]; ok {
		e := el.Value.(*permEntry)
		e.value, e.at = value, now
		p.order.MoveToBack(el)
	} else {
		p.entries[k] = p.order.PushBack(&permEntry{key: k, value: value, at: now})
	}
	// The list is in answer order, so expired answers and, past the limit,
	// the oldest ones are all at the front.
	for front := p.order.Front(); front != nil; front = p.order.Front() {
		e := front.Value.(*permEntry)
		if p.order.Len() <= p.limit && now.Sub(e.at) < p.ttl {
			break
		}
		p.order.Remove(front)
		delete(p.entries, e.key)
	}
}

// apiChecker is Permissions bound to one installation's client.
type apiChecker struct {
	perms        *Permissions
	client       *github.Client
	installation int64
}

var _ command.Checker = (*apiChecker)(nil)

const teamMember = "active"

// TeamMember implements command.Checker. A 404 means not a member; a pending
// invitation does not count.
func (c *apiChecker) TeamMember(ctx context.Context, org, team, user string) (bool, error) {
	k := c.key("team", org+"/"+team, user)
	if v, ok := c.perms.get(k); ok {
		return v == teamMember, nil
	}
	m, _, err := c.client.Teams.GetTeamMembershipBySlug(ctx, org, team, user)
	state := ""
	switch {
	case isNotFound(err):
	case err != nil:
		return false, err
	default:
		state = m.GetState()
	}
	c.perms.put(k, state)
	return state == teamMember, nil
}

// collaboratorPermission is GitHub's answer, with the role_name go-github's
// type lacks: it names triage and maintain, which permission folds into
// read and write.
type collaboratorPermission struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
}

// RepoPermission implements command.Checker. A custom repository role's name
// means nothing to command, so its base permission is used instead; a user
// GitHub does not know has "none".
func (c *apiChecker) RepoPermission(ctx context.Context, owner, repo, user string) (string, error) {
	k := c.key("repo", owner+"/"+repo, user)
	if v, ok := c.perms.get(k); ok {
		return v, nil
	}
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission",
		url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(user))
	req, err := c.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	var p collaboratorPermission
	_, err = c.client.Do(ctx, req, &p)
	role := "none"
	switch {
	case isNotFound(err):
	case err != nil:
		return "", err
	default:
		role = knownRole(p)
	}
	c.perms.put(k, role)
	return role, nil
}

func knownRole(p collaboratorPermission) string {
	switch r := strings.ToLower(p.RoleName); r {
	case "admin", "maintain", "write", "triage", "read":
		return r
	}
	if p.Permission == "" {
		return "none"
	}
	return strings.ToLower(p.Permission)
}

func (c *apiChecker) key(kind, scope, user string) permKey {
	return permKey{installation: c.installation, kind: kind, scope: strings.ToLower(scope), user: strings.ToLower(user)}
}

func isNotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

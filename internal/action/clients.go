package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/shurcooL/githubv4"

	"github.com/secwg/secwg/internal/command"
)

// tokenClients is the server's client creator with one token in place of the
// App's installations: every installation id reaches the same token, with the
// same cache, retries, rate-limit back-off and request logs.
type tokenClients struct {
	githubapp.ClientCreator
	token string
}

var _ githubapp.ClientCreator = (*tokenClients)(nil)

func (c *tokenClients) NewAppClient() (*github.Client, error)     { return nil, errNoApp }
func (c *tokenClients) NewAppV4Client() (*githubv4.Client, error) { return nil, errNoApp }

func (c *tokenClients) NewInstallationClient(int64) (*github.Client, error) {
	return c.NewTokenClient(c.token)
}

func (c *tokenClients) NewInstallationV4Client(int64) (*githubv4.Client, error) {
	return c.NewTokenV4Client(c.token)
}

// repoTeamChecker answers team membership from the workflow's repository: the
// workflow token has no organisation members permission, so the team API can
// never answer it. A user with write access or higher on the workflow's
// repository counts as a member of the group's team; every other grant is
// checked as the server checks it.
type repoTeamChecker struct {
	command.Checker
	owner, repo string
}

// TeamMember implements command.Checker. The answer is the repository
// permission the checker already caches, so a command allowed to the team or
// to triage costs one call.
func (c *repoTeamChecker) TeamMember(ctx context.Context, org, team, user string) (bool, error) {
	role, err := c.RepoPermission(ctx, c.owner, c.repo, user)
	if err != nil {
		return false, fmt.Errorf("team %s/%s is judged by permission on %s/%s with the workflow token: %w", org, team, c.owner, c.repo, err)
	}
	switch strings.ToLower(role) {
	case "admin", "maintain", "write", "push":
		return true, nil
	}
	return false, nil
}

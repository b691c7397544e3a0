package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Checker asks GitHub who a user is. Handlers implement it over the REST API
// (with a short-lived cache); the payload's author_association is never used,
// because it hides private organization membership.
type Checker interface {
	// TeamMember reports whether user is an active member of org/team.
	TeamMember(ctx context.Context, org, team, user string) (bool, error)
	// RepoPermission returns the user's role on the repository as GitHub
	// names it: "admin", "maintain", "write", "triage", "read" or "none".
	RepoPermission(ctx context.Context, owner, repo, user string) (string, error)
}

// TeamRef names a team as org/slug.
type TeamRef struct {
	Org, Slug string
}

// ParseTeamRef reads "org/slug".
func ParseTeamRef(s string) (TeamRef, error) {
	org, slug, ok := strings.Cut(s, "/")
	if !ok || org == "" || slug == "" || strings.Contains(slug, "/") {
		return TeamRef{}, fmt.Errorf("team %q must be written org/slug", s)
	}
	return TeamRef{Org: org, Slug: slug}, nil
}

// IsZero reports whether no team is configured.
func (t TeamRef) IsZero() bool { return t.Org == "" || t.Slug == "" }

func (t TeamRef) String() string { return t.Org + "/" + t.Slug }

// Request is one user asking to run one command.
type Request struct {
	// User is the login of the comment's author.
	User string
	// Owner and Repo name the repository the comment is in.
	Owner, Repo string
	// Author is the login of the or pull request's author, for the
	// Author grant; empty when unknown.
	Author string
	// Team is the group's team; zero when the group has none.
	Team TeamRef
	// Allowed is who may run the command, usually Overrides.For(kind).
	Allowed Permission
	// Command names the command in refusals, e.g. "/agenda".
	Command string
}

// Decision is whether a request may run.
type Decision struct {
	Allowed bool
	// Granted is the grant that let the user in; zero when refused.
	Granted Permission
	// Reason is one sentence for the reply when refused.
	Reason string
}

// String is the decision as the audit log records it.
func (d Decision) String() string {
	if d.Allowed {
		return "allowed (" + d.Granted.String() + ")"
	}
	return "refused"
}

// Decide checks the grants in r.Allowed from cheapest to dearest and stops at
// the first that admits the user: anyone and the author cost no API call,
// then one team-membership call, then one repository-permission call for all
// the repository levels together. A team member therefore costs one call
// and a non-member with triage two.
//
// An API error does not refuse on its own: a later grant may still admit the
// user. Only when none does is the first error returned, so the handler
// reports a failure rather than a refusal it cannot be sure of.
func Decide(ctx context.Context, c Checker, r Request) (Decision, error) {
	if r.Allowed&Anyone != 0 {
		return Decision{Allowed: true, Granted: Anyone}, nil
	}
	if r.User == "" {
		return refuse(r), nil
	}
	if r.Allowed&Author != 0 && r.Author != "" && strings.EqualFold(r.User, r.Author) {
		return Decision{Allowed: true, Granted: Author}, nil
	}
	var errs []error
	if r.Allowed&Team != 0 && !r.Team.IsZero() {
		ok, err := c.TeamMember(ctx, r.Team.Org, r.Team.Slug, r.User)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("checking %s's membership of team %s: %w", r.User, r.Team, err))
		case ok:
			return Decision{Allowed: true, Granted: Team}, nil
		}
	}
	if need := r.Allowed.minRepoLevel(); need != 0 {
		role, err := c.RepoPermission(ctx, r.Owner, r.Repo, r.User)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("checking %s's permission on %s/%s: %w", r.User, r.Owner, r.Repo, err))
		default:
			if have := roleLevel(role); have >= need {
				return Decision{Allowed: true, Granted: need}, nil
			}
		}
	}
	if len(errs) > 0 {
		return Decision{}, errors.Join(errs...)
	}
	return refuse(r), nil
}

// roleLevel maps a GitHub role name to its repository level; "read", "none"
// and names it does not know admit nothing. "push" and "pull" are the
// older names some endpoints still return.
func roleLevel(role string) Permission {
	switch strings.ToLower(role) {
	case "admin":
		return Admin
	case "maintain":
		return Maintain
	case "write", "push":
		return Write
	case "triage":
		return Triage
	}
	return 0
}

func refuse(r Request) Decision {
	cmd := r.Command
	if cmd == "" {
		cmd = "this command"
	}
	who := r.Allowed.Describe()
	if r.Allowed&Team != 0 && !r.Team.IsZero() {
		who = strings.Replace(who, "members of the group's team", "members of team "+r.Team.String(), 1)
	}
	where := ""
	if r.Allowed&repoLevels != 0 && r.Owner != "" {
		where = " on " + r.Owner + "/" + r.Repo
	}
	reason := fmt.Sprintf("Only %s%s may run %s.", who, where, cmd)
	switch {
	case r.Allowed == 0:
		reason = fmt.Sprintf("No one may run %s here.", cmd)
	case r.Allowed == Team && r.Team.IsZero():
		reason = fmt.Sprintf("Only team members may run %s, and this group has no team configured.", cmd)
	}
	return Decision{Reason: reason}
}

package command_test

import (
	"context"
	"fmt"

	"github.com/secwg/secwg/internal/command"
)

// orgChecker stands in for the handler's cached GitHub client.
type orgChecker struct{}

func (orgChecker) TeamMember(_ context.Context, org, team, user string) (bool, error) {
	return user == "alice", nil
}

func (orgChecker) RepoPermission(_ context.Context, owner, repo, user string) (string, error) {
	return "read", nil
}

// The issue_comment handler in a few lines: parse, check the place and the
// permission, run, then post at most one reply and one reaction.
func Example() {
	body := "Discussed offline.\n\n/agenda security-wg\n/minutes\n"
	var outcomes []command.Outcome
	for _, c := range command.Parse(body) {
		if c.Err != nil {
			outcomes = append(outcomes, command.ArgumentFailure(c))
			continue
		}
		if err := c.CheckPlace(command.Issue); err != nil {
			outcomes = append(outcomes, command.Failure(c, err.Error()+".", nil))
			continue
		}
		d, err := command.Decide(context.Background(), orgChecker{}, command.Request{
			User: "bob", Owner: "nodejs", Repo: "node", Author: "carol",
			Team:    command.TeamRef{Org: "nodejs", Slug: "security-wg"},
			Allowed: command.Overrides(nil).For(c.Kind),
			Command: c.Spec().Invocation(),
		})
		switch {
		case err != nil:
			outcomes = append(outcomes, command.Failure(c, "Permissions could not be checked.", err))
		case !d.Allowed:
			outcomes = append(outcomes, command.Refusal(c, d))
		default:
			outcomes = append(outcomes, command.Success(c, "")) // run it here
		}
	}
	fmt.Println(command.ReactionFor(outcomes))
	fmt.Print(command.Reply(1234, outcomes))
	// Output:
	// confused
	// <!-- secwg:reply comment=1234 -->
	//
	// > \/agenda security\-wg
	//
	// Only members of team nodejs\/security\-wg or people with triage access or higher on nodejs\/node may run \/agenda\.
	//
	// ---
	//
	// > \/minutes
	//
	// \/minutes works only on a meeting issue\.
	//
	// <sub>Comment `/help` for the commands and who may use them.</sub>
}

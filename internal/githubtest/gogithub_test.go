package githubtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// TestGoGitHubRequestsMatchGitHubDescription drives the go-github calls secwg's handlers are
// built from through go-githubapp's clients and checks each reaches the intended operation
// of GitHub's description and passes its validation. It pins that the fake neither misroutes
// nor falsely fails correct client code.
func TestGoGitHubRequestsMatchGitHubDescription(t *testing.T) {
	sp := githubSpec(t)
	ptr := github.String
	when := &github.Timestamp{Time: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)}
	tests := []struct {
		op   string // operationId the request must reach
		app  bool   // call with the App's JWT rather than an installation token
		call func(ctx context.Context, c *github.Client) error
	}{
		{"apps/get-authenticated", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.Get(ctx, "")
			return err
		}},
		{"apps/list-installations", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.ListInstallations(ctx, &github.ListOptions{PerPage: 100})
			return err
		}},
		{"apps/get-installation", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.GetInstallation(ctx, 7)
			return err
		}},
		{"apps/get-repo-installation", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.FindRepositoryInstallation(ctx, "nodejs", "security-wg")
			return err
		}},
		{"apps/get-org-installation", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.FindOrganizationInstallation(ctx, "nodejs")
			return err
		}},
		{"apps/list-webhook-deliveries", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.ListHookDeliveries(ctx, &github.ListCursorOptions{PerPage: 50})
			return err
		}},
		{"apps/redeliver-webhook-delivery", true, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.RedeliverHookDelivery(ctx, 123)
			return err
		}},
		{"apps/list-repos-accessible-to-installation", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Apps.ListRepos(ctx, &github.ListOptions{PerPage: 100})
			return err
		}},
		{"rate-limit/get", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.RateLimit.Get(ctx)
			return err
		}},
		{"orgs/check-membership-for-user", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Organizations.IsMember(ctx, "nodejs", "octocat")
			return err
		}},
		{"teams/get-membership-for-user-in-org", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "nodejs", "security-wg", "octocat")
			return err
		}},
		{"repos/get-collaborator-permission-level", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Repositories.GetPermissionLevel(ctx, "nodejs", "security-wg", "octocat")
			return err
		}},
		{"repos/get-content", false, func(ctx context.Context, c *github.Client) error {
			_, _, _, err := c.Repositories.GetContents(ctx, "nodejs", "security-wg", "meetings/2024-01-01.md",
				&github.RepositoryContentGetOptions{Ref: "main"})
			return err
		}},
		{"repos/create-or-update-file-contents", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Repositories.CreateFile(ctx, "nodejs", "security-wg", "meetings/2024-01-01.md",
				&github.RepositoryContentFileOptions{Message: ptr("Add minutes"), Content: []byte("# Minutes"), Branch: ptr("main")})
			return err
		}},
		{"repos/compare-commits-with-basehead", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Repositories.CompareCommits(ctx, "nodejs", "security-wg", "main", "feature", nil)
			return err
		}},
		{"checks/create", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Checks.CreateCheckRun(ctx, "nodejs", "security-wg", github.CreateCheckRunOptions{
				Name: "threat-model", HeadSHA: "abc123", Status: ptr("completed"), Conclusion: ptr("failure"),
				CompletedAt: when,
				Output: &github.CheckRunOutput{Title: ptr("2 findings"), Summary: ptr("…"), Annotations: []*github.CheckRunAnnotation{{
					Path: ptr("threat-model.md"), StartLine: github.Int(3), EndLine: github.Int(3),
					AnnotationLevel: ptr("failure"), Message: ptr("threat T1 has no mitigation"),
				}}},
			})
			return err
		}},
		{"checks/create", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Checks.CreateCheckRun(ctx, "nodejs", "security-wg", github.CreateCheckRunOptions{
				Name: "threat-model", HeadSHA: "abc123",
			})
			return err
		}},
		{"checks/update", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Checks.UpdateCheckRun(ctx, "nodejs", "security-wg", 5, github.UpdateCheckRunOptions{
				Name: "threat-model", Status: ptr("completed"), Conclusion: ptr("success"),
			})
			return err
		}},
		{"checks/list-for-ref", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Checks.ListCheckRunsForRef(ctx, "nodejs", "security-wg", "heads/main",
				&github.ListCheckRunsOptions{CheckName: ptr("threat-model"), AppID: github.Int64(AppID)})
			return err
		}},
		{"checks/get-suite", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Checks.GetCheckSuite(ctx, "nodejs", "security-wg", 9)
			return err
		}},
		{"git/get-ref", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.GetRef(ctx, "nodejs", "security-wg", "heads/main")
			return err
		}},
		{"git/create-ref", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.CreateRef(ctx, "nodejs", "security-wg", &github.Reference{
				Ref: ptr("refs/heads/minutes-2024-01-01"), Object: &github.GitObject{SHA: ptr("abc123")}})
			return err
		}},
		{"git/update-ref", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.UpdateRef(ctx, "nodejs", "security-wg", &github.Reference{
				Ref: ptr("refs/heads/minutes/2024-01-01"), Object: &github.GitObject{SHA: ptr("def456")}}, false)
			return err
		}},
		{"git/create-blob", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.CreateBlob(ctx, "nodejs", "security-wg", &github.Blob{Content: ptr("# Minutes"), Encoding: ptr("utf-8")})
			return err
		}},
		{"git/create-tree", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.CreateTree(ctx, "nodejs", "security-wg", "abc123", []*github.TreeEntry{{
				Path: ptr("meetings/2024-01-01.md"), Mode: ptr("100644"), Type: ptr("blob"), Content: ptr("# Minutes")}})
			return err
		}},
		{"git/create-commit", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.CreateCommit(ctx, "nodejs", "security-wg", &github.Commit{
				Message: ptr("Add minutes"), Tree: &github.Tree{SHA: ptr("abc123")}, Parents: []*github.Commit{{SHA: ptr("def456")}}}, nil)
			return err
		}},
		{"git/get-tree", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Git.GetTree(ctx, "nodejs", "security-wg", "abc123", true)
			return err
		}},
		{"issues/list-for-repo", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.ListByRepo(ctx, "nodejs", "security-wg", &github.IssueListByRepoOptions{
				State: "open", Labels: []string{"security-wg-agenda"}, Sort: "created", Direction: "asc",
				ListOptions: github.ListOptions{PerPage: 100}})
			return err
		}},
		{"issues/create", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.Create(ctx, "nodejs", "security-wg", &github.IssueRequest{
				Title: ptr("Node.js Security WG meeting 2024-01-01"), Body: ptr("agenda"), Labels: &[]string{"security-wg-meeting"}})
			return err
		}},
		{"issues/update", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.Edit(ctx, "nodejs", "security-wg", 12, &github.IssueRequest{Body: ptr("agenda"), State: ptr("closed")})
			return err
		}},
		{"issues/create-comment", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.CreateComment(ctx, "nodejs", "security-wg", 12, &github.IssueComment{Body: ptr("> /agenda\n\nAdded.")})
			return err
		}},
		{"issues/update-comment", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.EditComment(ctx, "nodejs", "security-wg", 99, &github.IssueComment{Body: ptr("edited")})
			return err
		}},
		{"issues/delete-comment", false, func(ctx context.Context, c *github.Client) error {
			_, err := c.Issues.DeleteComment(ctx, "nodejs", "security-wg", 99)
			return err
		}},
		{"issues/list-comments", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.ListComments(ctx, "nodejs", "security-wg", 12, &github.IssueListCommentsOptions{
				ListOptions: github.ListOptions{PerPage: 100}})
			return err
		}},
		{"issues/add-labels", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.AddLabelsToIssue(ctx, "nodejs", "security-wg", 12, []string{"security-wg-agenda"})
			return err
		}},
		{"issues/set-labels", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.ReplaceLabelsForIssue(ctx, "nodejs", "security-wg", 12, []string{})
			return err
		}},
		{"issues/remove-label", false, func(ctx context.Context, c *github.Client) error {
			_, err := c.Issues.RemoveLabelForIssue(ctx, "nodejs", "security-wg", 12, "security-wg-agenda")
			return err
		}},
		{"issues/create-label", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.CreateLabel(ctx, "nodejs", "security-wg", &github.Label{
				Name: ptr("security-wg-agenda"), Color: ptr("5319e7"), Description: ptr("On the next meeting's agenda")})
			return err
		}},
		{"issues/get-label", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Issues.GetLabel(ctx, "nodejs", "security-wg", "security-wg-agenda")
			return err
		}},
		{"reactions/create-for-issue-comment", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Reactions.CreateIssueCommentReaction(ctx, "nodejs", "security-wg", 99, "+1")
			return err
		}},
		{"reactions/create-for-issue", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Reactions.CreateIssueReaction(ctx, "nodejs", "security-wg", 12, "eyes")
			return err
		}},
		{"pulls/list-files", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.PullRequests.ListFiles(ctx, "nodejs", "security-wg", 3, &github.ListOptions{PerPage: 100})
			return err
		}},
		{"pulls/create", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.PullRequests.Create(ctx, "nodejs", "security-wg", &github.NewPullRequest{
				Title: ptr("Minutes 2024-01-01"), Head: ptr("minutes-2024-01-01"), Base: ptr("main"), Body: ptr("minutes")})
			return err
		}},
		{"pulls/create-review", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.PullRequests.CreateReview(ctx, "nodejs", "security-wg", 3, &github.PullRequestReviewRequest{
				Body: ptr("threat model lacks mitigations"), Event: ptr("COMMENT")})
			return err
		}},
		{"search/issues-and-pull-requests", false, func(ctx context.Context, c *github.Client) error {
			_, _, err := c.Search.Issues(ctx, "repo:nodejs/security-wg label:security-wg-agenda is:open",
				&github.SearchOptions{Sort: "created", Order: "asc", ListOptions: github.ListOptions{PerPage: 100}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			s := newServer(rec, sp)
			// Answer anything with a status no operation declares, so the answer is not
			// validated: this test is about the requests.
			s.Handle("/", func(w http.ResponseWriter, r *http.Request) {
				Response{Status: http.StatusTeapot, Body: "{}"}.ServeHTTP(w, r)
			})
			cc := newClientCreator(t, s)
			var (
				client *github.Client
				err    error
			)
			if tt.app {
				client, err = cc.NewAppClient()
			} else {
				client, err = cc.NewInstallationClient(7)
			}
			if err != nil {
				t.Fatal(err)
			}
			_ = tt.call(context.Background(), client) // every reply is an error; irrelevant here
			rec.requireFailure(t)

			var ops []string
			for _, r := range s.Requests() {
				if isAccessTokenRequest(r.Method, r.Path) {
					continue
				}
				op, _, err := sp.find(r.Method, r.RawPath)
				if err != nil {
					t.Fatal(err)
				}
				ops = append(ops, op.route.Operation.OperationID)
			}
			if len(ops) != 1 || ops[0] != tt.op {
				t.Errorf("requests reached %v, want [%s]", ops, tt.op)
			}
		})
	}
}

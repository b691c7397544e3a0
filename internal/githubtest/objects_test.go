package githubtest

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestObjectsMatchGitHubSchemas keeps the objects answers are built from valid against the
// schemas of GitHub's description, so a test that sets a few fields over one still sends
// everything GitHub's answer carries.
func TestObjectsMatchGitHubSchemas(t *testing.T) {
	sp := githubSpec(t)
	const repo = "nodejs/security-wg"
	tests := []struct {
		schema string
		object any
	}{
		{"simple-user", User("mallory")},
		{"simple-user", User(AppSlug + "[bot]")},
		{"simple-user", Organization("nodejs")},
		{"label", Label("security-wg-agenda")},
		{"issue", Issue(repo, 5, map[string]any{"title": "t", "user": User("alice"), "labels": Labels("a", "b")})},
		{"issue", Issue(repo, 6, map[string]any{"title": "t", "user": User("alice"), "pull_request": PullRequestLink(repo, 6)})},
		{"issue-search-result-item", SearchItem(Issue(repo, 5, map[string]any{"title": "t", "user": User("alice")}))},
		{"issue-comment", IssueComment(repo, 5, BigID+1, "alice", "/help")},
		{"reaction", Reaction(BigID+2, "eyes", AppSlug+"[bot]")},
		{"integration", App(AppID, AppSlug)},
		{"check-run", CheckRun(BigID+3, map[string]any{"name": "threat-model", "head_sha": "head", "status": "completed", "conclusion": "success"})},
		{"check-run", CheckRun(BigID+4, map[string]any{"name": "threat-model", "head_sha": "head", "status": "in_progress"})},
		{"installation", Installation(7, "nodejs")},
		{"full-repository", Repository(repo, nil)},
		{"repository", RepositorySummary(repo)},
		{"pull-request-review", PullRequestReview(repo, 9, BigID+5, AppSlug+"[bot]", "COMMENTED", "head", "Suggestions")},
		{"repository-collaborator-permission", CollaboratorPermission("alice", "write", "maintain")},
		{"team-membership", TeamMembership("nodejs", "security-wg", "alice", "active", "member")},
		{"pull-request", PullRequest(repo, 9, "head", "base", nil)},
		{"diff-entry", PullRequestFile("threats/http.md", "added", 3, 0, "@@ -0,0 +1,3 @@")},
		{"diff-entry", PullRequestFile("logo.png", "added", 0, 0, "")},
		{"content-file", ContentFile(repo, "meetings/2024-01-01.md", []byte("# Minutes"))},
		{"git-ref", GitRef(repo, "heads/main", "c0")},
		{"git-commit", GitCommit(repo, "c1", "tree1", "c0")},
		{"git-tree", GitTree(repo, "tree1", []any{TreeEntry(repo, "threats/http.md", 12)})},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			ref, ok := sp.doc.Components.Schemas[tt.schema]
			if !ok {
				t.Fatalf("no schema %q in %s", tt.schema, sp.source)
			}
			if err := ref.Value.VisitJSON(asJSON(t, tt.object), openapi3.MultiErrors()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestObjectsGiveIDsPast32Bits(t *testing.T) {
	for name, id := range map[string]any{
		"issue":       Issue("o/r", 1, nil)["id"],
		"check run":   CheckRun(BigID+1, nil)["id"],
		"comment":     IssueComment("o/r", 1, BigID+1, "a", "b")["id"],
		"pull number": PullRequest("o/r", 1, "h", "b", nil)["id"],
	} {
		if v, ok := id.(int64); !ok || v <= 1<<32 {
			t.Errorf("%s id %v, want past 2^32", name, id)
		}
	}
}

// asJSON gives v as JSON decodes it, the form schemas validate.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

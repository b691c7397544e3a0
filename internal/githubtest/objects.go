package githubtest

import (
	"crypto/sha1"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// The objects below start from the examples in GitHub's OpenAPI description
// (testdata/github-examples.json, MIT, see testdata/LICENSE-github-rest-api-description),
// so an answer built from them carries every field GitHub's schemas require; a test sets
// only the fields its code reads. TestObjectsMatchGitHubSchemas keeps them valid.

//go:embed testdata/github-examples.json
var examplesJSON []byte

var examples = sync.OnceValue(func() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(examplesJSON, &m); err != nil {
		panic("githubtest: testdata/github-examples.json: " + err.Error())
	}
	return m
})

// BigID is added to the ids the fake hands out: GitHub's check-run, comment and issue ids
// are past 2^31, so code that squeezes them into 32 bits fails against the fake too.
const BigID int64 = 1 << 33

// Object returns a fresh copy of GitHub's example of a schema (e.g. "issue",
// "check-run", "simple-user") with fields set over its top level.
func Object(schema string, fields map[string]any) map[string]any {
	raw, ok := examples()[schema]
	if !ok {
		panic(fmt.Sprintf("githubtest: no example of %q", schema))
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		panic(fmt.Sprintf("githubtest: example of %q: %v", schema, err))
	}
	for k, v := range fields {
		obj[k] = v
	}
	return obj
}

// SHA is a 40-hex-digit object id derived from seed, so tests can name commits
// ("head", "base") and still send ids of GitHub's shape.
func SHA(seed string) string {
	if len(seed) == 40 && strings.Trim(strings.ToLower(seed), "0123456789abcdef") == "" {
		return seed
	}
	sum := sha1.Sum([]byte(seed))
	return hex.EncodeToString(sum[:])
}

func apiURL(format string, args ...any) string {
	return "https://api.github.com/" + fmt.Sprintf(format, args...)
}

// User is the simple-user GitHub embeds in issues and comments; a login ending in [bot]
// is an App's bot account.
func User(login string) map[string]any {
	sum := sha1.Sum([]byte(login))
	id := int64(sum[0])<<16 | int64(sum[1])<<8 | int64(sum[2]) + 1
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return Object("simple-user", map[string]any{
		"login":    login,
		"id":       id,
		"type":     typ,
		"url":      apiURL("users/%s", login),
		"html_url": "https://github.com/" + login,
	})
}

// Organization is an organisation account as installations and repositories name it.
func Organization(login string) map[string]any {
	u := User(login)
	u["type"] = "Organization"
	u["url"] = apiURL("orgs/%s", login)
	return u
}

// Label is a label named name.
func Label(name string) map[string]any {
	return Object("label", map[string]any{"name": name, "url": apiURL("labels/%s", name)})
}

// Labels turns names into labels.
func Labels(names ...string) []any {
	out := make([]any, 0, len(names))
	for _, n := range names {
		out = append(out, Label(n))
	}
	return out
}

// Issue is issue number of repo ("owner/name") with fields set over it; its id is past 2^31.
func Issue(repo string, number int, fields map[string]any) map[string]any {
	base := map[string]any{
		"id":             BigID + int64(number),
		"number":         number,
		"url":            apiURL("repos/%s/issues/%d", repo, number),
		"html_url":       fmt.Sprintf("https://github.com/%s/issues/%d", repo, number),
		"repository_url": apiURL("repos/%s", repo),
		"comments_url":   apiURL("repos/%s/issues/%d/comments", repo, number),
		"labels":         []any{},
		"assignee":       nil,
		"assignees":      []any{},
		"milestone":      nil,
		"pull_request":   nil,
		"closed_at":      nil,
		"closed_by":      nil,
		"comments":       0,
		"state":          "open",
		"state_reason":   nil,
		"locked":         false,
	}
	for k, v := range fields {
		base[k] = v
	}
	obj := Object("issue", base)
	delete(obj, "repository") // the example embeds one; list answers do not
	if base["pull_request"] == nil {
		delete(obj, "pull_request")
	}
	return obj
}

// PullRequestLink is the pull_request member of an issue that is a pull request.
func PullRequestLink(repo string, number int) map[string]any {
	return map[string]any{
		"url":       apiURL("repos/%s/pulls/%d", repo, number),
		"html_url":  fmt.Sprintf("https://github.com/%s/pull/%d", repo, number),
		"diff_url":  fmt.Sprintf("https://github.com/%s/pull/%d.diff", repo, number),
		"patch_url": fmt.Sprintf("https://github.com/%s/pull/%d.patch", repo, number),
		"merged_at": nil,
	}
}

// IssueComment is comment id on issue number of repo, written by login.
func IssueComment(repo string, number int, id int64, login, body string) map[string]any {
	return Object("issue-comment", map[string]any{
		"id":        id,
		"node_id":   fmt.Sprintf("IC_%d", id),
		"body":      body,
		"user":      User(login),
		"url":       apiURL("repos/%s/issues/comments/%d", repo, id),
		"html_url":  fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", repo, number, id),
		"issue_url": apiURL("repos/%s/issues/%d", repo, number),
	})
}

// Reaction is a reaction of content by login.
func Reaction(id int64, content, login string) map[string]any {
	return Object("reaction", map[string]any{"id": id, "content": content, "user": User(login)})
}

// App is a GitHub App (the integration schema) with id and slug.
func App(id int64, slug string) map[string]any {
	return Object("integration", map[string]any{
		"id": id, "slug": slug, "name": slug,
		"html_url": "https://github.com/apps/" + slug,
		"owner":    Organization("nodejs"),
	})
}

// ManifestConversion is GitHub's answer to an App manifest conversion: the new App with
// its credentials.
func ManifestConversion(id int64, slug, webhookSecret, pem string) map[string]any {
	return Object("app-manifest-conversion", map[string]any{
		"id": id, "slug": slug, "name": slug,
		"html_url":       "https://github.com/apps/" + slug,
		"owner":          Organization("nodejs"),
		"webhook_secret": webhookSecret, "pem": pem,
	})
}

// CheckRun is check run id with fields set over it, created by the fake App unless
// fields name another "app".
func CheckRun(id int64, fields map[string]any) map[string]any {
	base := map[string]any{
		"id":            id,
		"node_id":       fmt.Sprintf("CR_%d", id),
		"app":           App(AppID, AppSlug),
		"pull_requests": []any{},
		"conclusion":    nil,
		"completed_at":  nil,
		"external_id":   "",
		"output": map[string]any{"title": nil, "summary": nil, "text": nil, "annotations_count": 0,
			"annotations_url": apiURL("check-runs/%d/annotations", id)},
		"url":      apiURL("check-runs/%d", id),
		"html_url": fmt.Sprintf("https://github.com/runs/%d", id),
	}
	for k, v := range fields {
		base[k] = v
	}
	if sha, ok := base["head_sha"].(string); ok {
		base["head_sha"] = SHA(sha)
	}
	return Object("check-run", base)
}

// CheckRunList is the answer to a check-run listing.
func CheckRunList(runs []any) map[string]any {
	if runs == nil {
		runs = []any{}
	}
	return map[string]any{"total_count": len(runs), "check_runs": runs}
}

// Installation is installation id of account (an organisation login) for the fake App.
func Installation(id int64, account string) map[string]any {
	return Object("installation", map[string]any{
		"id":                id,
		"account":           Organization(account),
		"app_id":            AppID,
		"app_slug":          AppSlug,
		"target_type":       "Organization",
		"access_tokens_url": apiURL("app/installations/%d/access_tokens", id),
		"html_url":          fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", account, id),
	})
}

// Repository is the full repository fullName ("owner/name") with fields set over it.
func Repository(fullName string, fields map[string]any) map[string]any {
	owner, name, _ := strings.Cut(fullName, "/")
	base := map[string]any{
		"id":             RepositoryID(fullName),
		"full_name":      fullName,
		"name":           name,
		"owner":          Organization(owner),
		"default_branch": "main",
		"language":       nil, // required, but missing from GitHub's example
		"url":            apiURL("repos/%s", fullName),
		"html_url":       "https://github.com/" + fullName,
	}
	for k, v := range fields {
		base[k] = v
	}
	return Object("full-repository", base)
}

// RepositorySummary is repository fullName as lists of repositories carry it (GitHub's
// repository schema, lighter than Repository's full-repository).
func RepositorySummary(fullName string) map[string]any {
	owner, name, _ := strings.Cut(fullName, "/")
	return Object("repository", map[string]any{
		"id": RepositoryID(fullName), "full_name": fullName, "name": name,
		"owner":    Organization(owner),
		"url":      apiURL("repos/%s", fullName),
		"html_url": "https://github.com/" + fullName,
	})
}

// PullRequestReview is review id of pull request number of repo, written by login.
func PullRequestReview(repo string, number int, id int64, login, state, commitID, body string) map[string]any {
	return Object("pull-request-review", map[string]any{
		"id": id, "node_id": fmt.Sprintf("PRR_%d", id), "user": User(login), "state": state,
		"commit_id": SHA(commitID), "body": body,
		"html_url":         fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%d", repo, number, id),
		"pull_request_url": apiURL("repos/%s/pulls/%d", repo, number),
	})
}

// CollaboratorPermission answers a collaborator-permission read for login.
func CollaboratorPermission(login, permission, roleName string) map[string]any {
	user := User(login)
	user["role_name"] = roleName
	user["permissions"] = map[string]any{"admin": permission == "admin", "maintain": roleName == "maintain" || permission == "admin",
		"push": permission == "admin" || permission == "write", "triage": permission != "read" && permission != "none",
		"pull": permission != "none"}
	return Object("repository-collaborator-permission", map[string]any{
		"permission": permission, "role_name": roleName, "user": user,
	})
}

// TeamMembership answers a team-membership read.
func TeamMembership(org, team, login, state, role string) map[string]any {
	return Object("team-membership", map[string]any{
		"state": state, "role": role,
		"url": apiURL("orgs/%s/teams/%s/memberships/%s", org, team, login),
	})
}

// PullRequest is pull request number of repo with head and base commits named by seed
// (see SHA) and fields set over it.
func PullRequest(repo string, number int, headSHA, baseSHA string, fields map[string]any) map[string]any {
	obj := Object("pull-request", map[string]any{
		"id":       BigID + int64(number),
		"number":   number,
		"url":      apiURL("repos/%s/pulls/%d", repo, number),
		"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", repo, number),
	})
	for _, side := range []struct{ key, sha string }{{"head", headSHA}, {"base", baseSHA}} {
		if b, ok := obj[side.key].(map[string]any); ok {
			b["sha"] = SHA(side.sha)
		}
	}
	for k, v := range fields {
		obj[k] = v
	}
	return obj
}

// PullRequestFile is one entry of a pull request's changed files.
func PullRequestFile(filename, status string, additions, deletions int, patch string) map[string]any {
	f := Object("diff-entry", map[string]any{
		"filename": filename, "status": status,
		"additions": additions, "deletions": deletions, "changes": additions + deletions,
		"sha": SHA(filename),
	})
	if patch == "" {
		delete(f, "patch")
	} else {
		f["patch"] = patch
	}
	return f
}

// ContentFile is a file's content as GitHub's JSON contents answer carries it.
func ContentFile(repo, path string, content []byte) map[string]any {
	name := path[strings.LastIndex(path, "/")+1:]
	sha := SHA(string(content))
	return Object("content-file", map[string]any{
		"name": name, "path": path, "sha": sha, "size": len(content),
		"content": base64.StdEncoding.EncodeToString(content), "encoding": "base64",
		"url":          apiURL("repos/%s/contents/%s", repo, path),
		"git_url":      apiURL("repos/%s/git/blobs/%s", repo, sha),
		"html_url":     fmt.Sprintf("https://github.com/%s/blob/main/%s", repo, path),
		"download_url": fmt.Sprintf("https://raw.githubusercontent.com/%s/main/%s", repo, path),
		"_links": map[string]any{
			"self": apiURL("repos/%s/contents/%s", repo, path),
			"git":  apiURL("repos/%s/git/blobs/%s", repo, sha),
			"html": fmt.Sprintf("https://github.com/%s/blob/main/%s", repo, path),
		},
	})
}

// GitRef is ref (e.g. "heads/main") of repo pointing at commit sha.
func GitRef(repo, ref, sha string) map[string]any {
	sha = SHA(sha)
	return Object("git-ref", map[string]any{
		"ref": "refs/" + strings.TrimPrefix(ref, "refs/"),
		"url": apiURL("repos/%s/git/refs/%s", repo, strings.TrimPrefix(ref, "refs/")),
		"object": map[string]any{"type": "commit", "sha": sha,
			"url": apiURL("repos/%s/git/commits/%s", repo, sha)},
	})
}

// GitCommit is commit sha of repo with its tree and parents.
func GitCommit(repo, sha, tree string, parents ...string) map[string]any {
	sha, tree = SHA(sha), SHA(tree)
	ps := make([]any, 0, len(parents))
	for _, p := range parents {
		p = SHA(p)
		ps = append(ps, map[string]any{"sha": p, "url": apiURL("repos/%s/git/commits/%s", repo, p),
			"html_url": fmt.Sprintf("https://github.com/%s/commit/%s", repo, p)})
	}
	return Object("git-commit", map[string]any{
		"sha": sha, "parents": ps,
		"tree":     map[string]any{"sha": tree, "url": apiURL("repos/%s/git/trees/%s", repo, tree)},
		"url":      apiURL("repos/%s/git/commits/%s", repo, sha),
		"html_url": fmt.Sprintf("https://github.com/%s/commit/%s", repo, sha),
	})
}

// TreeEntry is one blob of a git tree.
func TreeEntry(repo, path string, size int) map[string]any {
	sha := SHA(path)
	return map[string]any{"path": path, "mode": "100644", "type": "blob", "sha": sha, "size": size,
		"url": apiURL("repos/%s/git/blobs/%s", repo, sha)}
}

// GitTree is tree sha of repo with entries (see TreeEntry).
func GitTree(repo, sha string, entries []any) map[string]any {
	sha = SHA(sha)
	if entries == nil {
		entries = []any{}
	}
	return Object("git-tree", map[string]any{
		"sha": sha, "tree": entries, "truncated": false,
		"url": apiURL("repos/%s/git/trees/%s", repo, sha),
	})
}

// SearchIssues is the answer to an issue search; incomplete marks it as GitHub does when
// the search timed out before it saw every match.
func SearchIssues(items []any, incomplete bool) map[string]any {
	if items == nil {
		items = []any{}
	}
	// A keyword query is a lexical search.
	return map[string]any{"total_count": len(items), "incomplete_results": incomplete, "items": items,
		"search_type": "lexical"}
}

// SearchItem turns an issue (see Issue) into a search result item.
func SearchItem(issue map[string]any) map[string]any {
	item := make(map[string]any, len(issue)+1)
	for k, v := range issue {
		item[k] = v
	}
	item["score"] = 1.0
	return item
}

package checkrun

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/shurcooL/githubv4"
)

// Page sizes of the GraphQL query. An App has one check suite per commit as a
// rule; 100 runs match what the REST lookup reads in its one page.
const (
	gqlSuites = 5
	gqlRuns   = 100
)

// prefetched is what one GraphQL query answers before the check starts: the
// configuration file on the base branch and the App's runs on the head commit,
// which would otherwise cost a REST request each.
type prefetched struct {
	// config is the configuration file; configErr is errNotFound when the
	// repository has none and a *tooLargeError when it is over MaxConfigSize.
	config    []byte
	configErr error
	// configUnread is set when the query could not give the file's exact bytes
	// (binary, truncated, not a file): it is then read through REST as before.
	configUnread bool
	// runs are the App's runs on the head commit, any name, as REST would list them.
	runs []*github.CheckRun
}

// gqlRun is a check run as the query reads it. Its id comes from resourcePath
// (/{owner}/{repo}/runs/{id}): databaseId is a 32-bit Int and check-run ids are
// past 2^31, and the schema has no fullDatabaseId for check runs.
type gqlRun struct {
	ResourcePath string
	Name         string
	Status       string
	Conclusion   *string
	ExternalID   *string
	Title        *string
	Summary      *string
	Annotations  struct {
		TotalCount int
	} `graphql:"annotations(first: 1)"`
}

// checkQuery reads .github/secwg.yml at the base branch and the App's check
// runs on the head commit. The check's name is only known once the
// configuration is parsed, so runs are filtered by name afterwards.
type checkQuery struct {
	Repository *struct {
		Config *struct {
			Typename string `graphql:"__typename"`
			Blob     struct {
				ByteSize    int
				IsBinary    *bool
				IsTruncated bool
				Text        *string
			} `graphql:"... on Blob"`
		} `graphql:"config: object(expression: $config)"`
		Head *struct {
			Commit struct {
				CheckSuites *struct {
					Nodes []struct {
						App *struct {
							DatabaseID *int64
							Slug       string
						}
						CheckRuns *struct {
							Nodes []gqlRun
						} `graphql:"checkRuns(last: $runs)"`
					}
				} `graphql:"checkSuites(first: $suites, filterBy: {appId: $appId})"`
			} `graphql:"... on Commit"`
		} `graphql:"head: object(oid: $sha)"`
	} `graphql:"repository(owner: $owner, name: $repo)"`
}

// usesGraphQL reports whether the configuration and run lookup go through one
// GraphQL query: only with the App's id, which filters the check suites
// server-side, and only when the event did not already name the head
// commit's run. Otherwise they cost what they cost through REST.
func (s *Service) usesGraphQL(pr PullRequest, known *github.CheckRun) bool {
	if s.opts.App.ID <= 0 || s.opts.App.ID > math.MaxInt32 {
		return false
	}
	return known == nil || known.GetHeadSHA() != pr.HeadSHA
}

// prefetch runs the query. Any failure (transport, an errors array, an answer
// it cannot use) is returned, and the caller reads through REST instead.
func (j *job) prefetch(ctx context.Context) (*prefetched, error) {
	v4, err := j.s.clients.NewInstallationV4Client(j.installationID)
	if err != nil {
		return nil, fmt.Errorf("creating the GraphQL client: %w", err)
	}
	ref := j.pr.BaseRef
	if ref == "" {
		ref = "HEAD" // the default branch, as the REST read without ?ref= has it
	}
	var q checkQuery
	vars := map[string]any{
		"owner":  githubv4.String(j.pr.Owner),
		"repo":   githubv4.String(j.pr.Repo),
		"config": githubv4.String(ref + ":" + ConfigPath),
		"sha":    githubv4.GitObjectID(j.pr.HeadSHA),
		"appId":  githubv4.Int(j.s.opts.App.ID), //nolint:gosec // usesGraphQL keeps AppID within an Int
		"suites": githubv4.Int(gqlSuites),
		"runs":   githubv4.Int(gqlRuns),
	}
	if err := v4.Query(ctx, &q, vars); err != nil {
		return nil, err
	}
	if q.Repository == nil {
		return nil, fmt.Errorf("repository %s not in the answer", j.pr.fullName())
	}
	if q.Repository.Head == nil {
		return nil, fmt.Errorf("head commit %s not in the answer", j.pr.HeadSHA)
	}
	p := &prefetched{}
	switch c := q.Repository.Config; {
	case c == nil:
		p.configErr = errNotFound
	case c.Typename == "Blob" && c.Blob.ByteSize > MaxConfigSize:
		p.configErr = &tooLargeError{path: ConfigPath}
	case c.Typename != "Blob" || c.Blob.IsTruncated || c.Blob.Text == nil ||
		(c.Blob.IsBinary != nil && *c.Blob.IsBinary):
		p.configUnread = true
	case len(*c.Blob.Text) != c.Blob.ByteSize:
		// Not the file's bytes (an encoding GitHub re-coded to UTF-8).
		p.configUnread = true
	default:
		p.config = []byte(*c.Blob.Text)
	}
	if suites := q.Repository.Head.Commit.CheckSuites; suites != nil {
		for _, suite := range suites.Nodes {
			if suite.App == nil || suite.App.DatabaseID == nil || suite.CheckRuns == nil {
				continue
			}
			app := &github.App{ID: github.Int64(*suite.App.DatabaseID), Slug: github.String(suite.App.Slug)}
			for _, r := range suite.CheckRuns.Nodes {
				id, err := runID(r.ResourcePath)
				if err != nil {
					return nil, fmt.Errorf("check run %q: %w", r.Name, err)
				}
				p.runs = append(p.runs, r.toGitHub(id, app, j.pr.HeadSHA))
			}
		}
	}
	return p, nil
}

// runID reads a check run's id from its resource path, /{owner}/{repo}/runs/{id}.
func runID(resourcePath string) (int64, error) {
	parts := strings.Split(resourcePath, "/")
	if len(parts) == 5 && parts[0] == "" && parts[1] != "" && parts[2] != "" && parts[3] == "runs" {
		if id, err := strconv.ParseInt(parts[4], 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, fmt.Errorf("no run id in its resource path %q", resourcePath)
}

// toGitHub gives a run the REST shape the rest of the check reads.
func (r gqlRun) toGitHub(id int64, app *github.App, headSHA string) *github.CheckRun {
	run := &github.CheckRun{
		ID: github.Int64(id), Name: github.String(r.Name), HeadSHA: github.String(headSHA), App: app,
		Status: github.String(strings.ToLower(r.Status)), ExternalID: r.ExternalID,
		Output: &github.CheckRunOutput{Title: r.Title, Summary: r.Summary,
			AnnotationsCount: github.Int(r.Annotations.TotalCount)},
	}
	if r.Conclusion != nil {
		run.Conclusion = github.String(strings.ToLower(*r.Conclusion))
	}
	return run
}

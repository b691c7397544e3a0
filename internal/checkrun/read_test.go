package checkrun

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

const routeContents = "GET /repos/{owner}/{repo}/contents/{path...}"

// repoFiles is a fake repository's files by "repo@ref:path", served raw.
type repoFiles map[string]string

// newJob is a check job of nodejs/node#5 against a fake GitHub serving files.
func newJob(t *testing.T, files repoFiles) (*job, *githubtest.Server) {
	t.Helper()
	gh, client := newJobServer(t, files)
	s := New(nil, nil, zerolog.Nop(), Options{})
	return &job{s: s, client: client, installationID: 1, logger: zerolog.Nop(),
		pr: PullRequest{Owner: "nodejs", Repo: "node", Number: 5, HeadSHA: "head", BaseRef: "main", BaseSHA: "base"}}, gh
}

// newJobServer is a fake GitHub serving files, and a client of installation 1 to it.
func newJobServer(t *testing.T, files repoFiles) (*githubtest.Server, *github.Client) {
	t.Helper()
	gh := githubtest.New(t)
	gh.Handle(routeContents, func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("repo") + "@" + r.URL.Query().Get("ref") + ":" + r.PathValue("path")
		data, ok := files[key]
		if !ok {
			githubtest.Response{Status: http.StatusNotFound, Body: map[string]string{
				"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content"}}.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.github.v3.raw; charset=utf-8")
		_, _ = w.Write([]byte(data))
	})
	client := github.NewClient(nil).WithAuthToken(githubtest.InstallationToken(1))
	u, err := url.Parse(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = u
	return gh, client
}

func TestReadFileAnswersBytesNotFoundOrTooLarge(t *testing.T) {
	j, gh := newJob(t, repoFiles{
		"node@main:docs/threat model.md": "# Model\n",
		"node@:docs/default.md":          "default branch\n",
		"node@main:big.md":               strings.Repeat("x", 11),
	})
	tests := []struct {
		name, path, ref string
		limit           int64
		want            string
		wantErr         func(error) bool
	}{
		{name: "a path with a space, at a branch", path: "docs/threat model.md", ref: "main", limit: 100, want: "# Model\n"},
		{name: "the default branch", path: "docs/default.md", limit: 100, want: "default branch\n"},
		{name: "a missing file", path: "nope.md", ref: "main", limit: 100,
			wantErr: func(err error) bool { return errors.Is(err, errNotFound) }},
		{name: "a file over the limit", path: "big.md", ref: "main", limit: 10,
			wantErr: func(err error) bool { var big *tooLargeError; return errors.As(err, &big) && big.path == "big.md" }},
		{name: "a file at the limit", path: "big.md", ref: "main", limit: 11, want: strings.Repeat("x", 11)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFile(context.Background(), j.client, "nodejs", "node", tt.path, tt.ref, tt.limit)
			if tt.wantErr != nil {
				if !tt.wantErr(err) {
					t.Errorf("got %q, %v", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, r := range gh.Requests() {
		if r.Header.Get("Accept") != "application/vnd.github.raw" {
			t.Errorf("%s asked for %q, want the raw media type", r.Path, r.Header.Get("Accept"))
		}
	}
}

func TestConfigIsReadFromTheBaseBranchElseTheOwnersGithubRepository(t *testing.T) {
	enabled := "threat_model:\n  paths: [docs/model.md]\n"
	tests := []struct {
		name    string
		files   repoFiles
		enabled bool
		file    string // the file a broken configuration names
		reads   int
	}{
		{name: "the repository's own", files: repoFiles{"node@main:.github/secwg.yml": enabled}, enabled: true, reads: 1},
		{name: "the owner's default", files: repoFiles{".github@:.github/secwg.yml": enabled}, enabled: true, reads: 2},
		{name: "neither", files: repoFiles{}, reads: 2},
		{name: "the head branch's is never read", files: repoFiles{"node@head:.github/secwg.yml": enabled}, reads: 2},
		{name: "a broken one names its file", files: repoFiles{".github@:.github/secwg.yml": "threat_model: [\n"},
			file: "nodejs/.github:.github/secwg.yml", reads: 2},
		{name: "one over the size cap", files: repoFiles{"node@main:.github/secwg.yml": "#" + strings.Repeat("x", MaxConfigSize)},
			file: ".github/secwg.yml", reads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, gh := newJob(t, tt.files)
			cfg, err := j.loadConfig(context.Background())
			var bad *repoconfig.Error
			switch {
			case tt.file != "":
				if !errors.As(err, &bad) || bad.File != tt.file {
					t.Errorf("got %v, want an error naming %s", err, tt.file)
				}
			case err != nil:
				t.Fatal(err)
			case (cfg != nil && cfg.Enabled()) != tt.enabled:
				t.Errorf("enabled %v, want %v", cfg != nil && cfg.Enabled(), tt.enabled)
			}
			if n := gh.Count(routeContents); n != tt.reads {
				t.Errorf("%d reads, want %d", n, tt.reads)
			}
		})
	}
}

func TestVersionsRebuildTheOtherSideFromThePatch(t *testing.T) {
	const (
		base  = "# Model\n\n## T-1: old\n"
		head  = "# Model\n\n## T-1: new\n"
		patch = "@@ -1,3 +1,3 @@\n # Model\n \n-## T-1: old\n+## T-1: new"
	)
	file := func(status, name, prev, patch string, changes int) *github.CommitFile {
		f := &github.CommitFile{Filename: github.String(name), Status: github.String(status), Changes: github.Int(changes)}
		if prev != "" {
			f.PreviousFilename = github.String(prev)
		}
		if patch != "" {
			f.Patch = github.String(patch)
		}
		return f
	}
	tests := []struct {
		name       string
		file       *github.CommitFile
		repo       repoFiles
		base, head []string // "path=content"
		reads      int
	}{
		{name: "modified: head read, base rebuilt", file: file("modified", "docs/model.md", "", patch, 2),
			repo: repoFiles{"node@head:docs/model.md": head},
			base: []string{"docs/model.md=" + base}, head: []string{"docs/model.md=" + head}, reads: 1},
		{name: "modified with a stale patch: base read too", file: file("modified", "docs/model.md", "", patch, 2),
			repo: repoFiles{"node@head:docs/model.md": "# Other\n", "node@base:docs/model.md": base},
			base: []string{"docs/model.md=" + base}, head: []string{"docs/model.md=# Other\n"}, reads: 2},
		{name: "modified without a patch: base read too", file: file("modified", "docs/model.md", "", "", 2),
			repo: repoFiles{"node@head:docs/model.md": head, "node@base:docs/model.md": base},
			base: []string{"docs/model.md=" + base}, head: []string{"docs/model.md=" + head}, reads: 2},
		{name: "added: the patch is the file", file: file("added", "docs/model.md", "", "@@ -0,0 +1,2 @@\n+# Model\n+", 2),
			head: []string{"docs/model.md=# Model\n\n"}, reads: 0},
		{name: "added without a patch: read", file: file("added", "docs/model.md", "", "", 2),
			repo: repoFiles{"node@head:docs/model.md": head}, head: []string{"docs/model.md=" + head}, reads: 1},
		{name: "removed: the patch is the file", file: file("removed", "docs/model.md", "", "@@ -1,2 +0,0 @@\n-# Model\n-", 2),
			base: []string{"docs/model.md=# Model\n\n"}, reads: 0},
		{name: "renamed without changes: one read for both", file: file("renamed", "docs/model.md", "docs/old.md", "", 0),
			repo: repoFiles{"node@head:docs/model.md": head},
			base: []string{"docs/old.md=" + head}, head: []string{"docs/model.md=" + head}, reads: 1},
		{name: "renamed into the model from elsewhere: no base", file: file("renamed", "docs/model.md", "notes/draft.md", patch, 2),
			repo: repoFiles{"node@head:docs/model.md": head}, head: []string{"docs/model.md=" + head}, reads: 1},
		{name: "renamed out of the model: no head", file: file("renamed", "notes/draft.md", "docs/model.md", patch, 2),
			repo: repoFiles{"node@head:notes/draft.md": head}, base: []string{"docs/model.md=" + base}, reads: 1},
	}
	cfg, err := repoconfig.Parse(ConfigPath, []byte("threat_model:\n  paths: [docs/model.md, docs/old.md]\n"))
	if err != nil {
		t.Fatal(err)
	}
	show := func(fs []threatmodel.File) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path+"="+string(f.Data))
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, gh := newJob(t, tt.repo)
			b, h, err := j.versions(context.Background(), cfg, []*github.CommitFile{tt.file}, &budget{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(show(b), tt.base) || !slices.Equal(show(h), tt.head) {
				t.Errorf("base %q head %q; want %q %q", show(b), show(h), tt.base, tt.head)
			}
			if n := gh.Count(routeContents); n != tt.reads {
				t.Errorf("%d reads, want %d", n, tt.reads)
			}
		})
	}
}

func TestVersionsFailNamingAFileOverTheCap(t *testing.T) {
	big := strings.Repeat("x", threatmodel.MaxDocumentSize+1)
	j, _ := newJob(t, repoFiles{"node@head:docs/model.md": big})
	cfg, err := repoconfig.Parse(ConfigPath, []byte("threat_model:\n  paths: [docs/model.md]\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &github.CommitFile{Filename: github.String("docs/model.md"), Status: github.String("added")}
	_, _, err = j.versions(context.Background(), cfg, []*github.CommitFile{f}, &budget{})
	var tooBig *tooLargeError
	if !errors.As(err, &tooBig) || tooBig.path != "docs/model.md" || tooBig.together {
		t.Errorf("got %v, want docs/model.md too large", err)
	}
}

package checkrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

// errNotFound is a 404: no such file, or none the installation may see.
var errNotFound = errors.New("not found")

// tooLargeError is a model file over the size cap, or (together) the files
// that took one check past its budget.
type tooLargeError struct {
	path     string
	together bool
}

func (e *tooLargeError) Error() string { return e.path + " is too large" }

// budget counts the bytes of model files one check reads, per version.
type budget struct{ base, head int }

func (b *budget) spend(path string, base, head []byte) error {
	b.base += len(base)
	b.head += len(head)
	if b.base > threatmodel.MaxModelSize || b.head > threatmodel.MaxModelSize {
		return &tooLargeError{path: path, together: true}
	}
	return nil
}

// readFile reads a file's bytes at ref ("" for the default branch) in one
// request: the raw media type carries files up to 100 MB, where the JSON
// form stops at 1 MB. The URL stays the same for a branch, so the client's
// ETag cache answers a repeated read with a 304 that costs no rate limit.
func readFile(ctx context.Context, client *github.Client, owner, repo, path, ref string, limit int64) ([]byte, error) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s", url.PathEscape(owner), url.PathEscape(repo), strings.Join(segs, "/"))
	if ref != "" {
		u += "?ref=" + url.QueryEscape(ref)
	}
	req, err := client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github.raw")
	resp, err := client.BareDo(ctx, req)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("reading %s/%s:%s at %s: %w", owner, repo, path, orDefault(ref), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s:%s at %s: %w", owner, repo, path, orDefault(ref), err)
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{path: path}
	}
	return data, nil
}

func orDefault(ref string) string {
	if ref == "" {
		return "the default branch"
	}
	return ref
}

// loadConfig reads .github/secwg.yml from the pull request's base branch, or
// from the owner's .github repository (its default branch) when the
// repository has none. Neither: nil, nil. The repository's file comes from
// the GraphQL answer when there is one.
func (j *job) loadConfig(ctx context.Context) (*repoconfig.Config, error) {
	file := ConfigPath
	var data []byte
	var err error
	if p := j.pre; p != nil && !p.configUnread {
		data, err = p.config, p.configErr
	} else {
		data, err = readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, ConfigPath, j.pr.BaseRef, MaxConfigSize)
	}
	if errors.Is(err, errNotFound) && !strings.EqualFold(j.pr.Repo, ".github") {
		file = j.pr.Owner + "/.github:" + ConfigPath
		data, err = readFile(ctx, j.client, j.pr.Owner, ".github", ConfigPath, "", MaxConfigSize)
	}
	var big *tooLargeError
	switch {
	case errors.Is(err, errNotFound):
		return nil, nil
	case errors.As(err, &big):
		return nil, &repoconfig.Error{File: file, Line: 1, Key: "threat_model",
			Message: fmt.Sprintf("the file is larger than %d KiB", MaxConfigSize>>10)}
	case err != nil:
		return nil, fmt.Errorf("loading the repository configuration: %w", err)
	}
	return repoconfig.Parse(file, data)
}

// ownRuns lists the App's runs on a commit, newest first, with the given
// name when it is not empty.
func (s *Service) ownRuns(ctx context.Context, client *github.Client, owner, repo, sha, name string) ([]*github.CheckRun, error) {
	opts := &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	if name != "" {
		opts.CheckName = github.String(name)
	}
	if s.opts.App.ID != 0 {
		opts.AppID = github.Int64(s.opts.App.ID)
	}
	res, _, err := client.Checks.ListCheckRunsForRef(ctx, owner, repo, sha, opts)
	if err != nil {
		return nil, fmt.Errorf("looking for the App's check runs on %s: %w", sha, err)
	}
	return s.keepOwn(res.CheckRuns, name), nil
}

// keepOwn keeps the App's runs, with the given name when it is not empty,
// newest first. It reuses runs' backing array.
func (s *Service) keepOwn(runs []*github.CheckRun, name string) []*github.CheckRun {
	runs = slices.DeleteFunc(runs, func(r *github.CheckRun) bool {
		return !s.Owns(r.GetApp()) || (name != "" && r.GetName() != name)
	})
	slices.SortFunc(runs, func(a, b *github.CheckRun) int { return -cmp.Compare(a.GetID(), b.GetID()) })
	return runs
}

// maxFilePages bounds the changed-files listing: GitHub lists at most 3,000
// files of a pull request, 100 a page.
const maxFilePages = 30

// changedModelFiles lists the pull request's changed files that are, or were,
// threat-model files.
func (j *job) changedModelFiles(ctx context.Context, cfg *repoconfig.Config) ([]*github.CommitFile, error) {
	var out []*github.CommitFile
	opts := &github.ListOptions{PerPage: 100}
	for page := 0; page < maxFilePages; page++ {
		files, resp, err := j.client.PullRequests.ListFiles(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the files of pull request #%d: %w", j.pr.Number, err)
		}
		for _, f := range files {
			if cfg.Matches(f.GetFilename()) || (f.GetPreviousFilename() != "" && cfg.Matches(f.GetPreviousFilename())) {
				out = append(out, f)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// versions reads the base and head versions of the changed model files. Each
// costs at most one read: the patch GitHub lists with a file rebuilds the
// other version (the merge base's, which is what the pull request changes),
// an added file's patch is the whole file, and a removed file's is too. Only
// when GitHub leaves a patch out (a very large diff) is the base read as well,
// at the base commit.
func (j *job) versions(ctx context.Context, cfg *repoconfig.Config, files []*github.CommitFile, spent *budget) (base, head []threatmodel.File, err error) {
	for _, f := range files {
		name, prev := f.GetFilename(), cmp.Or(f.GetPreviousFilename(), f.GetFilename())
		inBase, inHead := cfg.Matches(prev), cfg.Matches(name)
		var b, h []byte
		switch f.GetStatus() {
		case "added", "copied":
			inBase = false
			h, err = j.addedVersion(ctx, f)
		case "removed":
			inHead = false
			b, err = j.removedVersion(ctx, f, prev)
		default: // modified, changed, renamed
			b, h, err = j.changedVersions(ctx, f, prev, inBase)
		}
		var big *tooLargeError
		switch {
		case errors.As(err, &big):
			return nil, nil, err
		case err != nil:
			return nil, nil, fmt.Errorf("reading %s: %w", name, err)
		case len(b) > threatmodel.MaxDocumentSize || len(h) > threatmodel.MaxDocumentSize:
			return nil, nil, &tooLargeError{path: name}
		}
		if err := spent.spend(name, b, h); err != nil {
			return nil, nil, err
		}
		if inBase && b != nil {
			base = append(base, threatmodel.File{Path: prev, Data: b})
		}
		if inHead && h != nil {
			head = append(head, threatmodel.File{Path: name, Data: h})
		}
	}
	return base, head, nil
}

// addedVersion is an added or copied file's head version: an added file's
// patch is the whole file; without one, or for a copy, the file is read.
func (j *job) addedVersion(ctx context.Context, f *github.CommitFile) ([]byte, error) {
	if f.GetStatus() == "added" && f.GetPatch() != "" {
		if h, err := applyPatch(nil, f.GetPatch(), false); err == nil && h != nil {
			return h, nil
		}
	}
	return readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, f.GetFilename(), j.pr.HeadSHA, threatmodel.MaxDocumentSize)
}

// removedVersion is a removed file's base version, from its patch or read.
func (j *job) removedVersion(ctx context.Context, f *github.CommitFile, prev string) ([]byte, error) {
	if f.GetPatch() != "" {
		if b, err := applyPatch(nil, f.GetPatch(), true); err == nil && b != nil {
			return b, nil
		}
	}
	return readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, prev, j.pr.BaseSHA, threatmodel.MaxDocumentSize)
}

// changedVersions reads a modified or renamed file at the head commit and
// rebuilds its base from the patch; a base the patch cannot give is read.
// The base is nil when the file was no model file before.
func (j *job) changedVersions(ctx context.Context, f *github.CommitFile, prev string, inBase bool) (b, h []byte, err error) {
	h, err = readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, f.GetFilename(), j.pr.HeadSHA, threatmodel.MaxDocumentSize)
	if err != nil || !inBase {
		return nil, h, err
	}
	switch {
	case f.GetPatch() != "":
		b, err = applyPatch(h, f.GetPatch(), true)
	case f.GetStatus() == "renamed" && f.GetChanges() == 0:
		return h, h, nil
	default:
		err = errPatch
	}
	if err != nil {
		j.logger.Debug().Err(err).Str("path", f.GetFilename()).Msg("reading the base version instead of rebuilding it")
		b, err = readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, prev, j.pr.BaseSHA, threatmodel.MaxDocumentSize)
	}
	return b, h, err
}

// MaxContextFiles bounds how many unchanged model files are read beside the
// changed ones.
const MaxContextFiles = 50

// unchangedModelFiles reads the model files the pull request leaves alone,
// at the head commit, so that rules spanning files (an M- ID defined in
// another file, a duplicate ID) see the whole model. A literal path costs one
// read, or none when the pull request changes it; a glob costs one listing of
// the head commit's tree besides. Each file is the same in base and head, so
// its entries count as untouched.
func (j *job) unchangedModelFiles(ctx context.Context, cfg *repoconfig.Config, changed []*github.CommitFile, spent *budget) ([]threatmodel.File, error) {
	paths, err := j.unchangedModelPaths(ctx, cfg, changed)
	if err != nil {
		return nil, err
	}
	var out []threatmodel.File
	for _, p := range paths {
		data, err := readFile(ctx, j.client, j.pr.Owner, j.pr.Repo, p, j.pr.HeadSHA, threatmodel.MaxDocumentSize)
		switch {
		case errors.Is(err, errNotFound):
			continue // a literal path the repository does not have (yet)
		case err != nil:
			return nil, err
		}
		if err := spent.spend(p, data, data); err != nil {
			return nil, err
		}
		out = append(out, threatmodel.File{Path: p, Data: data})
	}
	return out, nil
}

// unchangedModelPaths lists the model files the pull request leaves alone,
// at most MaxContextFiles: the literal paths, and with a glob the matching
// files of the head commit's tree.
func (j *job) unchangedModelPaths(ctx context.Context, cfg *repoconfig.Config, changed []*github.CommitFile) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range changed {
		seen[f.GetFilename()] = true
		if p := f.GetPreviousFilename(); p != "" {
			seen[p] = true
		}
	}
	var paths []string
	globbed := false
	for _, p := range cfg.ThreatModel.Paths {
		if strings.ContainsAny(p, `*?[\`) {
			globbed = true
			continue
		}
		if p = strings.TrimPrefix(p, "/"); !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	if globbed {
		tree, _, err := j.client.Git.GetTree(ctx, j.pr.Owner, j.pr.Repo, j.pr.HeadSHA, true)
		if err != nil {
			return nil, fmt.Errorf("listing the files of %s: %w", j.pr.HeadSHA, err)
		}
		if tree.GetTruncated() {
			j.logger.Warn().Msg("the head commit's tree is too large to list whole; some model files may be left out")
		}
		for _, e := range tree.Entries {
			if p := e.GetPath(); e.GetType() == "blob" && !seen[p] && cfg.Matches(p) {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	if len(paths) > MaxContextFiles {
		j.logger.Warn().Int("files", len(paths)).Msgf("reading the first %d unchanged model files only", MaxContextFiles)
		paths = paths[:MaxContextFiles]
	}
	return paths, nil
}

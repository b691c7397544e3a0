// Package lint is the `secwg lint` command: it checks threat-model files on disk,
// optionally against a git revision, and prints findings as text, JSON, SARIF or GitHub workflow commands.
package lint

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

// Exit codes.
const (
	ExitClean = 0
	ExitFail  = 1
	ExitUsage = 2
)

// DefaultConfig is read when --config is not given and the file exists.
const DefaultConfig = ".github/secwg.yml"

// Revisions reads a git repository: its top directory and files as they
// were at a revision. Paths are relative to the top directory, with slashes.
type Revisions interface {
	// Root returns the repository's top directory.
	Root(ctx context.Context) (string, error)
	// Show returns the file at rev; found is false when the file did not exist there.
	Show(ctx context.Context, rev, path string) (data []byte, found bool, err error)
	// List returns the files under dir at rev ("" is the whole tree).
	List(ctx context.Context, rev, dir string) ([]string, error)
}

// MergeBaser is a Revisions that can find where HEAD branched off a
// revision: --base compares with that commit, so entries the base branch
// gained since are not shown as removed.
type MergeBaser interface {
	// MergeBase returns the best common ancestor of rev and HEAD; found is
	// false when they have none, as in a shallow clone.
	MergeBase(ctx context.Context, rev string) (commit string, found bool, err error)
}

// Git reads revisions with git in the current directory's repository.
type Git struct{}

func (Git) run(ctx context.Context, args ...string) ([]byte, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	// Messages in English whatever the user's locale, as errors quote them.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), strings.TrimSpace(stderr.String()), err
}

// Root runs `git rev-parse --show-toplevel`.
func (g Git) Root(ctx context.Context) (string, error) {
	out, msg, err := g.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("finding the git repository: %v: %s", err, msg)
	}
	return strings.TrimRight(string(out), "\r\n"), nil
}

// Show runs `git show REV:path`, path being relative to the top directory.
func (g Git) Show(ctx context.Context, rev, path string) ([]byte, bool, error) {
	out, msg, err := g.run(ctx, "show", rev+":"+path)
	if err != nil {
		// The file is missing when rev names a tree but rev:path names nothing.
		if _, _, terr := g.run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{tree}"); terr == nil {
			if _, _, perr := g.run(ctx, "cat-file", "-e", rev+":"+path); perr != nil {
				return nil, false, nil
			}
		}
		return nil, false, fmt.Errorf("git show %s:%s: %v: %s", rev, path, err, msg)
	}
	return out, true, nil
}

// MergeBase runs `git merge-base REV HEAD`.
func (g Git) MergeBase(ctx context.Context, rev string) (string, bool, error) {
	out, msg, err := g.run(ctx, "merge-base", rev, "HEAD")
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1 && msg == "":
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("git merge-base %s HEAD: %v: %s", rev, err, msg)
	}
	return strings.TrimSpace(string(out)), true, nil
}

// List runs `git ls-tree` over the whole tree, dir being relative to the top directory.
func (g Git) List(ctx context.Context, rev, dir string) ([]string, error) {
	args := []string{"ls-tree", "-r", "-z", "--name-only", "--full-tree", rev}
	if dir != "" && dir != "." {
		args = append(args, "--", dir)
	}
	out, msg, err := g.run(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("git ls-tree %s %s: %v: %s", rev, dir, err, msg)
	}
	var paths []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// Run is `secwg lint`; args exclude the command name.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Command{Revisions: Git{}}.Run(ctx, args, stdout, stderr)
}

// Command is `secwg lint` with its git access replaceable; without it, paths
// are shown as given and --base is refused.
type Command struct {
	Revisions Revisions
}

const usage = "usage: secwg lint [--base REV] [--fix] [--format text|json|sarif|github] [--config FILE] PATH..."

// Run parses args, checks the files and writes the report; it returns the exit code.
func (c Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("secwg lint", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, usage)
		flags.PrintDefaults()
	}
	base := flags.String("base", "", "check only entries changed since HEAD branched off this git revision (their merge base)")
	format := flags.String("format", "text", "output format: text, json, sarif or github")
	configFile := flags.String("config", "", "repository config (.github/secwg.yml shape); default "+DefaultConfig+" when present")
	fix := flags.Bool("fix", false, "apply the fixes of findings that have exactly one, then check again")
	paths, err := parseInterspersed(flags, args)
	if err != nil {
		return ExitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "secwg lint: %v\n", err)
		return ExitUsage
	}
	write, ok := formats[*format]
	if !ok {
		fmt.Fprintf(stderr, "secwg lint: unknown format %q\n%s\n", *format, usage)
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "secwg lint: no PATH given\n%s\n", usage)
		return ExitUsage
	}
	opts, err := loadOptions(*configFile)
	if err != nil {
		return fail(err)
	}
	root, err := c.root(ctx, *base != "")
	if err != nil {
		return fail(err)
	}
	targets, err := resolve(root, paths)
	if err != nil {
		return fail(err)
	}
	baseRev := *base
	if mb, ok := c.Revisions.(MergeBaser); ok && *base != "" {
		commit, found, err := mb.MergeBase(ctx, *base)
		if err != nil {
			return fail(err)
		}
		if found {
			baseRev = commit
		} else {
			fmt.Fprintf(stderr, "secwg lint: %s and HEAD have no common ancestor here (a shallow clone?), so the change is taken against %s itself\n", *base, *base)
		}
	}
	var disk map[string]string // file name in findings → path on disk
	check := func() (*threatmodel.Report, error) {
		head, where, err := readFiles(targets, *base != "")
		disk = where
		if err != nil {
			return nil, err
		}
		if *base == "" {
			return threatmodel.Check(head, opts)
		}
		old, err := c.baseFiles(ctx, baseRev, targets, head)
		if err != nil {
			return nil, err
		}
		return threatmodel.CheckChange(old, head, opts)
	}
	r, err := check()
	if err != nil {
		return fail(err)
	}
	if *fix {
		n, err := applyFixes(r, disk)
		if err != nil {
			return fail(err)
		}
		if n > 0 {
			fmt.Fprintf(stderr, "secwg lint: applied %d %s\n", n, plural(n, "fix", "fixes"))
			if r, err = check(); err != nil {
				return fail(err)
			}
		}
	}
	if root == "" {
		root, _ = os.Getwd() // paths are as given: relative to here
	}
	if err := write(stdout, r, root); err != nil {
		fmt.Fprintf(stderr, "secwg lint: writing output: %v\n", err)
		return ExitUsage
	}
	if r.Failed() {
		return ExitFail
	}
	return ExitClean
}

// parseInterspersed parses flags wherever they stand among the paths, as in
// `secwg lint model.md --base main`; "--" ends the flags.
func parseInterspersed(flags *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for len(args) > 0 {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first path, or after a "--" it consumed.
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(paths, rest...), nil
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
	return paths, nil
}

func loadOptions(file string) (threatmodel.Options, error) {
	explicit := file != ""
	if !explicit {
		file = DefaultConfig
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return threatmodel.Options{}, nil
	}
	if err != nil {
		return threatmodel.Options{}, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := repoconfig.Parse(file, data)
	if err != nil {
		return threatmodel.Options{}, err
	}
	return cfg.Options(), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// root is the repository's top directory, with symlinks resolved; "" outside
// a repository, which only --base refuses.
func (c Command) root(ctx context.Context, needed bool) (string, error) {
	if c.Revisions == nil {
		if needed {
			return "", errors.New("--base needs a git repository")
		}
		return "", nil
	}
	root, err := c.Revisions.Root(ctx)
	if err != nil {
		if needed {
			return "", fmt.Errorf("--base needs a git repository: %w", err)
		}
		return "", nil
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return root, nil
}

// target is one PATH argument: where it is on disk and what it is called in
// findings (relative to the repository's top directory when there is one).
type target struct {
	disk, name string
}

// resolve names each path relative to root, through symlinks, refusing a path
// outside the repository. Without root, names are the cleaned paths.
func resolve(root string, paths []string) ([]target, error) {
	var out []target
	for _, p := range paths {
		t := target{disk: p, name: filepath.ToSlash(filepath.Clean(p))}
		if root != "" {
			abs, err := filepath.Abs(p)
			if err != nil {
				return nil, err
			}
			real, err := filepath.EvalSymlinks(abs)
			if err != nil {
				// A deleted file: resolve its directory.
				dir, derr := filepath.EvalSymlinks(filepath.Dir(abs))
				if derr != nil {
					return nil, err
				}
				real = filepath.Join(dir, filepath.Base(abs))
			}
			rel, err := filepath.Rel(root, real)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, fmt.Errorf("%s is outside the repository at %s", p, root)
			}
			t.name = filepath.ToSlash(rel)
		}
		out = append(out, t)
	}
	return out, nil
}

func isMarkdown(path string) bool {
	return strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".markdown")
}

// readFiles reads each file named and every Markdown file under each
// directory, refusing a file over the size cap before reading it, and the lot
// past the budget of one check. With missingOK, a file named that is missing
// is left for the base to supply. disk maps each file's name to its path.
func readFiles(targets []target, missingOK bool) (files []threatmodel.File, disk map[string]string, err error) {
	disk = map[string]string{}
	total := 0
	read := func(path, name string) error {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Size() > threatmodel.MaxDocumentSize {
			return fmt.Errorf("%s: %w: %d bytes, the limit is %d (real threat models are under 100 KB)", name, threatmodel.ErrTooLarge, info.Size(), threatmodel.MaxDocumentSize)
		}
		if total += int(info.Size()); total > threatmodel.MaxModelSize {
			return fmt.Errorf("%w: more than %d bytes in all; lint fewer files at once", threatmodel.ErrModelTooLarge, threatmodel.MaxModelSize)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, threatmodel.File{Path: name, Data: data})
		disk[name] = path
		return nil
	}
	for _, t := range targets {
		info, err := os.Stat(t.disk)
		if errors.Is(err, fs.ErrNotExist) && missingOK {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			if err := read(t.disk, t.name); err != nil {
				return nil, nil, err
			}
			continue
		}
		err = filepath.WalkDir(t.disk, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if d.IsDir() || !isMarkdown(path) {
				return nil
			}
			rel, err := filepath.Rel(t.disk, path)
			if err != nil {
				return err
			}
			return read(path, pathJoin(t.name, filepath.ToSlash(rel)))
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return files, disk, nil
}

func pathJoin(dir, rel string) string {
	if dir == "." || dir == "" {
		return rel
	}
	return dir + "/" + rel
}

// baseFiles reads at rev the files head has, the files named that are gone
// from disk, and the Markdown files under each directory named that the
// change deleted, so that links to what a change removed are enforced.
func (c Command) baseFiles(ctx context.Context, rev string, targets []target, head []threatmodel.File) ([]threatmodel.File, error) {
	var base []threatmodel.File
	seen := map[string]bool{}
	show := func(path string) (bool, error) {
		if seen[path] {
			return true, nil
		}
		seen[path] = true
		data, found, err := c.Revisions.Show(ctx, rev, path)
		if err != nil || !found {
			return found, err
		}
		base = append(base, threatmodel.File{Path: path, Data: data})
		return true, nil
	}
	for _, f := range head {
		if _, err := show(f.Path); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		info, err := os.Stat(t.disk)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			found, err := show(t.name)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, fmt.Errorf("%s exists neither on disk nor at %s", t.disk, rev)
			}
		case err != nil:
			return nil, err
		case info.IsDir():
			paths, err := c.Revisions.List(ctx, rev, t.name)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				if isMarkdown(p) {
					if _, err := show(p); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return base, nil
}

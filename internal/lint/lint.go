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

// Revisions reads files as they were at a revision.
type Revisions interface {
	// Show returns the file at rev; found is false when the file did not exist there.
	Show(ctx context.Context, rev, path string) (data []byte, found bool, err error)
}

// Git reads revisions with `git show` in the current directory.
type Git struct{}

// Show runs `git show REV:./path`.
func (Git) Show(ctx context.Context, rev, path string) ([]byte, bool, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "show", rev+":./"+filepath.ToSlash(path))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if strings.Contains(msg, "does not exist in") || strings.Contains(msg, "exists on disk, but not in") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("git show %s:%s: %v: %s", rev, path, err, strings.TrimSpace(msg))
	}
	return stdout.Bytes(), true, nil
}

// Run is `secwg lint`; args exclude the command name.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Command{Revisions: Git{}}.Run(ctx, args, stdout, stderr)
}

// Command is `secwg lint` with its git access replaceable.
type Command struct {
	Revisions Revisions
}

const usage = "usage: secwg lint [--base REV] [--format text|json|sarif|github] [--config FILE] PATH..."

// Run parses args, checks the files and writes the report; it returns the exit code.
func (c Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("secwg lint", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, usage)
		flags.PrintDefaults()
	}
	base := flags.String("base", "", "check only entries changed since this git revision")
	format := flags.String("format", "text", "output format: text, json, sarif or github")
	configFile := flags.String("config", "", "repository config (.github/secwg.yml shape); default "+DefaultConfig+" when present")
	if err := flags.Parse(args); err != nil {
		return ExitUsage
	}
	write, ok := formats[*format]
	if !ok {
		fmt.Fprintf(stderr, "secwg lint: unknown format %q\n%s\n", *format, usage)
		return ExitUsage
	}
	if flags.NArg() == 0 {
		fmt.Fprintf(stderr, "secwg lint: no PATH given\n%s\n", usage)
		return ExitUsage
	}
	opts, err := loadOptions(*configFile)
	if err != nil {
		fmt.Fprintf(stderr, "secwg lint: %v\n", err)
		return ExitUsage
	}
	head, err := readFiles(flags.Args())
	if err != nil {
		fmt.Fprintf(stderr, "secwg lint: %v\n", err)
		return ExitUsage
	}
	var r *threatmodel.Report
	if *base == "" {
		r, err = threatmodel.Check(head, opts)
	} else {
		var old []threatmodel.File
		if old, err = c.baseFiles(ctx, *base, head); err == nil {
			r, err = threatmodel.CheckChange(old, head, opts)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "secwg lint: %v\n", err)
		return ExitUsage
	}
	if err := write(stdout, r); err != nil {
		fmt.Fprintf(stderr, "secwg lint: writing output: %v\n", err)
		return ExitUsage
	}
	if r.Failed() {
		return ExitFail
	}
	return ExitClean
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

// readFiles reads each file named and every Markdown file under each directory.
func readFiles(paths []string) ([]threatmodel.File, error) {
	var files []threatmodel.File
	read := func(p string) error {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, threatmodel.File{Path: filepath.ToSlash(filepath.Clean(p)), Data: data})
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := read(p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".markdown")) {
				return read(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

func (c Command) baseFiles(ctx context.Context, rev string, head []threatmodel.File) ([]threatmodel.File, error) {
	var base []threatmodel.File
	for _, f := range head {
		data, found, err := c.Revisions.Show(ctx, rev, f.Path)
		if err != nil {
			return nil, err
		}
		if found {
			base = append(base, threatmodel.File{Path: f.Path, Data: data})
		}
	}
	return base, nil
}

package initmodel

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

const usage = "usage: secwg init [--dir DIR] [--model PATH] [--project NAME] [--from FILE [--section HEADING]]"

// Run is `secwg init`; args exclude the command name. It writes the model and
// the config into the repository at --dir, and never overwrites a file.
func Run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("secwg init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, usage)
		flags.PrintDefaults()
	}
	dir := flags.String("dir", ".", "root of the repository to write into")
	model := flags.String("model", DefaultModelPath, "path of the threat model, relative to --dir")
	project := flags.String("project", "Node.js", "project name used in the model's prose")
	from := flags.String("from", "", "draft the threats from the examples in this Markdown file")
	section := flags.String("section", "", "with --from, read only the part under this heading")
	if err := flags.Parse(args); err != nil {
		return ExitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "secwg init: unexpected argument %q\n%s\n", flags.Arg(0), usage)
		return ExitUsage
	}
	if *section != "" && *from == "" {
		fmt.Fprintf(stderr, "secwg init: --section needs --from\n%s\n", usage)
		return ExitUsage
	}
	if filepath.IsAbs(*model) || !filepath.IsLocal(*model) {
		fmt.Fprintf(stderr, "secwg init: --model %q must be a path inside the repository\n", *model)
		return ExitUsage
	}
	modelPath := filepath.Join(*dir, *model)
	configPath := filepath.Join(*dir, filepath.FromSlash(DefaultConfigPath))

	var drafts *Drafts
	switch strings.ToLower(filepath.Ext(*from)) {
	case ".json", ".yaml", ".yml":
		fmt.Fprintf(stderr, "secwg init: --from drafts from Markdown prose; %s is a model file: list a Threat Dragon .json in threat_model.paths as it is (Threagile YAML is not read)\n", *from)
		return ExitUsage
	}
	if *from != "" {
		data, err := os.ReadFile(*from)
		if err != nil {
			fmt.Fprintf(stderr, "secwg init: %v\n", err)
			return ExitFail
		}
		name := sourceLink(modelPath, *from)
		if drafts, err = Draft(name, data, *section); err != nil {
			fmt.Fprintf(stderr, "secwg init: %v\n", err)
			return ExitFail
		}
		threats, out := drafts.Count(KindThreat), drafts.Count(KindOutOfScope)
		fmt.Fprintf(stdout, "%s: found %d candidates: %d %s, %d out of scope\n", *from,
			len(drafts.Candidates), threats, plural(threats, "threat", "threats"), out)
		if len(drafts.Candidates) == 0 {
			fmt.Fprintf(stderr, "secwg init: nothing to draft from %s: examples are the sub-headings of headings such as "+
				"\"Examples of vulnerabilities\", \"Threats\" or \"Examples of non-vulnerabilities\"; "+
				"use --section to name the part of the file that holds them\n", *from)
			return ExitFail
		}
	}
	files := []struct {
		path string
		data []byte
	}{
		{modelPath, Starter(*project, filepath.ToSlash(filepath.Clean(*model)), drafts)},
		{configPath, Config(filepath.ToSlash(filepath.Clean(*model)))},
	}
	for _, f := range files {
		if _, err := os.Lstat(f.path); err == nil {
			fmt.Fprintf(stderr, "secwg init: %s already exists; nothing was written (init never overwrites a file; use --model for another path)\n", f.path)
			return ExitFail
		} else if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "secwg init: %v\n", err)
			return ExitFail
		}
	}
	var written []string
	for _, f := range files {
		if err := create(f.path, f.data); err != nil {
			for _, w := range written {
				_ = os.Remove(w) // leave the repository as it was
			}
			fmt.Fprintf(stderr, "secwg init: %v; nothing was written\n", err)
			return ExitFail
		}
		written = append(written, f.path)
		fmt.Fprintf(stdout, "wrote %s\n", f.path)
	}
	fmt.Fprintf(stdout, "next: fill in %s, run `secwg lint %s`, and commit both files\n", *model, *model)
	return ExitOK
}

// create writes a new file, failing if one appeared since it was checked.
func create(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// sourceLink is the source's path relative to the model's directory, so the
// model's links back to it work on GitHub.
func sourceLink(modelPath, source string) string {
	m, err1 := filepath.Abs(filepath.Dir(modelPath))
	s, err2 := filepath.Abs(source)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(source)
	}
	rel, err := filepath.Rel(m, s)
	if err != nil {
		return filepath.ToSlash(source)
	}
	return filepath.ToSlash(rel)
}

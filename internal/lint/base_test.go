package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/threatmodel"
)

const (
	gitThreats = "# Threats\n\n#### T-SEA-001: Injected blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n\n" +
		"#### T-OLD-001: Legacy threat\n\n- **STRIDE**: Confidentiality\n- **Mitigations**: M-SEA-001\n"
	gitMitigations = "# Mitigations\n\n#### M-SEA-001: Signed blobs\n\n- **Status**: Implemented\n"
)

// gitRepo makes a repository holding model/threats.md and
// model/mitigations.md, committed, and changes into it.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required to test lint --base")
	}
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	write(t, filepath.Join(dir, "model", "threats.md"), gitThreats)
	write(t, filepath.Join(dir, "model", "mitigations.md"), gitMitigations)
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "model")
	t.Chdir(dir)
	return dir
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBaseModeCannotBeEscaped(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(t *testing.T, dir string) []string // returns the arguments
		code   int
		stdout []string
		stderr string
	}{
		{"absolute path to an unchanged file", func(t *testing.T, dir string) []string {
			return []string{"--base", "HEAD", filepath.Join(dir, "model", "threats.md"), filepath.Join(dir, "model", "mitigations.md")}
		}, ExitClean, []string{"compared with the base: 0 changes", "notice"}, ""},
		{"./ path from a subdirectory", func(t *testing.T, dir string) []string {
			t.Chdir(filepath.Join(dir, "model"))
			return []string{"--base", "HEAD", "./threats.md", "./mitigations.md"}
		}, ExitClean, []string{"model/threats.md:"}, ""},
		{"symlink to the model", func(t *testing.T, dir string) []string {
			if err := os.Symlink(filepath.Join(dir, "model"), filepath.Join(dir, "link")); err != nil {
				t.Skip("no symlinks here:", err)
			}
			return []string{"--base", "HEAD", "link"}
		}, ExitClean, []string{"model/threats.md:"}, ""},
		{"flags after the paths", func(t *testing.T, dir string) []string {
			return []string{"model", "--base", "HEAD", "--format", "text"}
		}, ExitClean, []string{"compared with the base"}, ""},
		{"a file outside the repository", func(t *testing.T, dir string) []string {
			outside := filepath.Join(t.TempDir(), "model.md")
			write(t, outside, gitThreats)
			return []string{"--base", "HEAD", outside}
		}, ExitUsage, nil, "outside the repository"},
		{"git rm of the mitigations file", func(t *testing.T, dir string) []string {
			git(t, dir, "rm", "-q", "model/mitigations.md")
			return []string{"--base", "HEAD", "model"}
		}, ExitFail, []string{"removed M-SEA-001: Signed blobs (model/mitigations.md:3)",
			"error: T-SEA-001 links M-SEA-001, which no threat-model file defines [mitigation-undefined]"}, ""},
		{"a named file that git rm removed", func(t *testing.T, dir string) []string {
			git(t, dir, "rm", "-q", "model/mitigations.md")
			return []string{"--base", "HEAD", "model/threats.md", "model/mitigations.md"}
		}, ExitFail, []string{"removed M-SEA-001", "[mitigation-undefined]"}, ""},
		{"a new threat under a malformed heading", func(t *testing.T, dir string) []string {
			write(t, filepath.Join(dir, "model", "threats.md"), gitThreats+"\n#### T-sea-002: Swapped blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n")
			return []string{"--base", "HEAD", "model"}
		}, ExitFail, []string{"error: \"T-sea-002\" is not a valid ID"}, ""},
		{"renamed, status-changed and enforced entries are listed", func(t *testing.T, dir string) []string {
			edited := strings.Replace(gitThreats, "T-SEA-001: Injected blob (CWE-94)\n\n", "T-SEA-010: Injected blob (CWE-94)\n\n- **Status**: Mitigated\n", 1)
			write(t, filepath.Join(dir, "model", "threats.md"), edited)
			return []string{"--base", "HEAD", "model"}
		}, ExitClean, []string{"renamed T-SEA-001 → T-SEA-010: Injected blob (CWE-94) (model/threats.md:3)",
			"status T-SEA-010: Open → Mitigated", "enforced: M-SEA-001, T-SEA-010\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gitRepo(t)
			expectRun(t, Command{Revisions: Git{}}, tt.edit(t, dir), tt.code, tt.stdout, tt.stderr)
		})
	}
}

func TestJSONListsTheChanges(t *testing.T) {
	dir := gitRepo(t)
	edited := strings.Replace(gitThreats, "T-SEA-001: Injected blob (CWE-94)\n\n", "T-SEA-010: Injected blob (CWE-94)\n\n- **Status**: Mitigated\n", 1)
	write(t, filepath.Join(dir, "model", "threats.md"), edited+"\n#### T-SEA-003: New (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-SEA-001\n")
	git(t, dir, "rm", "-q", "model/mitigations.md")
	_, stdout, stderr := run(t, Command{Revisions: Git{}}, "--format", "json", "--base", "HEAD", "model")
	var out struct {
		Changes []struct {
			Kind, ID, From, To, Path string
			Line                     int
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s %s", err, stdout, stderr)
	}
	var got []string
	for _, c := range out.Changes {
		got = append(got, strings.Join([]string{c.Kind, c.ID, c.From, c.To, c.Path}, " "))
	}
	want := []string{
		"added T-SEA-003   model/threats.md",
		"renamed T-SEA-010 T-SEA-001 T-SEA-010 model/threats.md",
		"removed M-SEA-001   model/mitigations.md",
		"status T-SEA-010 Open Mitigated model/threats.md",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n got %q\nwant %q", got, want)
	}
}

func TestFixRewritesFindingsWithOneFix(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	src := "#### T\u2013A-1: x (CWE-1)\n\n- **STRIDE**: Tampring, DoS\n- **Status**: Accepted\n- **Rationale**: r\n- **Environments**: Sever, Moon\n"
	write(t, "m.md", src)
	expectRun(t, Command{}, []string{"m.md", "--fix"}, ExitFail, []string{"environment \"Moon\" is not one of"}, "applied 4 fixes")
	data, err := os.ReadFile("m.md")
	if err != nil {
		t.Fatal(err)
	}
	want := "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Tampering, Denial of service\n- **Status**: Accepted\n- **Rationale**: r\n- **Environments**: Server, Moon\n"
	if string(data) != want {
		t.Errorf("file after --fix:\n%s\nwant\n%s", data, want)
	}
	// Nothing left to fix: the file is left alone and nothing is said.
	expectRun(t, Command{}, []string{"--fix", "m.md"}, ExitFail, []string{"[environment-unknown]"}, "")
}

func TestLintRefusesFilesPastTheBudgets(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "big.md", strings.Repeat("x", threatmodel.MaxDocumentSize+1))
	expectRun(t, Command{}, []string{"big.md"}, ExitUsage, nil, "real threat models are under 100 KB")
	var many []string
	for i := range threatmodel.MaxModelSize/threatmodel.MaxDocumentSize + 1 {
		name := fmt.Sprintf("m%d.md", i)
		write(t, name, strings.Repeat("x", threatmodel.MaxDocumentSize))
		many = append(many, name)
	}
	expectRun(t, Command{}, many, ExitUsage, nil, "lint fewer files at once")
}

// git's messages may come in the user's language: a file missing at the base
// is still told from a bad revision.
func TestGitShowTellsAMissingFileInAnyLanguage(t *testing.T) {
	dir := gitRepo(t)
	git(t, dir, "mv", "model/mitigations.md", "model/m.md")
	t.Setenv("LC_ALL", "")
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LANGUAGE", "de")
	tests := []struct {
		rev, path string
		found     bool
		err       bool
	}{
		{"HEAD", "model/threats.md", true, false},
		{"HEAD", "model/new.md", false, false},
		{"HEAD", "model/m.md", false, false}, // on disk, not at HEAD
		{"HEAD", "model", true, false},
		{"no-such-rev", "model/threats.md", false, true},
	}
	for _, tt := range tests {
		_, found, err := Git{}.Show(context.Background(), tt.rev, tt.path)
		if found != tt.found || (err != nil) != tt.err {
			t.Errorf("%s:%s: found %v, error %v; want found %v, an error %v", tt.rev, tt.path, found, err, tt.found, tt.err)
		}
	}
}

// --base main compares with where the branch left main: entries main gained
// since are not shown as removed, and entries the branch changed still are.
func TestBaseIsWhereTheBranchLeftTheBase(t *testing.T) {
	dir := gitRepo(t)
	git(t, dir, "branch", "-M", "main")
	git(t, dir, "checkout", "-qb", "feature")
	edited := strings.Replace(gitThreats, "T-SEA-001: Injected blob (CWE-94)\n\n", "T-SEA-001: Injected blob (CWE-94)\n\n- **Status**: Mitigated\n", 1)
	write(t, filepath.Join(dir, "model", "threats.md"), edited)
	git(t, dir, "commit", "-qam", "mitigate")
	git(t, dir, "checkout", "-q", "main")
	write(t, filepath.Join(dir, "model", "mitigations.md"), gitMitigations+"\n#### M-SEA-002: Later on main\n\n- **Status**: Implemented\n")
	git(t, dir, "commit", "-qam", "main moves on")
	git(t, dir, "checkout", "-q", "feature")
	_, stdout, stderr := run(t, Command{Revisions: Git{}}, "--format", "json", "--base", "main", "model")
	var out struct {
		Changes []struct{ Kind, ID string } `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s %s", err, stdout, stderr)
	}
	var got []string
	for _, c := range out.Changes {
		got = append(got, c.Kind+" "+c.ID)
	}
	if want := []string{"changed T-SEA-001", "status T-SEA-001"}; !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
}

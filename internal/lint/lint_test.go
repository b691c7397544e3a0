package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/threatmodel"
)

func run(t *testing.T, c Command, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = c.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodesAndTextOutput(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"clean file", []string{"testdata/clean.md"}, ExitClean, []string{"1 files, 1 threats, 1 mitigations: 0 errors, 0 warnings\n"}, ""},
		{"errors", []string{"testdata/clean.md", "testdata/broken.md"}, ExitFail, []string{
			"testdata/broken.md:3:6: warning: T-LINT-002 names no CWE in its title, for example (CWE-400) [cwe-missing]\n",
			"testdata/broken.md:5:3: error: \"Confidentiality\" is not a STRIDE category",
			"testdata/broken.md:5:3: warning: write \"DoS\" as \"Denial of service\" [stride-noncanonical]\n",
			"2 files, 2 threats, 1 mitigations: 1 errors, 2 warnings\n"}, ""},
		{"config relaxes rules", []string{"--config", "testdata/relaxed.yml", "testdata/broken.md", "testdata/clean.md"}, ExitClean, []string{"0 errors, 2 warnings"}, ""},
		{"directory", []string{"testdata"}, ExitFail, []string{"2 files, 2 threats"}, ""},
		{"no paths", nil, ExitUsage, nil, "no PATH given"},
		{"bad flag", []string{"--frobnicate", "x.md"}, ExitUsage, nil, "usage: secwg lint"},
		{"bad format", []string{"--format", "xml", "x.md"}, ExitUsage, nil, "unknown format \"xml\""},
		{"missing file", []string{"testdata/nope.md"}, ExitUsage, nil, "nope.md"},
		{"broken config", []string{"--config", "testdata/broken.yml", "testdata/clean.md"}, ExitUsage, nil, "testdata/broken.yml:2: threat_model.pathz: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRun(t, Command{}, tt.args, tt.code, tt.stdout, tt.stderr)
		})
	}
}

// expectRun runs the command and checks its exit code, that stdout holds
// each of the strings, and that stderr holds wantStderr (empty: nothing).
func expectRun(t *testing.T, c Command, args []string, wantCode int, wantStdout []string, wantStderr string) {
	t.Helper()
	code, stdout, stderr := run(t, c, args...)
	if code != wantCode {
		t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, wantCode, stdout, stderr)
	}
	for _, want := range wantStdout {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, wantStderr) || (wantStderr == "") != (stderr == "") {
		t.Errorf("stderr %q, want %q", stderr, wantStderr)
	}
}

func TestJSONOutputHasFindingsAndSummary(t *testing.T) {
	code, stdout, _ := run(t, Command{}, "--format", "json", "testdata/broken.md")
	if code != ExitFail {
		t.Errorf("exit %d", code)
	}
	var out struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]int   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != 4 {
		t.Fatalf("findings %v", out.Findings)
	}
	for _, key := range []string{"path", "line", "column", "severity", "rule", "message", "entry"} {
		if _, ok := out.Findings[0][key]; !ok {
			t.Errorf("finding lacks %q", key)
		}
	}
	for _, key := range []string{"files", "threats", "mitigations", "errors", "warnings"} {
		if _, ok := out.Summary[key]; !ok {
			t.Errorf("summary lacks %q", key)
		}
	}
	if out.Summary["errors"] != 2 || out.Findings[0]["entry"] != "T-LINT-002" {
		t.Errorf("summary %v first finding %v", out.Summary, out.Findings[0])
	}
}

func TestSARIFOutputIsStructurallyValid(t *testing.T) {
	_, stdout, _ := run(t, Command{}, "--format", "sarif", "testdata/broken.md")
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("log header %q %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "secwg" || len(run.Tool.Driver.Rules) != len(threatmodel.Rules) {
		t.Errorf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	if len(run.Results) != 4 {
		t.Fatalf("%d results", len(run.Results))
	}
	for _, res := range run.Results {
		rule := run.Tool.Driver.Rules[res.RuleIndex]
		if rule.ID != res.RuleID || rule.ShortDescription.Text == "" || res.Message.Text == "" {
			t.Errorf("result %+v points at rule %+v", res, rule)
		}
		if res.Level != "error" && res.Level != "warning" {
			t.Errorf("level %q", res.Level)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != "testdata/broken.md" || res.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("locations %+v", res.Locations)
		}
	}
}

func TestGitHubOutputEscapesWorkflowCommands(t *testing.T) {
	_, stdout, _ := run(t, Command{}, "--format", "github", "testdata/broken.md")
	want := "::error file=testdata/broken.md,line=5,endLine=5,col=3,title=stride-unknown::\"Confidentiality\" is not a STRIDE category"
	if !strings.Contains(stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, stdout)
	}
	if n := strings.Count(stdout, "\n"); n != 4 {
		t.Errorf("%d lines", n)
	}
}

// fakeRevisions serves files of one revision from memory.
type fakeRevisions struct {
	rev   string
	files map[string]string
}

func (f fakeRevisions) Root(context.Context) (string, error) { return os.Getwd() }

func (f fakeRevisions) List(_ context.Context, rev, dir string) ([]string, error) {
	var out []string
	for p := range f.files {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f fakeRevisions) Show(_ context.Context, rev, path string) ([]byte, bool, error) {
	if rev != f.rev {
		return nil, false, errors.New("fatal: invalid object name " + rev)
	}
	data, ok := f.files[path]
	return []byte(data), ok, nil
}

func TestBaseModeEnforcesOnlyChangedEntries(t *testing.T) {
	broken, err := os.ReadFile("testdata/broken.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string
		code  int
		want  string
	}{
		{"unchanged legacy errors are notices", map[string]string{"testdata/broken.md": string(broken)}, ExitClean, "0 errors, 0 warnings, 4 notices on 1 untouched entries"},
		{"new file is enforced", map[string]string{}, ExitFail, "2 errors, 2 warnings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, Command{Revisions: fakeRevisions{"main", tt.files}}, "--base", "main", "testdata/broken.md")
			if code != tt.code || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d stdout %s stderr %s", code, stdout, stderr)
			}
		})
	}
	code, _, stderr := run(t, Command{Revisions: fakeRevisions{"main", nil}}, "--base", "nope", "testdata/broken.md")
	if code != ExitUsage || !strings.Contains(stderr, "invalid object name nope") {
		t.Errorf("bad revision: exit %d stderr %q", code, stderr)
	}
}

func TestGitShowsFilesAtRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required to test the git revision reader")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	gitRun("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("base\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun("add", "a.md")
	gitRun("commit", "-qm", "base")
	t.Chdir(dir)
	ctx := context.Background()
	data, found, err := Git{}.Show(ctx, "HEAD", "a.md")
	if err != nil || !found || string(data) != "base\n" {
		t.Errorf("a.md: %q %v %v", data, found, err)
	}
	if _, found, err := (Git{}).Show(ctx, "HEAD", "new.md"); err != nil || found {
		t.Errorf("new.md: found %v err %v", found, err)
	}
	if _, _, err := (Git{}).Show(ctx, "no-such-rev", "a.md"); err == nil {
		t.Error("bad revision gave no error")
	}
}

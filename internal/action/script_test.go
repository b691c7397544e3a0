package action_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// moduleRoot is the repository root, where action.yml lives.
func moduleRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// secwgBinary builds cmd/secwg once for the script tests, as the action's
// build step does.
func secwgBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secwg-action-test")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "secwg")
		if runtime.GOOS == "windows" {
			builtBin += ".exe"
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", builtBin, "./cmd/secwg")
		cmd.Dir = moduleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building secwg: %v", buildErr)
	}
	return builtBin
}

// runScript runs deploy/action/run.sh as the action's last step does, from dir,
// with the step's environment.
func runScript(t testing.TB, dir string, env map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed; the action's script needs it")
	}
	cmd := exec.Command(bash, filepath.Join(moduleRoot(t), "deploy", "action", "run.sh"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SECWG_BIN=" + secwgBinary(t)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestActionScriptLintsASampleModel runs the action's script on the sample
// models as a workflow would: annotations for every finding, SARIF when
// asked, and the exit code the inputs ask for.
func TestActionScriptLintsASampleModel(t *testing.T) {
	models, err := filepath.Abs(filepath.Join("testdata", "model"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		env         map[string]string
		code        int
		annotations int    // ::error and ::warning lines
		sarif       bool   // a SARIF file with results is written
		stderr      string // in stderr or stdout
	}{
		{name: "findings fail the step", code: 1, annotations: 4,
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "broken.md"}},
		// clean.md defines the mitigation broken.md links: one finding fewer.
		{name: "SARIF is written beside the annotations", code: 1, annotations: 3, sarif: true,
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "broken.md\nclean.md\n"}},
		{name: "findings reported without failing", code: 0, annotations: 4, sarif: true,
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "broken.md", "SECWG_INPUT_FAIL_ON_FINDINGS": "false"}},
		{name: "a clean model passes", code: 0, annotations: 0,
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "clean.md"}},
		{name: "no paths is a usage error", code: 2, annotations: 1, stderr: "no paths to check",
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint"}},
		{name: "a missing model is a usage error, not findings", code: 2, stderr: "missing.md",
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "missing.md", "SECWG_INPUT_FAIL_ON_FINDINGS": "false"}},
		{name: "shell in an input stays text", code: 2, stderr: "$(touch",
			env: map[string]string{"SECWG_INPUT_COMMAND": "lint", "SECWG_INPUT_PATHS": "clean.md", "SECWG_INPUT_ARGS": "--format $(touch${IFS}pwned)"}},
		{name: "any subcommand runs", code: 0, stderr: "secwg ",
			env: map[string]string{"SECWG_INPUT_COMMAND": "version"}},
		{name: "action is the default command", code: 0, stderr: "not an event secwg acts on",
			env: map[string]string{"GITHUB_EVENT_NAME": "release", "GITHUB_EVENT_PATH": "clean.md", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, m := range []string{"broken.md", "clean.md"} {
				data, err := os.ReadFile(filepath.Join(models, m))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, m), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := c.env
			sarifPath := filepath.Join(dir, "secwg.sarif")
			if c.sarif {
				env["SECWG_INPUT_SARIF"] = sarifPath
			}
			code, stdout, stderr := runScript(t, dir, env)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if n := strings.Count(stdout, "::error ") + strings.Count(stdout, "::warning ") + strings.Count(stdout, "::error::"); n != c.annotations {
				t.Errorf("%d annotations, want %d:\n%s", n, c.annotations, stdout)
			}
			if !strings.Contains(stdout+stderr, c.stderr) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", c.stderr, stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Error("an input ran as shell code")
			}
			if !c.sarif {
				return
			}
			data, err := os.ReadFile(sarifPath)
			if err != nil {
				t.Fatal(err)
			}
			var log struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []json.RawMessage `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(data, &log); err != nil {
				t.Fatalf("SARIF is not JSON: %v", err)
			}
			if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
				t.Errorf("SARIF version %q with %d runs; want 2.1.0 with the findings", log.Version, len(log.Runs))
			}
		})
	}
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([a-z0-9-]+)`)

// TestActionMetadataMatchesItsScript parses action.yml: every input is
// declared with a description and reaches the script or secwg through one
// environment variable, each variable the script reads is set, and no input
// is spliced into a run line, where it could run shell code.
func TestActionMetadataMatchesItsScript(t *testing.T) {
	root := moduleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Name        string            `yaml:"name"`
		Description string            `yaml:"description"`
		Author      string            `yaml:"author"`
		Branding    map[string]string `yaml:"branding"`
		Inputs      map[string]struct {
			Description string `yaml:"description"`
			Default     *string
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name             string            `yaml:"name"`
				Uses             string            `yaml:"uses"`
				With             map[string]string `yaml:"with"`
				Run              string            `yaml:"run"`
				Shell            string            `yaml:"shell"`
				WorkingDirectory string            `yaml:"working-directory"`
				Env              map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if meta.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", meta.Runs.Using)
	}
	for i, s := range meta.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s) runs a command without a shell, which composite actions require", i, s.Name)
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %d (%s) must have exactly one of run and uses", i, s.Name)
		}
	}
	script, err := os.ReadFile(filepath.Join(root, "deploy", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := os.ReadFile("cli.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, s := range meta.Runs.Steps {
		if inputRef.MatchString(s.Run) {
			t.Errorf("run line %q splices an input; pass it through env", s.Run)
		}
		for name, value := range s.Env {
			for _, m := range inputRef.FindAllStringSubmatch(value, -1) {
				used[m[1]] = true
			}
			if strings.HasPrefix(name, "SECWG_INPUT_") && !bytes.Contains(script, []byte(name)) {
				t.Errorf("env %s is set but deploy/action/run.sh never reads it", name)
			}
			if strings.HasPrefix(name, "SECWG_") && !strings.HasPrefix(name, "SECWG_INPUT_") && name != "SECWG_BIN" && name != "SECWG_LOG_FORMAT" &&
				!bytes.Contains(cli, []byte(`"`+name+`"`)) {
				t.Errorf("env %s is set but secwg action never reads it", name)
			}
		}
	}
	var names []string
	for name, in := range meta.Inputs {
		names = append(names, name)
		if strings.TrimSpace(in.Description) == "" || in.Default == nil {
			t.Errorf("input %s needs a description and a default", name)
		}
		if !used[name] {
			t.Errorf("input %s is declared but never passed on", name)
		}
	}
	sort.Strings(names)
	for name := range used {
		if _, ok := meta.Inputs[name]; !ok {
			t.Errorf("inputs.%s is used but not declared (declared: %s)", name, strings.Join(names, ", "))
		}
	}
	for _, v := range regexp.MustCompile(`\$\{?(SECWG_INPUT_[A-Z_]+)`).FindAllStringSubmatch(string(script), -1) {
		found := false
		for _, s := range meta.Runs.Steps {
			if _, ok := s.Env[v[1]]; ok {
				found = true
			}
		}
		if !found {
			t.Errorf("deploy/action/run.sh reads %s, which action.yml never sets", v[1])
		}
	}
}

package initmodel

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitWritesModelAndConfig(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Run([]string{"--dir", dir}, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for path, want := range map[string][]byte{
		DefaultModelPath:  Starter("Node.js", DefaultModelPath, nil),
		DefaultConfigPath: Config(DefaultModelPath),
	} {
		got, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what Starter and Config return", path)
		}
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	for _, existing := range []string{DefaultModelPath, DefaultConfigPath} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, existing)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("mine\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			if code := Run([]string{"--dir", dir}, &out, &errb); code != ExitFail {
				t.Fatalf("exit %d, want %d", code, ExitFail)
			}
			if !strings.Contains(errb.String(), "already exists; nothing was written") {
				t.Errorf("stderr %q does not say why", errb.String())
			}
			if got, _ := os.ReadFile(p); string(got) != "mine\n" {
				t.Errorf("%s was overwritten", existing)
			}
			var files []string
			_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, path)
				}
				return nil
			})
			if len(files) != 1 {
				t.Errorf("files after a refused init: %v", files)
			}
		})
	}
}

func TestInitFromPrintsCandidatesAndLinksBack(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "SECURITY.md")
	doc := "# Security\n\n## Examples of vulnerabilities\n\n### Smuggling (CWE-444)\n\ntext\n\n## Examples of non-vulnerabilities\n\n### Peers\n\nprose\n"
	if err := os.WriteFile(src, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Run([]string{"--dir", dir, "--model", "docs/threat-model.md", "--from", src}, &out, &errb)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "found 2 candidates: 1 threat, 1 out of scope") {
		t.Errorf("output %q does not count the candidates", out.String())
	}
	model, err := os.ReadFile(filepath.Join(dir, "docs", "threat-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(model), "(../SECURITY.md?plain=1#L5)") {
		t.Errorf("the link back is not relative to the model:\n%s", model)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, ".github", "secwg.yml"))
	if !strings.Contains(string(cfg), "    - docs/threat-model.md\n") {
		t.Errorf("config does not point at the model:\n%s", cfg)
	}
}

func TestInitRefusesBadInvocations(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.md")
	if err := os.WriteFile(empty, []byte("# Nothing\n\nprose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"section without from", []string{"--section", "x"}, ExitUsage, "--section needs --from"},
		{"model outside the repository", []string{"--model", "../x.md"}, ExitUsage, "inside the repository"},
		{"a stray argument", []string{"THREAT_MODEL.md"}, ExitUsage, "unexpected argument"},
		{"nothing to draft", []string{"--from", empty}, ExitFail, "nothing to draft"},
		{"a model file", []string{"--from", "model.json"}, ExitUsage, "drafts from Markdown prose"},
		{"missing source", []string{"--from", filepath.Join(dir, "none.md")}, ExitFail, "no such file"},
		{"missing section", []string{"--from", empty, "--section", "Threats"}, ExitFail, "no heading matches the section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(append([]string{"--dir", dir}, tt.args...), &out, &errb)
			if code != tt.code || !strings.Contains(errb.String(), tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), tt.code, tt.msg)
			}
			if _, err := os.Stat(filepath.Join(dir, DefaultModelPath)); err == nil {
				t.Error("a refused init wrote the model")
			}
		})
	}
}

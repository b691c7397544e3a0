package initmodel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdoptingGuideShowsTheRealRun keeps docs/adopting.md's walk-through the
// output secwg gives on Node.js's real SECURITY.md.
func TestAdoptingGuideShowsTheRealRun(t *testing.T) {
	security := nodeSecurity(t)
	guide, err := os.ReadFile("../../docs/adopting.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "SECURITY.md"), security, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var out, errb bytes.Buffer
	if code := Run([]string{"--from", "SECURITY.md", "--section", "The Node.js threat model"}, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !bytes.Contains(guide, out.Bytes()) {
		t.Errorf("the guide does not show the run's output:\n%s", out.String())
	}
	model, err := os.ReadFile(filepath.Join(dir, DefaultModelPath))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(model, []byte("#### T-DRAFT-002:"))
	end := bytes.Index(model, []byte("#### T-DRAFT-003:"))
	if start < 0 || end < start {
		t.Fatal("the drafted model has no T-DRAFT-002")
	}
	if draft := strings.TrimSpace(string(model[start:end])); !bytes.Contains(guide, []byte(draft)) {
		t.Errorf("the guide's draft differs from the generated one:\n%s", draft)
	}
	r := lintAsConfigured(t, model)
	c := r.Counts
	summary := fmt.Sprintf("1 files, %d threats, %d mitigations: %d errors, %d warnings", c.Threats, c.Mitigations, c.Errors, c.Warnings)
	if !bytes.Contains(guide, []byte(summary)) {
		t.Errorf("the guide does not show the lint summary %q", summary)
	}
}

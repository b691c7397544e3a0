package threatmodel

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// formatExample returns the Markdown inside the example fence of the format
// document, so the document cannot drift from what the checker accepts.
func formatExample(t testing.TB) []byte {
	t.Helper()
	doc, err := os.ReadFile("../../docs/threat-model-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := bytes.Cut(doc, []byte("<!-- example:begin -->\n```markdown\n"))
	if !ok {
		t.Fatal("format document has no example:begin marker")
	}
	example, _, ok := bytes.Cut(after, []byte("```\n<!-- example:end -->"))
	if !ok {
		t.Fatal("format document has no example:end marker")
	}
	return example
}

func TestFormatDocumentExampleLintsClean(t *testing.T) {
	r, err := Check([]File{{Path: "example.md", Data: formatExample(t)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Errorf("%s:%d: %s: %s [%s]", f.Path, f.Line, f.Severity, f.Message, f.Rule)
	}
	if r.Counts.Threats != 4 || r.Counts.Mitigations != 2 {
		t.Errorf("example has %d threats and %d mitigations, want 4 and 2", r.Counts.Threats, r.Counts.Mitigations)
	}
}

func TestRealSecurityDocumentsOnlyWarnThatTheyHoldNoModel(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the directory holding the reference threat models")
	}
	paths, err := filepath.Glob(filepath.Join(shared, "anchors", "threat-models", "*.md"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no reference documents: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Check([]File{{Path: filepath.Base(path), Data: data}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Prose headings are never entries, so never errors: the one
		// finding says the file holds no model.
		if len(r.Findings) != 1 || r.Findings[0].Rule != RuleModelEmpty || r.Counts.Errors != 0 {
			t.Errorf("%s: findings %v", filepath.Base(path), r.Findings)
		}
	}
	data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "nodejs-node-SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check([]File{{Path: "SECURITY.md", Data: data}}, Options{Section: "The Node.js threat model"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents[0].SectionMissing || len(r.Findings) != 1 || r.Findings[0].Rule != RuleModelEmpty {
		t.Errorf("section: findings %v", r.Findings)
	}
}

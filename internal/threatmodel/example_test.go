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

func TestNodeSecurityPolicyLintsWithoutErrors(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the directory holding the reference threat models")
	}
	data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "nodejs-node-SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"", "The Node.js threat model"} {
		r, err := Check([]File{{Path: "SECURITY.md", Data: data}}, Options{Section: section})
		if err != nil {
			t.Fatal(err)
		}
		if r.Counts.Errors != 0 || len(r.Findings) != 0 {
			t.Errorf("section %q: %d errors, findings %v", section, r.Counts.Errors, r.Findings)
		}
		if r.Documents[0].SectionMissing {
			t.Errorf("section %q not found", section)
		}
	}
}

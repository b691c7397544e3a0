package threatmodel

import (
	"bytes"
	"os"
	"testing"
)

// TestFormatDocTableExampleLintsClean keeps the table example in the format
// document a model that passes.
func TestFormatDocTableExampleLintsClean(t *testing.T) {
	doc, err := os.ReadFile("../../docs/threat-model-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := bytes.Cut(doc, []byte("<!-- table-example:begin -->\n```markdown\n"))
	if !ok {
		t.Fatal("format document has no table-example:begin marker")
	}
	example, _, ok := bytes.Cut(after, []byte("```\n<!-- table-example:end -->"))
	if !ok {
		t.Fatal("format document has no table-example:end marker")
	}
	r, err := Check([]File{{Path: "tables.md", Data: example}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counts.Threats != 2 || r.Counts.Mitigations != 2 || len(r.Findings) != 0 {
		t.Errorf("%d threats, %d mitigations, findings %+v; want 2, 2 and none", r.Counts.Threats, r.Counts.Mitigations, r.Findings)
	}
}

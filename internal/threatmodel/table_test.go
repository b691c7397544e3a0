package threatmodel

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/golden"
)

func renderFindings(r *Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s [%s]\n", f.Path, f.Line, f.Column, f.Severity, f.Message, f.Rule)
	}
	c := r.Counts
	fmt.Fprintf(&b, "%d threats, %d mitigations: %d errors, %d warnings\n", c.Threats, c.Mitigations, c.Errors, c.Warnings)
	return b.String()
}

func TestTableLayoutWithKnownErrorsMatchesGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/table.md")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check([]File{{Path: "table.md", Data: data}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/table.golden", renderFindings(r))
}

func TestTableRowsAreEntriesWithCellPositions(t *testing.T) {
	model := "| ID | Title | STRIDE | Mitigations |\n|---|---|---|---|\n| T-A-1 | X (CWE-1) | Tampring | M-A-1 |\n\n" +
		"| ID | Status |\n|---|---|\n| M-A-1 | Implemented |\n"
	r, err := Check([]File{{Path: "m.md", Data: []byte(model)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counts.Threats != 1 || r.Counts.Mitigations != 1 {
		t.Fatalf("%d threats and %d mitigations, want 1 and 1", r.Counts.Threats, r.Counts.Mitigations)
	}
	th := r.Documents[0].Threats[0]
	if th.ID != "T-A-1" || th.Title != "X (CWE-1)" || th.Pos.Line != 3 || th.Pos.Column != 3 {
		t.Errorf("threat %s %q at %d:%d", th.ID, th.Title, th.Pos.Line, th.Pos.Column)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%s %d:%d", f.Rule, f.Line, f.Column))
	}
	if want := "stride-unknown 3:23"; strings.Join(got, ",") != want {
		t.Errorf("findings %v, want %s", got, want)
	}
}

func TestTableCells(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"| a | b |", []string{"a", "b"}},
		{"a | b", []string{"a", "b"}},
		{`| a \| b | c |`, []string{"a | b", "c"}},
		{"|  | x |", []string{"", "x"}},
		{"| `M-1` |", []string{"`M-1`"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range splitRow([]byte(tt.line), 0, MaxTableColumns) {
			got = append(got, string(c.raw))
		}
		if strings.Join(got, "¦") != strings.Join(tt.want, "¦") {
			t.Errorf("splitRow(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// A table whose header lacks the ID, STRIDE or Mitigations column is prose.
func TestTablesWithoutTheColumnsAreNotModels(t *testing.T) {
	for _, header := range []string{"| Threat | STRIDE | Mitigations |", "| ID | STRIDE |", "| ID | Owner |"} {
		model := header + "\n" + strings.Repeat("|---", strings.Count(header, "|")-1) + "|\n" + "| T-A-1 | Tampering | M-1 |\n"
		doc, err := Parse("m.md", []byte(model), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Threats)+len(doc.Mitigations) != 0 {
			t.Errorf("%s: read as a model", header)
		}
	}
}

func TestTableDiffComparesRowsByID(t *testing.T) {
	head := "| ID | STRIDE | Mitigations |\n|---|---|---|\n| T-A-1 | Tampering | M-A-1 |\n| T-A-2 | Bogus | M-A-1 |\n\n| ID | Status |\n|---|---|\n| M-A-1 | Implemented |\n"
	base := "| ID | STRIDE | Mitigations |\n|---|---|---|\n| T-A-2 | Bogus | M-A-1 |\n\n| ID | Status |\n|---|---|\n| M-A-1 | Implemented |\n"
	r, err := CheckChange([]File{{Path: "m.md", Data: []byte(base)}}, []File{{Path: "m.md", Data: []byte(head)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diff.Added) != 1 || r.Diff.Added[0].ID != "T-A-1" || r.Diff.Untouched != 2 {
		t.Errorf("diff %+v", r.Diff)
	}
	for _, f := range r.Findings {
		if f.Entry == "T-A-2" && f.Severity != SeverityNotice {
			t.Errorf("untouched row T-A-2 enforced: %+v", f)
		}
	}
}

func TestTableRowsPastTheLimitAreReportedOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("| ID | STRIDE | Mitigations |\n|---|---|---|\n")
	for i := range MaxTableRows + 500 {
		fmt.Fprintf(&b, "| T-A-%d | Tampering | inline |\n", i)
	}
	doc, err := Parse("m.md", []byte(b.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Threats) != MaxTableRows {
		t.Errorf("%d threats read, want %d", len(doc.Threats), MaxTableRows)
	}
	n := 0
	for _, f := range doc.Findings {
		if f.Rule == RuleLimitExceeded {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d limit-exceeded findings, want 1", n)
	}
}

func TestTablesWiderThanTheLimitAreProse(t *testing.T) {
	wide := strings.Repeat("| x ", MaxTableColumns)
	model := "| ID | STRIDE | Mitigations " + wide + "|\n" + strings.Repeat("|---", MaxTableColumns+3) + "|\n| T-A-1 | Tampering | inline |\n"
	doc, err := Parse("m.md", []byte(model), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Threats) != 0 {
		t.Errorf("a table of %d columns was read as a model", MaxTableColumns+3)
	}
	model = "| ID | STRIDE | Mitigations " + strings.Repeat("| x ", MaxTableColumns-3) + "|\n" + strings.Repeat("|---", MaxTableColumns) + "|\n| T-A-1 | Tampering | inline |\n"
	if doc, _ = Parse("m.md", []byte(model), ""); len(doc.Threats) != 1 {
		t.Errorf("a table of %d columns was not read", MaxTableColumns)
	}
}

package threatmodel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/mdsafe"
)

func TestSummaryListsCountsCoverageRisksAndReviewerNotes(t *testing.T) {
	base := []File{{Path: "model.md", Data: readFixture(t, "diff/base.md")}}
	head := []File{{Path: "model.md", Data: readFixture(t, "diff/head.md")}, {Path: "example.md", Data: formatExample(t)}}
	r, err := CheckChange(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(r)
	for _, want := range []string{
		"**4 errors, 0 warnings** in 9 threats and 3 mitigations across 2 files.",
		"adds 7, changes 2, renames 1 and removes 2 entries",
		"| Tampering | 1 | – | – | – | – |",
		"| Denial of service | 2 (1) | 1 | 2 (1) | 1 | 1 |",
		"| T\\-HTTP\\-003 | Proxy credentials leak through environment variables \\(CWE\\-526\\) | Accepted | The environment belongs to the operator",
		"| T\\-HTTP\\-004 | Forged client certificates in a third\\-party terminator \\(CWE\\-295\\) | Transferred to the TLS terminator's vendor | TLS is terminated",
		"| T\\-RISK\\-001 | Threat the change accepts \\(CWE\\-1\\) | Accepted | – |",
		"- removed T\\-GONE\\-001: Threat the change removes \\(CWE\\-1\\) (`model.md:12`)",
		"- renamed T\\-OLD\\-001 → T\\-REN\\-001",
		"- status T\\-RISK\\-001: Open → Accepted",
		"- added T\\-NEW\\-002",
		"- changed T\\-EDIT\\-001",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestSummaryStaysUnderGitHubsLimit(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "#### T-R-%d: Accepted risk number %d with a long title (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: %s\n\n", i, i, strings.Repeat("because ", 10))
	}
	r, err := Check([]File{{Path: "big.md", Data: []byte(b.String())}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(r)
	if len(s) > MaxSummaryLength {
		t.Errorf("summary is %d bytes", len(s))
	}
	if !strings.Contains(s, "The summary was cut") || !strings.Contains(s, "T\\-R\\-0 ") {
		t.Errorf("summary has no cut note or lost its head: %s", s[len(s)-300:])
	}
}

func TestSummaryDropsBidiAndZeroWidthControlsFromDocumentText(t *testing.T) {
	doc := "#### T-R-1: Safe\u202egnp.exe\u200b title (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: ping @nodejs/tsc \u2066here\u2069\n"
	r, err := Check([]File{{Path: "m.md", Data: []byte(doc)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(r)
	if !strings.Contains(s, "| T\\-R\\-1 | Safegnp\\.exe title \\(CWE\\-1\\) | Accepted | ping @\u200bnodejs/tsc here |") {
		t.Fatalf("summary row not as expected:\n%s", s)
	}
	for _, r := range strings.ReplaceAll(s, "@\u200b", "@") {
		if mdsafe.Invisible(r) {
			t.Errorf("summary keeps %U:\n%q", r, s)
		}
	}
}

func TestAnnotationsComeInBatchesOfFifty(t *testing.T) {
	var fs []Finding
	for i := range 123 {
		sev := []Severity{SeverityError, SeverityWarning, SeverityNotice}[i%3]
		fs = append(fs, Finding{Path: "a.md", Line: i + 1, EndLine: i + 2, Severity: sev, Rule: RuleCWEMissing, Message: "m", Entry: "T-A-1"})
	}
	tests := []struct {
		limit   int
		sizes   []int
		omitted int
	}{
		{0, []int{50, 50, 23}, 0},
		{60, []int{50, 10}, 63},
	}
	for _, tt := range tests {
		batches, omitted := Annotations(fs, tt.limit)
		var sizes []int
		for _, b := range batches {
			sizes = append(sizes, len(b))
		}
		if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) || omitted != tt.omitted {
			t.Errorf("limit %d: sizes %v omitted %d, want %v %d", tt.limit, sizes, omitted, tt.sizes, tt.omitted)
		}
	}
	batches, _ := Annotations(fs, 0)
	want := Annotation{Path: "a.md", StartLine: 2, EndLine: 3, Level: "warning", Title: "T-A-1 · cwe-missing: Threat title names no CWE", Message: "m"}
	if batches[0][1] != want {
		t.Errorf("annotation %+v, want %+v", batches[0][1], want)
	}
	if batches[0][0].Level != "failure" || batches[0][2].Level != "notice" {
		t.Errorf("levels %s %s", batches[0][0].Level, batches[0][2].Level)
	}
}

package threatmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// entries renders a document's entries compactly for table comparisons.
func entries(d *Document) []string {
	var out []string
	for _, t := range d.Threats {
		out = append(out, fmt.Sprintf("%s@%d:%d stride=%v status=%s mitigations=%v inline=%q rationale=%q",
			t.ID, t.Pos.Line, t.Pos.Column, t.STRIDE, t.Status, t.MitigationIDs, t.InlineMitigations, t.Rationale))
	}
	for _, m := range d.Mitigations {
		out = append(out, fmt.Sprintf("%s@%d:%d status=%s", m.ID, m.Pos.Line, m.Pos.Column, m.Status))
	}
	return out
}

func TestParserReadsOnlyRealMarkdownStructure(t *testing.T) {
	tests := []struct {
		file    string
		section string
		want    []string
	}{
		{"ignored-markup.md", "", []string{
			"T-REAL-001@17:6 stride=[Tampering] status=Open mitigations=[M-REAL-001] inline=[] rationale=\"\"",
			"M-REAL-001@23:6 status=Implemented",
		}},
		{"crlf-bom.md", "", []string{
			"T-CRLF-001@1:6 stride=[Spoofing Tampering] status=Open mitigations=[M-CRLF-001] inline=[] rationale=\"\"",
			"M-CRLF-001@7:6 status=Implemented",
		}},
		{"front-matter.md", "", []string{
			"T-FM-002@6:6 stride=[Denial of service] status=Open mitigations=[M-FM-001] inline=[] rationale=\"\"",
			"M-FM-001@11:6 status=Planned",
		}},
		{"markers.md", "", []string{
			"T-MARK-001@1:6 stride=[Spoofing] status=Open mitigations=[M-MARK-001] inline=[\"Run behind a proxy\"] rationale=\"\"",
			"T-MARK-002@8:6 stride=[Repudiation] status=Open mitigations=[M-MARK-001] inline=[] rationale=\"\"",
			"T-MARK-003@14:6 stride=[Information disclosure] status=Not applicable mitigations=[] inline=[] rationale=\"a value that wraps onto a lazy line and an indented one\"",
			"M-MARK-001@26:6 status=Documentation",
		}},
		{"section.md", "Threat model", []string{
			"T-IN-001@11:6 stride=[Spoofing] status=Accepted mitigations=[] inline=[] rationale=\"fine\"",
			"T-IN-002@19:6 stride=[Tampering] status=Accepted mitigations=[] inline=[] rationale=\"fine\"",
		}},
		{"section.md", "threat MODEL", []string{
			"T-IN-001@11:6 stride=[Spoofing] status=Accepted mitigations=[] inline=[] rationale=\"fine\"",
			"T-IN-002@19:6 stride=[Tampering] status=Accepted mitigations=[] inline=[] rationale=\"fine\"",
		}},
		{"section.md", "No such heading", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.section, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "parse", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(tt.file, data, tt.section)
			if err != nil {
				t.Fatal(err)
			}
			if g := entries(d); !slices.Equal(g, tt.want) {
				t.Errorf("entries\n got %s\nwant %s", strings.Join(g, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if tt.want != nil && len(d.Findings) != 0 {
				t.Errorf("findings %+v", d.Findings)
			}
			if tt.want == nil && (len(d.Findings) != 1 || d.Findings[0].Rule != RuleSectionMissing || d.Findings[0].Severity != SeverityError) {
				t.Errorf("findings %+v, want one section-missing error", d.Findings)
			}
			if d.SectionMissing != (tt.want == nil) {
				t.Errorf("SectionMissing %v", d.SectionMissing)
			}
		})
	}
}

func TestFieldPositionsComeFromTheParser(t *testing.T) {
	src := "\ufeff# Intro é\r\n\r\n#### T-POS-001: x\r\n\r\n  - **Status**: Bogus\r\n"
	d, err := Parse("p.md", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 1 {
		t.Fatalf("findings %+v", d.Findings)
	}
	f := d.Findings[0]
	if f.Line != 5 || f.Column != 5 || f.EndLine != 5 || f.Rule != RuleStatusUnknown {
		t.Errorf("finding at %d:%d-%d %s, want 5:5-5 status-unknown", f.Line, f.Column, f.EndLine, f.Rule)
	}
	if p := d.Threats[0].Pos; p.Line != 3 || p.Column != 6 {
		t.Errorf("threat at %d:%d, want 3:6", p.Line, p.Column)
	}
}

func TestLegacyHeadingsAreNotEntries(t *testing.T) {
	src := "# T-shirts: a sale\n\n## M-commerce: payments\n\n### Threats (T-1 and M-2 style)\n\n#### The T-HTTP-001: prefix must lead\n"
	d, err := Parse("legacy.md", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Threats)+len(d.Mitigations) != 0 || len(d.Findings) != 1 || d.Findings[0].Rule != RuleModelEmpty {
		t.Errorf("legacy text produced %v %v %v", d.Threats, d.Mitigations, d.Findings)
	}
}

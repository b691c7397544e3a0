package threatmodel

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestMessagesSayWhatWasMeant(t *testing.T) {
	threat := func(fields string) string {
		return "#### T-A-1: x (CWE-1)\n\n" + fields + "\n#### M-A-1: m\n\n- **Status**: Implemented\n- **Environments**: Server\n"
	}
	tests := []struct {
		name, data string
		rule       string
		message    string // the finding's message holds this
		fix        *Fix   // nil: the finding has no fix
	}{
		{"STRIDE typo", threat("- **STRIDE**: Tampring\n- **Mitigations**: M-A-1\n"), RuleStrideUnknown,
			"did you mean Tampering?", &Fix{Line: 3, Old: "Tampring", New: "Tampering"}},
		{"STRIDE with its abbreviation", threat("- **STRIDE**: Denial of Service (DoS)\n- **Mitigations**: M-A-1\n"), RuleStrideUnknown,
			"did you mean Denial of service?", &Fix{Line: 3, Old: "Denial of Service (DoS)", New: "Denial of service"}},
		{"status typo", threat("- **STRIDE**: Spoofing\n- **Status**: Mitigatd\n- **Mitigations**: M-A-1\n"), RuleStatusUnknown,
			"did you mean Mitigated?", &Fix{Line: 4, Old: "Mitigatd", New: "Mitigated"}},
		{"environment typo", threat("- **STRIDE**: Spoofing\n- **Environments**: Sever\n- **Mitigations**: M-A-1\n"), RuleEnvironmentUnknown,
			"did you mean Server?", &Fix{Line: 4, Old: "Sever", New: "Server"}},
		{"label typo", threat("- **STRIDE**: Spoofing\n- **Mitigatons**: M-A-1\n"), RuleFieldUnknown,
			"Mitigatons is not a field: did you mean Mitigations?", &Fix{Line: 4, Old: "Mitigatons", New: "Mitigations"}},
		{"STRIDE alias", threat("- **STRIDE**: EoP\n- **Mitigations**: M-A-1\n"), RuleStrideNoncanonical,
			"write \"EoP\" as \"Elevation of privilege\"", &Fix{Line: 3, Old: "EoP", New: "Elevation of privilege"}},
		{"ID with an en dash", "#### T\u2013A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: r\n", RuleIDDash,
			"write T-A-1", &Fix{Line: 1, Old: "T\u2013A-1", New: "T-A-1"}},
		{"fields in a table", "#### T-A-1: x (CWE-1)\n\n| Field | Value |\n|---|---|\n| **STRIDE** | Spoofing |\n", RuleFieldMisplaced,
			"its fields are in a table", nil},
		{"fields in a code block", "#### T-A-1: x (CWE-1)\n\n```\nSTRIDE: Spoofing\nStatus: Open\n```\n", RuleFieldMisplaced,
			"its fields are in a code block", nil},
		{"fields in a numbered list", "#### T-A-1: x (CWE-1)\n\n1. **STRIDE**: Spoofing\n2. **Status**: Open\n", RuleFieldMisplaced,
			"its fields are in a numbered list", nil},
		{"field list after prose", "#### T-A-1: x (CWE-1)\n\nAn attacker swaps the blob.\n\n- **STRIDE**: Spoofing\n- **Status**: Open\n", RuleFieldMisplaced,
			"its field list does not follow the heading directly", nil},
		{"labels without bold", "#### T-A-1: x (CWE-1)\n\n- STRIDE: Spoofing\n- Status: Open\n", RuleFieldMisplaced,
			"its field labels are not bold", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.data)
			var found *Finding
			for i, f := range r.Findings {
				if f.Rule == tt.rule {
					found = &r.Findings[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s finding in %q", tt.rule, got(r))
			}
			if !strings.Contains(found.Message, tt.message) {
				t.Errorf("message %q lacks %q", found.Message, tt.message)
			}
			switch {
			case tt.fix == nil && found.Fix != nil:
				t.Errorf("fix %+v, want none", *found.Fix)
			case tt.fix != nil && (found.Fix == nil || *found.Fix != *tt.fix):
				t.Errorf("fix %+v, want %+v", found.Fix, *tt.fix)
			}
		})
	}
}

func TestUnknownEnvironmentsStayUnknown(t *testing.T) {
	r := check(t, "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Environments**: Browser, Kiosk\n- **Mitigations**: M-A-1\n\n#### M-A-1: m\n\n- **Environments**: Server\n")
	if g := got(r); !equalSorted(g, []string{"environment-unknown T-A-1 4", "environment-unknown T-A-1 4"}) {
		t.Errorf("findings %q: an unknown environment must not turn into All and a coverage warning", g)
	}
}

func TestMessagesArePlainTextWithAMarkdownForm(t *testing.T) {
	r := check(t, "#### T-A-1: x (CWE-1)\n\n- **Status**: Accepted\n")
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "**") || strings.ContainsAny(f.Message, emOpen+emClose) {
			t.Errorf("message %q holds markup", f.Message)
		}
		if f.Markdown == "" {
			t.Errorf("finding %s has no Markdown form", f.Rule)
		}
	}
	want := map[string][2]string{
		RuleStrideMissing:    {"T-A-1 has no STRIDE field", "T\\-A\\-1 has no **STRIDE** field"},
		RuleRationaleMissing: {"T-A-1 is Accepted but has no Rationale", "T\\-A\\-1 is Accepted but has no **Rationale**"},
	}
	for _, f := range r.Findings {
		if w, ok := want[f.Rule]; ok && (f.Message != w[0] || f.Markdown != w[1]) {
			t.Errorf("%s: %q / %q, want %q / %q", f.Rule, f.Message, f.Markdown, w[0], w[1])
		}
	}
	a, _ := Annotations(r.Findings, 0)
	for _, an := range a[0] {
		if strings.Contains(an.Message, "**") || strings.Contains(an.Title, "**") {
			t.Errorf("annotation %+v holds Markdown", an)
		}
	}
}

func TestFixesApplyOnlyWhereTheyAreUnambiguous(t *testing.T) {
	src := "#### T\u2013A-1: x (CWE-1)\n\n- **STRIDE**: Tampring, DoS\r\n- **Status**: Mitigatd\n"
	r := check(t, src)
	var fixes []Fix
	for _, f := range r.Findings {
		if f.Fix != nil {
			fixes = append(fixes, *f.Fix)
		}
	}
	fixes = append(fixes, Fix{Line: 4, Old: "S", New: "X"}) // not a whole word on its line
	out, n := ApplyFixes([]byte(src), fixes)
	want := "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Tampering, Denial of service\r\n- **Status**: Mitigated\n"
	if string(out) != want || n != 4 {
		t.Errorf("applied %d:\n%q\nwant\n%q", n, out, want)
	}
	if line, ok := (Fix{Line: 3, Old: "Tampring", New: "Tampering"}).FixedLine([]byte(src)); !ok || line != "- **STRIDE**: Tampering, DoS" {
		t.Errorf("fixed line %q %v", line, ok)
	}
	if _, n := ApplyFixes(utf16With(src, binary.LittleEndian), fixes); n != 0 {
		t.Errorf("%d fixes applied to UTF-16", n)
	}
}

func TestSuggestionsMergeTheFixesOfOneLine(t *testing.T) {
	r := check(t, "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Tampring, EoP\n- **Status**: Accepted\n- **Rationale**: r\n- **Environments**: Moon\n")
	s := Suggestions(r)
	if len(s) != 1 || s[0].Path != "f0.md" || s[0].Line != 3 || s[0].Text != "- **STRIDE**: Tampering, Elevation of privilege" || len(s[0].Findings) != 2 {
		t.Errorf("suggestions %+v", s)
	}
}

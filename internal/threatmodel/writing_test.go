package threatmodel

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16With encodes s as UTF-16 with a byte order mark.
func utf16With(s string, order binary.ByteOrder) []byte {
	units := utf16.Encode([]rune("\ufeff" + s))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(out[2*i:], u)
	}
	return out
}

const writingMitigations = "\n#### M-A-1: One\n\n- **Status**: Implemented\n\n#### M-A-2: Two\n\n- **Status**: Implemented\n"

func TestParserReadsPeoplesRealWriting(t *testing.T) {
	threat := func(mitigations string) string {
		return "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: " + mitigations + "\n" + writingMitigations
	}
	two := []string{"T-A-1@1:6 stride=[Spoofing] status=Open mitigations=[M-A-1 M-A-2] inline=[] rationale=\"\"",
		"M-A-1@6:6 status=Implemented", "M-A-2@10:6 status=Implemented"}
	tests := []struct {
		name  string
		data  []byte
		want  []string
		rules []string // finding rules besides
	}{
		{"references joined by and", []byte(threat("M-A-1 and M-A-2")), two, nil},
		{"references separated by spaces", []byte(threat("M-A-1 M-A-2")), two, nil},
		{"references separated by semicolons", []byte(threat("M-A-1; M-A-2")), two, nil},
		{"references in backticks", []byte(threat("`M-A-1`, `M-A-2`")), two, nil},
		{"references with en dashes", []byte(threat("M\u2013A\u20131, M\u2014A-2")), two, []string{RuleIDDash, RuleIDDash}},
		{"prose right under the field list", []byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1, M-A-2\nThe attacker needs a foothold first.\n" + writingMitigations),
			[]string{"T-A-1@1:6 stride=[Spoofing] status=Open mitigations=[M-A-1 M-A-2] inline=[] rationale=\"\"",
				"M-A-1@7:6 status=Implemented", "M-A-2@11:6 status=Implemented"}, nil},
		{"heading ID with an en dash", []byte("#### T\u2013A\u20131: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1, M-A-2\n" + writingMitigations), two, []string{RuleIDDash}},
		{"UTF-16 little-endian", utf16With(threat("M-A-1, M-A-2"), binary.LittleEndian), two, nil},
		{"UTF-16 big-endian", utf16With(threat("M-A-1, M-A-2"), binary.BigEndian), two, nil},
		{"UTF-8 with a BOM", []byte("\ufeff" + threat("M-A-1, M-A-2")), two, nil},
		{"CR line endings", []byte(strings.ReplaceAll(threat("M-A-1, M-A-2"), "\n", "\r")), two, nil},
		{"mixed line endings", []byte(strings.Replace(strings.Replace(threat("M-A-1, M-A-2"), "Spoofing\n", "Spoofing\r", 1), "\n\n", "\r\n\r\n", 1)), two, nil},
		{"prose headings", []byte("## T-SQL: injection basics\n\nSome prose.\n\n## T-1000\n\nA robot.\n\n## M-1 Abrams\n\nA tank.\n"), nil, []string{RuleModelEmpty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("w.md", tt.data, "")
			if err != nil {
				t.Fatal(err)
			}
			if g := entries(d); !slices.Equal(g, tt.want) {
				t.Errorf("entries\n got %s\nwant %s", strings.Join(g, "\n     "), strings.Join(tt.want, "\n     "))
			}
			var rules []string
			for _, f := range d.Findings {
				rules = append(rules, f.Rule)
			}
			if !slices.Equal(rules, tt.rules) {
				t.Errorf("findings %+v, want rules %q", d.Findings, tt.rules)
			}
		})
	}
}

package threatmodel

import (
	"fmt"
	"slices"
	"testing"
)

func TestStructureRules(t *testing.T) {
	outline := []string{"Threats", "Environments", "Threat mitigations"}
	threat := "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Environments**: %s\n- **Mitigations**: inline\n\n"
	tests := []struct {
		name     string
		files    []string
		sections []string
		want     []string // rule, file index and line
	}{
		{"complete outline", []string{"## Threats\n\n" + fmt.Sprintf(threat, "Server") + "## Environments\n\n### Server\n\ntext\n\n## Threat mitigations\n\ntext\n"},
			outline, nil},
		{"no sections configured", []string{"# Notes\n\n" + fmt.Sprintf(threat, "CLI")}, nil, nil},
		{"missing and empty sections", []string{"## Threats\n\n" + fmt.Sprintf(threat, "Server") + "## Environments\n\n<!-- later -->\n\n## Other\n\n### Server\n\ntext\n"},
			outline, []string{"section-empty 0:9", "section-missing 0:1"}},
		{"a section with only sub-headings that hold text is not empty", []string{"## Threats\n\n" + fmt.Sprintf(threat, "CLI") + "## Environments\n### CLI\ntext\n## Threat mitigations\n\ntext\n"},
			outline, nil},
		{"sections may be spread over files", []string{"## Threats\n\n" + fmt.Sprintf(threat, "SEA"), "## Environments\n\n### Single executable application\n\ntext\n\n## Threat mitigations\n\ntext\n"},
			outline, nil},
		{"an environment without a section", []string{"## Threats\n\n" + fmt.Sprintf(threat, "Server, CLI") + "## Environments\n\n### Server\n\ntext\n\n## Threat mitigations\n\ntext\n"},
			outline, []string{"environment-section-missing 0:6"}},
		{"All names every environment", []string{"## Threats\n\n" + fmt.Sprintf(threat, "All") + "## Environments\n\n### Server\n\ntext\n\n## Threat mitigations\n\ntext\n"},
			outline, []string{"environment-section-missing 0:6"}},
		{"headings are matched loosely", []string{"## THREATS\n\n" + fmt.Sprintf(threat, "Server") + "## environments\n\n### server\n\ntext\n\n## Threat  Mitigations\n\ntext\n"},
			outline, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []File
			for i, f := range tt.files {
				files = append(files, File{Path: fmt.Sprintf("m%d.md", i), Data: []byte(f)})
			}
			r, err := Check(files, Options{Sections: tt.sections})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				switch f.Rule {
				case RuleSectionMissing, RuleSectionEmpty, RuleEnvironmentSectionMissing:
					got = append(got, fmt.Sprintf("%s %c:%d", f.Rule, f.Path[1], f.Line))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

// A section missing before the change is not the change's fault.
func TestStructureFindingsOfTheBaseAreNotices(t *testing.T) {
	model := "## Threats\n\n#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: inline\n"
	changed := model + "\n#### T-A-2: y (CWE-2)\n\n- **STRIDE**: Tampering\n- **Mitigations**: inline\n"
	r, err := CheckChange([]File{{Path: "m.md", Data: []byte(model)}}, []File{{Path: "m.md", Data: []byte(changed)}}, Options{Sections: []string{"Threats", "Environments"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Rule == RuleSectionMissing && f.Severity != SeverityNotice {
			t.Errorf("pre-existing missing section enforced: %+v", f)
		}
	}
}

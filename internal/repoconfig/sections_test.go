package repoconfig

import (
	"slices"
	"strings"
	"testing"
)

func TestSectionsListRequiredHeadings(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
		err        string
	}{
		{"a list", "threat_model:\n  sections:\n    - Threats\n    - \"  Threat   mitigations \"\n", []string{"Threats", "Threat mitigations"}, ""},
		{"not a list", "threat_model:\n  sections: Threats\n", nil, ".github/secwg.yml:2: threat_model.sections: must be a list of headings"},
		{"an empty heading", "threat_model:\n  sections:\n    - \"\"\n", nil, ".github/secwg.yml:3: threat_model.sections: empty heading"},
		{"a heading twice", "threat_model:\n  sections:\n    - Threats\n    - threats\n", nil, `.github/secwg.yml:4: threat_model.sections: heading "threats" is listed twice (first on line 3)`},
		{"a number", "threat_model:\n  sections:\n    - 3\n", nil, ".github/secwg.yml:3: threat_model.sections: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(".github/secwg.yml", []byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.ThreatModel.Sections, tt.want) || !slices.Equal(c.Options().Sections, tt.want) {
				t.Errorf("sections %q, options %q; want %q", c.ThreatModel.Sections, c.Options().Sections, tt.want)
			}
		})
	}
}

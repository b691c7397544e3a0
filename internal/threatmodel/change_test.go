package threatmodel

import (
	"slices"
	"testing"
)

const seaModel = "#### T-SEA-001: Injected blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n\n" +
	"#### M-SEA-001: Signed blobs\n\n- **Status**: Implemented\n"

func TestChangeEnforcesNewEntriesUnderMalformedHeadings(t *testing.T) {
	tests := []struct {
		name, added string
	}{
		{"lower-case ID", "\n#### T-sea-002: Swapped blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n"},
		{"no colon", "\n#### T-SEA-002 Swapped blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n"},
		{"fields in a table", "\n#### T-SEA-002: Swapped blob (CWE-94)\n\n| Field | Value |\n|---|---|\n| STRIDE | Tampering |\n| Mitigations | M-SEA-001 |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := []File{{Path: "model.md", Data: []byte(seaModel)}}
			head := []File{{Path: "model.md", Data: []byte(seaModel + tt.added)}}
			r, err := CheckChange(base, head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Failed() {
				t.Errorf("a new entry under a malformed heading passed: %+v", r.Findings)
			}
			// The same heading left alone by a later change is legacy text.
			r, err = CheckChange(head, head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Failed() || r.Counts.Notices == 0 {
				t.Errorf("an unchanged malformed heading is enforced: %+v", r.Findings)
			}
		})
	}
}

func TestChangeEnforcesLinksToRemovedMitigations(t *testing.T) {
	threats := "#### T-SEA-001: Injected blob (CWE-94)\n\n- **STRIDE**: Tampering\n- **Mitigations**: M-SEA-001\n"
	mitigations := "\n#### M-SEA-001: Signed blobs\n\n- **Status**: Implemented\n"
	tests := []struct {
		name       string
		base, head []File
	}{
		{"file deleted", []File{{Path: "t.md", Data: []byte(threats)}, {Path: "m.md", Data: []byte(mitigations)}},
			[]File{{Path: "t.md", Data: []byte(threats)}}},
		{"section deleted", []File{{Path: "t.md", Data: []byte(threats + mitigations)}},
			[]File{{Path: "t.md", Data: []byte(threats + "\n## Notes\n\nNone.\n")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := CheckChange(tt.base, tt.head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if g := got(r); !r.Failed() || !slices.Contains(g, "mitigation-undefined T-SEA-001 4") {
				t.Errorf("findings %q", g)
			}
			var enforced bool
			for _, f := range r.Findings {
				enforced = enforced || f.Rule == RuleMitigationUndefined && f.Severity == SeverityError
			}
			if !enforced {
				t.Errorf("the link to the removed mitigation is not an error: %+v", r.Findings)
			}
		})
	}
}

func TestChangesListEveryKindOfEdit(t *testing.T) {
	base := []File{{Path: "model.md", Data: readFixture(t, "diff/base.md")}}
	head := []File{{Path: "model.md", Data: readFixture(t, "diff/head.md")}}
	r, err := CheckChange(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var g []string
	for _, c := range r.Diff.Changes() {
		g = append(g, c.Kind+" "+c.ID+" "+c.From+">"+c.To)
		if c.Path == "" || c.Line < 1 {
			t.Errorf("change %+v has no place", c)
		}
	}
	want := []string{
		"added T-NEW-002 >",
		"changed T-EDIT-001 >",
		"changed T-RISK-001 >",
		"renamed T-REN-001 T-OLD-001>T-REN-001",
		"removed T-GONE-001 >",
		"removed M-DROP-001 >",
		"status T-RISK-001 Open>Accepted",
	}
	if !equalSorted(g, want) {
		t.Errorf("changes\n got %q\nwant %q", g, want)
	}
}

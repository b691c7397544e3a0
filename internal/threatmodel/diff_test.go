package threatmodel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func refs(es []EntryRef) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestChangeEnforcesOnlyAddedAndChangedEntries(t *testing.T) {
	base := []File{{Path: "model.md", Data: readFixture(t, "diff/base.md")}}
	head := []File{{Path: "model.md", Data: readFixture(t, "diff/head.md")}}
	r, err := CheckChange(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Diff
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"added", refs(d.Added), []string{"T-NEW-002"}},
		{"changed", refs(d.Changed), []string{"T-EDIT-001", "T-RISK-001"}},
		{"removed", refs(d.Removed), []string{"T-GONE-001", "M-DROP-001"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(d.Renamed) != 1 || d.Renamed[0].From.ID != "T-OLD-001" || d.Renamed[0].To.ID != "T-REN-001" {
		t.Errorf("renamed %+v", d.Renamed)
	}
	if len(d.StatusChanges) != 1 || d.StatusChanges[0].Entry.ID != "T-RISK-001" || d.StatusChanges[0].From != StatusOpen || d.StatusChanges[0].To != StatusAccepted {
		t.Errorf("status changes %+v", d.StatusChanges)
	}
	if d.Untouched != 2 {
		t.Errorf("untouched %d, want 2", d.Untouched)
	}
	var enforced, notices []string
	for _, f := range r.Findings {
		if f.Severity == SeverityNotice {
			notices = append(notices, f.Entry+" "+f.Rule)
		} else {
			enforced = append(enforced, f.Entry+" "+f.Rule)
		}
	}
	slices.Sort(enforced)
	wantEnforced := []string{
		"T-EDIT-001 stride-unknown",
		"T-NEW-002 stride-missing",
		"T-RISK-001 mitigation-undefined",
		"T-RISK-001 rationale-missing",
	}
	if !slices.Equal(enforced, wantEnforced) {
		t.Errorf("enforced %q, want %q", enforced, wantEnforced)
	}
	slices.Sort(notices)
	wantNotices := []string{"T-KEEP-001 cwe-missing", "T-KEEP-001 mitigation-missing", "T-KEEP-001 stride-unknown"}
	if !slices.Equal(notices, wantNotices) {
		t.Errorf("notices %q, want %q", notices, wantNotices)
	}
	if !r.Failed() || r.Counts.Errors != 4 || r.Counts.Notices != 3 {
		t.Errorf("counts %+v", r.Counts)
	}
}

func TestUnchangedModelPassesDespiteLegacyErrors(t *testing.T) {
	data := readFixture(t, "diff/base.md")
	crlf := []byte(strings.ReplaceAll(string(data), "\n", "  \r\n"))
	r, err := CheckChange([]File{{Path: "m.md", Data: data}}, []File{{Path: "m.md", Data: crlf}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed() || r.Counts.Notices == 0 || len(r.Diff.Changed)+len(r.Diff.Added)+len(r.Diff.Removed) != 0 {
		t.Errorf("counts %+v diff %+v", r.Counts, r.Diff)
	}
	full, err := Check([]File{{Path: "m.md", Data: data}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !full.Failed() {
		t.Error("the same model checked as a whole should fail")
	}
}

func TestRemovingAMitigationEnforcesOnThreatsLinkingIt(t *testing.T) {
	threat := "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n"
	base := []File{{Path: "t.md", Data: []byte(threat)}, {Path: "m.md", Data: []byte(mitigationAll)}}
	head := []File{{Path: "t.md", Data: []byte(threat)}}
	r, err := CheckChange(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := got(r); !slices.Equal(g, []string{"mitigation-undefined T-A-1 4"}) || !r.Failed() {
		t.Errorf("findings %q", g)
	}
}

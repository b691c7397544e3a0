package threatmodel

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/golden"
)

func TestThreatDragonMistakesMatchGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/threatdragon/mistakes.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check([]File{{Path: "mistakes.json", Data: data}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/threatdragon/mistakes.golden", renderFindings(r))
}

// The anchor is Threat Dragon's own demo: two STRIDE threats, both Mitigated
// with a mitigation, so it reads clean.
func TestThreatDragonAnchorModel(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the directory holding anchors/threat-models")
	}
	data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "threat-dragon-three-tier-web-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check([]File{{Path: "three-tier-web-app.json", Data: data}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/threatdragon/anchor.golden", renderFindings(r))
	if len(r.Findings) != 0 {
		t.Errorf("the anchor model has findings, want none: %+v", r.Findings)
	}
	var got []string
	for _, th := range r.Documents[0].Threats {
		got = append(got, th.ID+" "+th.Title+" "+th.Status+" "+strconv.Itoa(th.Pos.Line))
	}
	want := []string{"264eeb9a-f5b3-4224-93e7-ac0cb72f20de Store Sensitive Data Mitigated 459"}
	if len(got) != 2 || got[0] != want[0] {
		t.Errorf("threats %q, want 2 starting with %q", got, want[0])
	}
	if r.Coverage[slices.Index(Categories, InformationDisclosure)][0].Threats != 2 {
		t.Errorf("coverage does not count the two Information disclosure threats: %+v", r.Coverage)
	}
}

func TestThreatDragonMistakes(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // rule and line
	}{
		{"invalid JSON", "{\n  \"summary\": {,\n}", []string{"json-invalid 2"}},
		{"not a Threat Dragon model", `{"name": "pkg", "version": "1.0.0"}`, []string{"format-unsupported 1"}},
		{"a version 1 model", `{"summary": {}, "detail": {"diagrams": [{"diagramJson": {}}]}}`, []string{"format-unsupported 1"}},
		{"no threats", `{"summary": {}, "detail": {"diagrams": []}}`, []string{"model-empty 1"}},
		{"a threat without an id", "{\"summary\": {}, \"detail\": {\"diagrams\": [{\"diagramType\": \"STRIDE\", \"cells\": [{\"data\": {\"threats\": [\n{\"title\": \"x\", \"status\": \"Open\", \"type\": \"Spoofing\", \"mitigation\": \"m\"}]}}]}]}}",
			[]string{"id-malformed 2"}},
		{"the diagram's type applies when the threat names none", "{\"summary\": {}, \"detail\": {\"diagrams\": [{\"diagramType\": \"STRIDE\", \"cells\": [{\"data\": {\"threats\": [\n{\"id\": \"a\", \"status\": \"Open\", \"type\": \"Sneaking\", \"mitigation\": \"m\"}]}}]}]}}",
			[]string{"stride-unknown 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check([]File{{Path: "model.json", Data: []byte(tt.doc)}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Rule+" "+strconv.Itoa(f.Line))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestThreatDragonDiffComparesThreatsByID(t *testing.T) {
	base, err := os.ReadFile("testdata/threatdragon/mistakes.json")
	if err != nil {
		t.Fatal(err)
	}
	// The change fixes the first threat's mitigation and leaves the others.
	head := strings.Replace(string(base), `"mitigation": "",`, `"mitigation": "Signed requests",`, 1)
	r, err := CheckChange([]File{{Path: "m.json", Data: base}}, []File{{Path: "m.json", Data: []byte(head)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diff.Changed) != 1 || r.Diff.Changed[0].ID != "11111111-0000-4000-8000-000000000001" || r.Diff.Untouched != 5 {
		t.Errorf("diff %+v", r.Diff)
	}
	if r.Failed() {
		t.Errorf("findings on untouched threats fail the change: %+v", r.Findings)
	}
}

func TestYAMLModelsAreNotRead(t *testing.T) {
	r, err := Check([]File{{Path: "threagile.yaml", Data: []byte("threagile_version: 1.0.0\nrisk_tracking:\n")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Rule != RuleFormatUnsupported || !strings.Contains(r.Findings[0].Message, "Threagile") {
		t.Errorf("findings %+v, want one format-unsupported naming Threagile", r.Findings)
	}
}

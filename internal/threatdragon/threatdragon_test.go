package threatdragon

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeFindsThreatsWithTheirOffsets(t *testing.T) {
	doc := `{"summary": {"title": "M"}, "detail": {"diagrams": [{"cells": [
  {"data": {"threats": [
    {"id": "a", "title": "T1", "type": "Tampering", "status": "Open", "mitigation": "", "nested": {"id": "x"}},
    {"id": "b", "title": "T2"}
  ], "name": "Web"}}], "title": "D", "diagramType": "STRIDE"}]}}`
	m, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "M" || len(m.Threats) != 2 {
		t.Fatalf("model %+v", m)
	}
	a := m.Threats[0]
	if a.ID != "a" || a.Type != "Tampering" || a.Status != "Open" || !a.Has("mitigation") || a.Has("severity") {
		t.Errorf("threat a %+v", a)
	}
	if doc[a.Start] != '{' || doc[a.End] != '}' || doc[a.Start:a.Start+7] != `{"id": ` {
		t.Errorf("threat a spans %q…%q", doc[a.Start:a.Start+7], doc[a.End])
	}
	if a.Diagram != "D" || a.DiagramType != "STRIDE" || a.Element != "Web" {
		t.Errorf("threat a is in %q (%q) on %q", a.Diagram, a.DiagramType, a.Element)
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, doc string
		err       error
	}{
		{"a package manifest", `{"name": "x", "version": "1.0.0"}`, ErrNotThreatDragon},
		{"a version 1 model", `{"summary": {}, "detail": {"diagrams": [{"diagramJson": {"cells": []}}]}}`, ErrVersion1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode([]byte(tt.doc)); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
	var se *SyntaxError
	if _, err := Decode([]byte(`{"summary": {"title": "x",}`)); !errors.As(err, &se) || se.Offset != 26 {
		t.Errorf("err = %v, want a syntax error at offset 26", err)
	}
	deep := make([]byte, 0, 2*MaxDepth+2)
	for range MaxDepth + 1 {
		deep = append(deep, '[')
	}
	if _, err := Decode(deep); err == nil {
		t.Error("nesting past MaxDepth was accepted")
	}
}

func TestDecodeTheAnchorModel(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the directory holding anchors/threat-models")
	}
	data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "threat-dragon-three-tier-web-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Three Tier Web Application" || len(m.Threats) != 2 {
		t.Fatalf("%q with %d threats", m.Title, len(m.Threats))
	}
	for _, th := range m.Threats {
		if th.ModelType != "STRIDE" || th.DiagramType != "STRIDE" || th.Status != "Mitigated" || th.Mitigation == "" {
			t.Errorf("threat %+v", th)
		}
	}
}

// Empty threats cost no allocation of their own: a megabyte of them must
// not take a heap object each.
func TestDecodeAllocatesNothingPerEmptyThreat(t *testing.T) {
	for _, n := range []int{1000, 10000} {
		data := []byte(`{"summary": {}, "detail": {"diagrams": [{"cells": [{"data": {"threats": [` +
			strings.Repeat(`{},`, n-1) + `{}]}}]}]}}`)
		var m *Model
		allocs := testing.AllocsPerRun(1, func() {
			var err error
			if m, err = Decode(data); err != nil {
				t.Fatal(err)
			}
		})
		if len(m.Threats) != n || allocs > float64(n/10) {
			t.Errorf("%d threats took %.0f allocations, want %d threats and at most %d", len(m.Threats), allocs, n, n/10)
		}
	}
}

func TestDecodeTellsAMissingFieldFromAnEmptyOne(t *testing.T) {
	m, err := Decode([]byte(`{"summary": {}, "detail": {"diagrams": [{"cells": [{"data": {"threats": [
		{"id": "a", "severity": "", "x": 1, "nested": {"title": "t"}}, {}]}}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		threat int
		key    string
		want   bool
	}{
		{0, "id", true}, {0, "severity", true}, {0, "title", false}, {0, "x", false}, {0, "mitigation", false},
		{1, "id", false}, {1, "severity", false},
	}
	for _, tt := range tests {
		if got := m.Threats[tt.threat].Has(tt.key); got != tt.want {
			t.Errorf("threat %d holds %q: %v, want %v", tt.threat, tt.key, got, tt.want)
		}
	}
}

package repoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/secwg/secwg/internal/threatmodel"
)

func TestParseReadsEveryThreatModelKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "full.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(".github/secwg.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	tm := c.ThreatModel
	if len(tm.Paths) != 2 || tm.Paths[1] != "docs/**/threat-*.md" || tm.Section != "The Node.js threat model" || tm.CheckName != "threat model" {
		t.Errorf("threat model %+v", tm)
	}
	want := map[string]threatmodel.Severity{"cwe-missing": threatmodel.SeverityOff, "mitigation-unreferenced": threatmodel.SeverityError, "stride-noncanonical": threatmodel.SeverityWarning}
	if len(tm.Rules) != len(want) {
		t.Errorf("rules %v", tm.Rules)
	}
	for k, v := range want {
		if tm.Rules[k] != v {
			t.Errorf("rule %s = %v, want %v", k, tm.Rules[k], v)
		}
	}
	if o := c.Options(); o.Section != tm.Section || o.Severities["cwe-missing"] != threatmodel.SeverityOff {
		t.Errorf("options %+v", o)
	}
	if !c.Enabled() {
		t.Error("config with paths is not enabled")
	}
}

func TestEmptyConfigEnablesNothing(t *testing.T) {
	for _, data := range []string{"", "# nothing\n", "threat_model:\n"} {
		c, err := Parse("secwg.yml", []byte(data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if c.Enabled() || c.ThreatModel.CheckName != DefaultCheckName || c.Matches("SECURITY.md") {
			t.Errorf("%q: %+v", data, c)
		}
	}
}

func TestBrokenConfigNamesFileLineAndKey(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		key        string
	}{
		{"unknown top-level key", "threat_model:\n  paths: [a.md]\nmeeting:\n  x: 1\n", 3, "meeting"},
		{"unknown nested key", "threat_model:\n  paths: [a.md]\n  sections: x\n", 3, "threat_model.sections"},
		{"unknown rule", "threat_model:\n  rules:\n    stride-mising: error\n", 3, "threat_model.rules.stride-mising"},
		{"bad severity", "threat_model:\n  rules:\n    cwe-missing: fatal\n", 3, "threat_model.rules.cwe-missing"},
		{"bad glob", "threat_model:\n  paths:\n    - docs/[a.md\n", 3, "threat_model.paths"},
		{"partial double star", "threat_model:\n  paths:\n    - docs/a**.md\n", 3, "threat_model.paths"},
		{"paths not a list", "threat_model:\n  paths: SECURITY.md\n", 2, "threat_model.paths"},
		{"section not a string", "threat_model:\n  section: [a]\n", 2, "threat_model.section"},
		{"repeated key", "threat_model:\n  section: a\n  section: b\n", 3, "threat_model.section"},
		{"top level not a mapping", "- a\n", 1, ""},
		{"syntax error", "threat_model:\n  paths:\n\t- a.md\n", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(".github/secwg.yml", []byte(tt.data))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.File != ".github/secwg.yml" || e.Line != tt.line || e.Key != tt.key || e.Message == "" {
				t.Errorf("error %+v, want line %d key %q", e, tt.line, tt.key)
			}
		})
	}
}

func TestMatchesGlobsWithDoubleStar(t *testing.T) {
	c := &Config{ThreatModel: ThreatModel{Paths: []string{"SECURITY.md", "docs/**/threat-*.md", "**/THREAT_MODEL.md"}}}
	tests := []struct {
		path string
		want bool
	}{
		{"SECURITY.md", true},
		{"lib/SECURITY.md", false},
		{"docs/threat-http.md", true},
		{"docs/a/b/threat-http.md", true},
		{"docs/a/b/other.md", false},
		{"THREAT_MODEL.md", true},
		{"x/y/THREAT_MODEL.md", true},
		{"x/y/THREAT_MODEL.md.bak", false},
	}
	for _, tt := range tests {
		if got := c.Matches(tt.path); got != tt.want {
			t.Errorf("Matches(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

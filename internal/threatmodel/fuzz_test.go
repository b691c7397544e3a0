package threatmodel

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/parse", "testdata/diff"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.md"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, "")
		}
	}
	f.Add(formatExample(f), "Threats")
	f.Add([]byte("---\n#### T-A-1: x\n- **STRIDE**:\n  - S\n"), "")
	for _, s := range hostileShapes {
		f.Add(s.build(4<<10), "")
	}
	f.Fuzz(func(t *testing.T, data []byte, section string) {
		d, err := Parse("fuzz.md", data, section)
		if err != nil {
			return
		}
		r := report([]*Document{d}, nil, nil, nil, Options{})
		for _, f := range r.Findings {
			if f.Line < 1 || f.Column < 1 || f.EndLine < f.Line {
				t.Fatalf("finding at %d:%d-%d", f.Line, f.Column, f.EndLine)
			}
		}
		if s := Summary(r); len(s) > MaxSummaryLength {
			t.Fatalf("summary of %d bytes", len(s))
		}
		Annotations(r.Findings, 0)
		for _, f := range r.Findings {
			if f.Fix != nil {
				if _, n := ApplyFixes(data, []Fix{*f.Fix}); n > 1 {
					t.Fatalf("one fix applied %d times", n)
				}
			}
		}
		diff([]*Document{d}, []*Document{d})
	})
}

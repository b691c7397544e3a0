package threatmodel

import (
	"os"
	"testing"
)

// FuzzTablesAndThreatDragon reads input as a Markdown file (for tables) and as
// a Threat Dragon file: positions stay inside the file and nothing panics.
func FuzzTablesAndThreatDragon(f *testing.F) {
	for _, p := range []string{"testdata/table.md", "testdata/threatdragon/mistakes.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("| ID | STRIDE | Mitigations |\n|---|---|---|\n| T-A-1 \\| x | `a|b` | M-A-1<br> |\n|"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"fuzz.md", "fuzz.json"} {
			d, err := Parse(name, data, "")
			if err != nil {
				continue
			}
			lines := 1
			for _, c := range data {
				if c == '\n' {
					lines++
				}
			}
			r := report([]*Document{d}, nil, nil, nil, Options{Sections: []string{"Threats"}})
			for _, f := range r.Findings {
				if f.Line < 1 || f.Column < 1 || f.EndLine < f.Line || f.EndLine > lines {
					t.Fatalf("%s: finding at %d:%d-%d in %d lines", name, f.Line, f.Column, f.EndLine, lines)
				}
			}
			diff([]*Document{d}, []*Document{d})
		}
	})
}

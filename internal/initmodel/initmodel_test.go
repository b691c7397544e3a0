package initmodel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/golden"
	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

// nodeSecurity returns Node.js's real SECURITY.md from the shared anchors.
func nodeSecurity(t *testing.T) []byte {
	t.Helper()
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the directory holding anchors/threat-models")
	}
	data, err := os.ReadFile(filepath.Join(shared, "anchors", "threat-models", "nodejs-node-SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lintAsConfigured checks a model with the options its generated config asks for.
func lintAsConfigured(t *testing.T, model []byte) *threatmodel.Report {
	t.Helper()
	cfg, err := repoconfig.Parse(DefaultConfigPath, Config(DefaultModelPath))
	if err != nil {
		t.Fatalf("generated config does not parse: %v", err)
	}
	if !cfg.Matches(DefaultModelPath) {
		t.Fatalf("generated config does not match %s", DefaultModelPath)
	}
	r, err := threatmodel.Check([]threatmodel.File{{Path: DefaultModelPath, Data: model}}, cfg.Options())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestInitOutputMatchesGolden(t *testing.T) {
	golden.File(t, "testdata/starter.md.golden", string(Starter("Node.js", DefaultModelPath, nil)))
	golden.File(t, "testdata/secwg.yml.golden", string(Config(DefaultModelPath)))
}

func TestStarterLintsWithZeroErrors(t *testing.T) {
	r := lintAsConfigured(t, Starter("Node.js", DefaultModelPath, nil))
	if r.Counts.Errors != 0 {
		t.Errorf("starter has %d errors: %+v", r.Counts.Errors, r.Findings)
	}
}

func TestStarterHasTheAgreedOutline(t *testing.T) {
	model := string(Starter("Node.js", DefaultModelPath, nil))
	for _, h := range Outline {
		if !strings.Contains(model, "\n## "+h+"\n") {
			t.Errorf("no section %q", h)
		}
	}
	for _, env := range threatmodel.Environments {
		if !strings.Contains(model, "\n### "+string(env)+"\n") {
			t.Errorf("no environment section %q", env)
		}
	}
	for _, c := range threatmodel.Categories {
		if !strings.Contains(model, "- **STRIDE**: "+string(c)+"\n") {
			t.Errorf("no commented example for %s", c)
		}
	}
}

// The examples must stay valid entries, so that a person who uncomments one gets no error.
func TestStarterExamplesLintCleanOnceUncommented(t *testing.T) {
	model := strings.NewReplacer("<!--\n#", "#", "\n-->", "\n").Replace(string(Starter("Node.js", DefaultModelPath, nil)))
	r := lintAsConfigured(t, []byte(model))
	if r.Counts.Threats != len(threatmodel.Categories) || r.Counts.Mitigations != 1 {
		t.Fatalf("uncommented starter has %d threats and %d mitigations", r.Counts.Threats, r.Counts.Mitigations)
	}
	if r.Counts.Errors != 0 {
		t.Errorf("uncommented examples have errors: %+v", r.Findings)
	}
}

func TestDraftFromNodeSecurityMatchesGolden(t *testing.T) {
	d, err := Draft("SECURITY.md", nodeSecurity(t), "The Node.js threat model")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Count(KindThreat); got != 4 {
		t.Errorf("%d drafts from the examples of vulnerabilities, want 4", got)
	}
	if got := d.Count(KindOutOfScope); got != 16 {
		t.Errorf("%d drafts from the examples of non-vulnerabilities, want 16", got)
	}
	golden.File(t, "testdata/node-security.md.golden", string(Starter("Node.js", DefaultModelPath, d)))
}

func TestDraftsNameTheFieldsLeftToFill(t *testing.T) {
	d, err := Draft("SECURITY.md", nodeSecurity(t), "The Node.js threat model")
	if err != nil {
		t.Fatal(err)
	}
	r := lintAsConfigured(t, Starter("Node.js", DefaultModelPath, d))
	rules := map[string]map[string]bool{}
	for _, f := range r.Findings {
		if rules[f.Entry] == nil {
			rules[f.Entry] = map[string]bool{}
		}
		rules[f.Entry][f.Rule] = true
	}
	for _, c := range d.Candidates {
		if !rules[c.ID][threatmodel.RuleStrideMissing] {
			t.Errorf("%s (%s): no stride-missing finding", c.ID, c.Title)
		}
		if c.Kind == KindThreat && !rules[c.ID][threatmodel.RuleMitigationMissing] {
			t.Errorf("%s (%s): no mitigation-missing finding", c.ID, c.Title)
		}
		if c.Kind == KindOutOfScope && (rules[c.ID][threatmodel.RuleMitigationMissing] || rules[c.ID][threatmodel.RuleRationaleMissing]) {
			t.Errorf("%s (%s): an out-of-scope entry needs no mitigation and has its rationale: %v", c.ID, c.Title, rules[c.ID])
		}
	}
	if r.Counts.Threats != 20 {
		t.Errorf("the drafted model reads as %d threats, want 20", r.Counts.Threats)
	}
}

func TestDraftIsDeterministic(t *testing.T) {
	data := nodeSecurity(t)
	a, _ := Draft("SECURITY.md", data, "")
	b, _ := Draft("SECURITY.md", data, "")
	if !bytes.Equal(Starter("x", DefaultModelPath, a), Starter("x", DefaultModelPath, b)) {
		t.Error("two drafts of the same input differ")
	}
}

func TestDraftCandidates(t *testing.T) {
	tests := []struct {
		name, doc, section string
		want               []string // title/kind/line
		err                error
	}{
		{
			name: "examples of vulnerabilities and non-vulnerabilities",
			doc:  "# Policy\n\n## Examples of vulnerabilities\n\n### A\n\ntext a\n\n### B\n\ntext b\n\n## Examples of non-vulnerabilities\n\n### C\n\ntext c\n",
			want: []string{"A/0/5", "B/0/9", "C/1/15"},
		},
		{
			name: "only direct sub-headings; deeper ones stay in the text",
			doc:  "## Threats\n\n### A\n\n#### detail\n\nmore\n\n### B\n",
			want: []string{"A/0/3", "B/0/9"},
		},
		{
			name: "setext headings and a threat list",
			doc:  "Threat list\n===========\n\nA\n-\n\ntext\n",
			want: []string{"A/0/4"},
		},
		{
			name: "headings that merely mention vulnerabilities are not groups",
			doc:  "## What constitutes a vulnerability\n\n### Denial of service\n\ntext\n",
		},
		{
			name:    "section limits the search",
			doc:     "## Threats\n\n### A\n\n## Model\n\n### Threats\n\n#### B\n\n## Other\n",
			section: "model",
			want:    []string{"B/0/9"},
		},
		{
			name:    "the section may itself be the list of examples",
			doc:     "# Doc\n\n## Threat List\n\n### A\n\n### B\n\n## Other\n\n### C\n",
			section: "threat list",
			want:    []string{"A/0/5", "B/0/7"},
		},
		{
			name: "CRLF line endings",
			doc:  "## Examples of vulnerabilities\r\n\r\n### A\r\n\r\ntext\r\n",
			want: []string{"A/0/3"},
		},
		{
			name: "headings in code blocks are not read",
			doc:  "## Threats\n\n```\n### not a heading\n```\n\n### A\n",
			want: []string{"A/0/7"},
		},
		{
			name:    "a section that is not there",
			doc:     "## Threats\n\n### A\n",
			section: "The Node.js threat model",
			err:     ErrSectionNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Draft("doc.md", []byte(tt.doc), tt.section)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, c := range d.Candidates {
				got = append(got, fmt.Sprintf("%s/%d/%d", c.Title, c.Kind, c.Line))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("candidates %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDraftQuotesTheOriginalText(t *testing.T) {
	doc := "## Examples of non-vulnerabilities\n\n### Peers\n\n* first line\n  wrapped\n\n```js\ncode()\n```\n"
	d, err := Draft("SECURITY.md", []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	model := string(Starter("P", DefaultModelPath, d))
	for _, want := range []string{
		"- **Rationale**: first line wrapped\n",
		"- **Source**: [SECURITY.md line 3](SECURITY.md?plain=1#L3)\n",
		"> * first line\n>   wrapped\n>\n> ```js\n> code()\n> ```\n",
	} {
		if !strings.Contains(model, want) {
			t.Errorf("model lacks %q:\n%s", want, model)
		}
	}
}

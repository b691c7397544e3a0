package threatmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// Heading is a top-level heading of the part of a file that is the model.
type Heading struct {
	Text  string
	Level int
	Pos   Position
	// Empty is set when nothing but HTML comments stands between the
	// heading and the next heading of the same or a higher level.
	Empty bool
}

// collectHeadings records the headings in [first, end) for the structure rules.
func (p *docParser) collectHeadings(first, end ast.Node) {
	var open []int // indexes of headings whose section is still open
	for n := first; n != nil && n != end; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok {
			if _, comment := n.(*ast.HTMLBlock); !comment {
				for _, i := range open {
					p.doc.Headings[i].Empty = false
				}
				open = open[:0]
			}
			continue
		}
		// A heading closes the sections of its level and deeper.
		open = slices.DeleteFunc(open, func(i int) bool { return p.doc.Headings[i].Level >= h.Level })
		p.doc.Headings = append(p.doc.Headings, Heading{Text: clean(inlineText(h, p.body, nil)), Level: h.Level, Pos: p.pos(h), Empty: true})
		open = append(open, len(p.doc.Headings)-1)
	}
}

// structure applies threat_model.sections: each required heading must be in
// one of the Markdown files (section-missing) and hold something
// (section-empty), and each environment a threat names must have a section
// of its own (environment-section-missing). Without required sections it
// finds nothing.
func structure(docs []*Document, required []string) []Finding {
	var markdown []*Document
	for _, d := range docs {
		if _, other := formatOf(d.Path); !other {
			markdown = append(markdown, d)
		}
	}
	if len(required) == 0 || len(markdown) == 0 {
		return nil
	}
	var out []Finding
	find := func(text string) (*Document, *Heading) {
		for _, d := range markdown {
			for i := range d.Headings {
				if normalize(d.Headings[i].Text) == normalize(text) {
					return d, &d.Headings[i]
				}
			}
		}
		return nil, nil
	}
	top := Position{Line: 1, Column: 1, EndLine: 1}
	for _, want := range required {
		d, h := find(want)
		switch {
		case h == nil:
			out = append(out, newFinding(markdown[0].Path, top, RuleSectionMissing, "",
				fmt.Sprintf("no heading reads %s, a section %s requires; add it, or change the list", quote(want), em("threat_model.sections"))))
		case h.Empty:
			out = append(out, newFinding(d.Path, h.Pos, RuleSectionEmpty, "",
				fmt.Sprintf("the section %s is empty; write what it covers, even if only to say what is not modelled yet", quote(h.Text))))
		}
	}
	envSection := map[Environment]bool{}
	for _, d := range markdown {
		for _, h := range d.Headings {
			if c, _, ok := environmentVocabulary.lookup(h.Text); ok && c != environmentAll {
				envSection[Environment(c)] = true
			}
		}
	}
	for _, d := range markdown {
		for _, t := range d.Threats {
			f, ok := t.Field(labelEnvironments)
			if !ok || t.Format != FormatMarkdown {
				continue // a threat that names no environment needs no section
			}
			var missing []string
			for _, env := range t.Environments {
				if !envSection[env] {
					missing = append(missing, string(env))
				}
			}
			if len(missing) > 0 {
				out = append(out, newFinding(d.Path, f.Pos, RuleEnvironmentSectionMissing, t.ID,
					fmt.Sprintf("%s applies to %s, which %s no section of the model; add a heading per environment, such as %s",
						t.ID, strings.Join(missing, ", "), plural(len(missing), "has", "have"), quote(missing[0]))))
			}
		}
	}
	return out
}

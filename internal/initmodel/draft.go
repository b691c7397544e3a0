package initmodel

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Kind says what a drafted entry becomes.
type Kind int

// Kinds of drafted entries.
const (
	// KindThreat is an example of a vulnerability: a threat to be categorised and mitigated.
	KindThreat Kind = iota
	// KindOutOfScope is an example of a non-vulnerability: a Not applicable
	// threat whose prose is its rationale.
	KindOutOfScope
)

// Candidate is one example found in the prose.
type Candidate struct {
	ID    string
	Title string
	Kind  Kind
	// Line is the 1-based line of the example's heading in the source.
	Line int
	// Text is the example's Markdown under its heading, as written.
	Text string
	// Rationale is the first paragraph of Text on one line.
	Rationale string
}

// Drafts are the candidates found in one source file.
type Drafts struct {
	// Name is the source as shown to the reader; Link is where the model's
	// links point, relative to the model file.
	Name, Link string
	Candidates []Candidate
}

// Count returns how many candidates are of kind k.
func (d *Drafts) Count(k Kind) int {
	n := 0
	for _, c := range d.Candidates {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// ErrSectionNotFound is returned when --section names no heading of the source.
var ErrSectionNotFound = errors.New("no heading matches the section")

// MaxSourceSize bounds the prose a draft is made from; real security policies are tens of kilobytes.
const MaxSourceSize = 4 << 20

// groupKind classifies a heading that introduces examples: "Examples of
// vulnerabilities", "Threats", "Threat list" hold threats; "Examples of
// non-vulnerabilities", "Out of scope" hold out-of-scope entries.
func groupKind(heading string) (Kind, bool) {
	h := strings.ToLower(strings.Join(strings.FieldsFunc(heading, func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == ':' || r == '.'
	}), " "))
	for _, p := range []string{"examples of ", "list of ", "known ", "common "} {
		h = strings.TrimPrefix(h, p)
	}
	switch h {
	case "vulnerabilities", "threats", "threat list", "threat":
		return KindThreat, true
	case "non vulnerabilities", "not vulnerabilities", "non threats", "out of scope", "out of scope threats":
		return KindOutOfScope, true
	}
	return 0, false
}

type heading struct {
	level int
	text  string
	line  int
	start int // offset of the heading's first line
	body  int // offset of the line after the heading
	node  *ast.Heading
}

// Draft finds the examples in a Markdown document: each sub-heading of a
// heading such as "Examples of vulnerabilities" or "Examples of
// non-vulnerabilities" is a candidate. section, when not empty, limits the
// search to the part of the document under the heading with that text.
func Draft(name string, data []byte, section string) (*Drafts, error) {
	if len(data) > MaxSourceSize {
		return nil, fmt.Errorf("%s is %d bytes; drafts are made from documents up to %d bytes", name, len(data), MaxSourceSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	root := goldmark.DefaultParser().Parse(text.NewReader(data))
	var hs []heading
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok || h.Lines().Len() == 0 {
			continue
		}
		seg := h.Lines().At(0)
		start := bytes.LastIndexByte(data[:seg.Start], '\n') + 1
		last := h.Lines().At(h.Lines().Len() - 1)
		body := lineAfter(data, last.Stop-1)
		if !atx(data[start:]) {
			body = lineAfter(data, body) // skip the setext underline
		}
		var title []byte
		for i := 0; i < h.Lines().Len(); i++ {
			s := h.Lines().At(i)
			title = append(append(title, ' '), s.Value(data)...)
		}
		hs = append(hs, heading{level: h.Level, text: strings.Join(strings.Fields(string(title)), " "),
			line: bytes.Count(data[:start], []byte{'\n'}) + 1, start: start, body: body, node: h})
	}
	from, to := 0, len(hs)
	if section != "" {
		want := fold(section)
		from = -1
		for i, h := range hs {
			if fold(h.text) == want {
				from, to = i, i+1
				for to < len(hs) && hs[to].level > h.level {
					to++
				}
				break
			}
		}
		if from < 0 {
			return nil, fmt.Errorf("%s: %w %q", name, ErrSectionNotFound, section)
		}
	}
	boundary := func(i int) int { // where the text under hs[i] ends
		for j := i + 1; j < len(hs); j++ {
			if hs[j].level <= hs[i].level {
				return hs[j].start
			}
		}
		return len(data)
	}
	d := &Drafts{Name: name, Link: name}
	for g := from; g < to; g++ {
		kind, ok := groupKind(hs[g].text)
		if !ok {
			continue
		}
		child := 0 // the level of the group's direct sub-headings
		for i := g + 1; i < to && hs[i].level > hs[g].level; i++ {
			if child == 0 {
				child = hs[i].level
			}
			if hs[i].level != child {
				continue
			}
			body := strings.TrimRight(string(data[hs[i].body:max(hs[i].body, boundary(i))]), " \t\r\n")
			body = strings.TrimLeft(body, "\r\n")
			d.Candidates = append(d.Candidates, Candidate{
				ID: fmt.Sprintf("T-DRAFT-%03d", len(d.Candidates)+1), Title: hs[i].text, Kind: kind,
				Line: hs[i].line, Text: body, Rationale: firstParagraph(hs[i].node, boundary(i), data),
			})
		}
	}
	return d, nil
}

func atx(line []byte) bool {
	return len(bytes.TrimLeft(line, " ")) > 0 && bytes.TrimLeft(line, " ")[0] == '#'
}

// lineAfter returns the offset of the line after the one holding off.
func lineAfter(data []byte, off int) int {
	if off >= len(data) {
		return len(data)
	}
	if i := bytes.IndexByte(data[max(off, 0):], '\n'); i >= 0 {
		return max(off, 0) + i + 1
	}
	return len(data)
}

// firstParagraph is the first paragraph after h and before stop, on one line;
// one inside a list item counts, as Node.js writes its examples as bullets.
func firstParagraph(h *ast.Heading, stop int, data []byte) string {
	for n := h.NextSibling(); n != nil; n = n.NextSibling() {
		if s, ok := firstOffset(n); ok && s >= stop {
			return ""
		}
		var found string
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering || (c.Kind() != ast.KindParagraph && c.Kind() != ast.KindTextBlock) || c.Lines().Len() == 0 {
				return ast.WalkContinue, nil
			}
			var parts []string
			for i := 0; i < c.Lines().Len(); i++ {
				s := c.Lines().At(i)
				parts = append(parts, string(s.Value(data)))
			}
			found = strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
			return ast.WalkStop, nil
		})
		if found != "" {
			return found
		}
	}
	return ""
}

func firstOffset(n ast.Node) (int, bool) {
	for c := n; c != nil; c = c.FirstChild() {
		if c.Type() == ast.TypeBlock && c.Lines() != nil && c.Lines().Len() > 0 {
			return c.Lines().At(0).Start, true
		}
	}
	return 0, false
}

func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// fillSTRIDE and fillMitigations are comments, so the fields stay empty and
// the linter names each one until a person fills it.
var (
	fillSTRIDE      = "<!-- fill in: " + strings.Join(categoryNames(), ", ") + " -->"
	fillMitigations = "<!-- fill in: the M- IDs of the mitigations, or set Status to Accepted with a Rationale -->"
)

func categoryNames() []string {
	out := make([]string, len(threatmodel.Categories))
	for i, c := range threatmodel.Categories {
		out[i] = string(c)
	}
	return out
}

func writeDrafts(b *strings.Builder, d *Drafts) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	threats, out := d.Count(KindThreat), d.Count(KindOutOfScope)
	p("<!-- Drafted from %s: %d %s and %d out-of-scope %s. Each entry quotes the original text", d.Name,
		threats, plural(threats, "threat", "threats"), out, plural(out, "entry", "entries"))
	p("     and links back to it. Fill in the fields the linter names, then delete this comment. -->")
	p("")
	entry := func(c Candidate) {
		p("#### %s: %s", c.ID, c.Title)
		p("")
		p("- **STRIDE**: %s", fillSTRIDE)
		if c.Kind == KindOutOfScope {
			p("- **Status**: Not applicable")
			p("- **Rationale**: %s", orPlaceholder(c.Rationale))
		} else {
			p("- **Status**: Open")
			p("- **Mitigations**: %s", fillMitigations)
		}
		p("- **Source**: [%s line %d](%s?plain=1#L%d)", d.Name, c.Line, d.Link, c.Line)
		p("")
		if c.Text != "" {
			for _, l := range strings.Split(strings.ReplaceAll(c.Text, "\r\n", "\n"), "\n") {
				if strings.TrimSpace(l) == "" {
					p(">")
				} else {
					p("> %s", l)
				}
			}
			p("")
		}
	}
	for _, c := range d.Candidates {
		if c.Kind == KindThreat {
			entry(c)
		}
	}
	if out > 0 {
		p("### Out of scope")
		p("")
		p("Reports of these are not vulnerabilities in this model; each is Not applicable, with the")
		p("original text as its rationale.")
		p("")
		for _, c := range d.Candidates {
			if c.Kind == KindOutOfScope {
				entry(c)
			}
		}
	}
}

func orPlaceholder(s string) string {
	if s == "" {
		return "<!-- fill in: why this is not a vulnerability -->"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package threatmodel

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"regexp"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
)

// Position is where something sits in a file: 1-based lines, and a 1-based
// column counted in Unicode code points.
type Position struct {
	Line    int
	Column  int
	EndLine int
}

// Field is one `**Label**: value` bullet of an entry.
type Field struct {
	Label string // canonical label, lower case
	Value string // text of the value, markup removed, spaces collapsed
	Link  string // destination of the first link in the value, if any
	Pos   Position
	// Items are the nested bullets under the field, one per bullet.
	Items []Item
	// Head is the value up to a line that continues it lazily (not
	// indented), which is usually prose after the list; Value when none does.
	Head string
}

// Item is a nested bullet under a field.
type Item struct {
	Text string
	Pos  Position
}

// Entry is what threats and mitigations share.
type Entry struct {
	ID     string
	Title  string
	Path   string
	Pos    Position // the heading
	Fields []Field
	// digest identifies the entry's text so two versions can be compared.
	digest uint64
}

// Field returns the entry's field with the given canonical label.
func (e *Entry) Field(label string) (Field, bool) {
	for _, f := range e.Fields {
		if f.Label == label {
			return f, true
		}
	}
	return Field{}, false
}

// Threat is a `T-` entry.
type Threat struct {
	Entry
	STRIDE []Category
	// Status is canonical; empty when the field held an unknown value.
	Status       string
	Environments []Environment
	// MitigationIDs are the M- IDs the threat links; InlineMitigations are
	// mitigations written out as nested bullets.
	MitigationIDs     []string
	InlineMitigations []string
	Rationale         string
	TransferredTo     string
	Decision          string
	// Format is the file's format; entries of formats other than Markdown
	// are checked as they are read.
	Format Format
}

// Mitigation is an `M-` entry.
type Mitigation struct {
	Entry
	Status       string
	Environments []Environment
	Since        string
	Link         string
}

// Document is one parsed threat-model file.
type Document struct {
	Path        string
	Threats     []*Threat
	Mitigations []*Mitigation
	// Headings are the model's top-level headings, for threat_model.sections.
	Headings []Heading
	// SectionMissing is set when a section was asked for and no heading matched.
	SectionMissing bool
	// Text is the file as parsed: UTF-8, line endings LF or CRLF. Fixes
	// apply to it.
	Text []byte
	// Findings are those a single file shows on its own; Check adds the ones
	// that need every file.
	Findings []Finding
}

// Field labels, canonical and lower case.
const (
	labelSTRIDE        = "stride"
	labelMitigations   = "mitigations"
	labelStatus        = "status"
	labelEnvironments  = "environments"
	labelRationale     = "rationale"
	labelTransferredTo = "transferred to"
	labelDecision      = "decision"
	labelSince         = "since"
	labelLink          = "link"
)

// labelNames are the labels "did you mean" offers.
var labelNames = newCandidates([]string{"STRIDE", "Mitigations", "Status", "Environments", "Rationale", "Transferred to", "Decision", "Since", "Link"})

var labelAliases = map[string]string{
	"stride": labelSTRIDE, "stride category": labelSTRIDE, "stride categories": labelSTRIDE,
	"mitigations": labelMitigations, "mitigation": labelMitigations, "mitigated by": labelMitigations,
	"status":       labelStatus,
	"environments": labelEnvironments, "environment": labelEnvironments,
	"rationale":      labelRationale,
	"transferred to": labelTransferredTo,
	"decision":       labelDecision,
	"since":          labelSince,
	"link":           labelLink,
}

// digestSeed is fixed per process: digests are only compared within one.
var digestSeed = maphash.MakeSeed()

// maxIDLength keeps IDs readable in messages and tables.
const maxIDLength = 64

var (
	validID = regexp.MustCompile(`^[TM]-[A-Z0-9]+(?:-[A-Z0-9]+)*$`)
	cweRef  = regexp.MustCompile(`\bCWE-[0-9]+\b`)
)

// Parse reads one threat-model file. section, when not empty, limits the model
// to the part of the file under the heading with that text. The error is
// non-nil only for input refused as a whole (see MaxDocumentSize).
func Parse(path string, data []byte, section string) (*Document, error) {
	if read, ok := formatOf(path); ok {
		return read(path, data) // Threat Dragon JSON and YAML, see dragon.go
	}
	src, err := newSource(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &docParser{src: src, body: src.body(), doc: &Document{Path: path, Text: src.all}}
	root, overflow := src.parse()
	if overflow {
		p.finding(Position{Line: 1, Column: 1, EndLine: 1}, RuleLimitExceeded, "",
			fmt.Sprintf("the file holds more than %d link reference definitions; the paragraphs past the limit are read as text", MaxLinkReferences))
	}
	first, end := root.FirstChild(), ast.Node(nil)
	if section != "" {
		var found bool
		first, end, found = findSection(root, p.body, section)
		if !found {
			p.doc.SectionMissing = true
			p.finding(Position{Line: 1, Column: 1, EndLine: 1}, RuleSectionMissing, "",
				fmt.Sprintf("no heading reads %s, the configured section, so nothing in this file was checked; fix %s in the configuration or the heading", quote(section), em("threat_model.section")))
			return p.doc, nil
		}
	}
	p.walk(first, end)
	p.collectHeadings(first, end) // see structure.go
	if len(p.doc.Threats)+len(p.doc.Mitigations) == 0 {
		p.finding(Position{Line: 1, Column: 1, EndLine: 1}, RuleModelEmpty, "",
			"the file holds no threat or mitigation, so nothing was checked; entries are headings such as \"#### T-AREA-001: Title\" followed by a bullet list of fields (see "+FormatDocURL+")")
	}
	return p.doc, nil
}

// FormatDocURL is where the threat-model format is described.
const FormatDocURL = "https://github.com/secwg/secwg/blob/main/docs/threat-model-format.md"

type docParser struct {
	src  *source
	body []byte
	doc  *Document
	// dropped counts findings past MaxParseFindings.
	dropped int
	// tableRows counts the table rows read as entries (see MaxTableRows).
	tableRows int
}

func (p *docParser) pos(n ast.Node) Position {
	start, stop, ok := blockSpan(n)
	if !ok {
		return Position{Line: 1, Column: 1, EndLine: 1}
	}
	l, c := p.src.position(start)
	el, _ := p.src.position(max(start, stop-1))
	return Position{Line: l, Column: c, EndLine: el}
}

// blockSpan returns the body offsets a block's own lines cover.
func blockSpan(n ast.Node) (start, stop int, ok bool) {
	if n.Type() != ast.TypeBlock {
		return 0, 0, false
	}
	lines := n.Lines()
	if lines == nil || lines.Len() == 0 {
		return 0, 0, false
	}
	return lines.At(0).Start, lines.At(lines.Len() - 1).Stop, true
}

// nodeStart is the first body offset of a block, looking into containers.
func nodeStart(n ast.Node) (int, bool) {
	for c := n; c != nil; c = c.FirstChild() {
		if s, _, ok := blockSpan(c); ok {
			return s, true
		}
		if c.Type() != ast.TypeBlock {
			break
		}
	}
	return 0, false
}

// findSection returns the blocks under the heading whose text is section, up
// to the next heading of the same or a higher level.
func findSection(root ast.Node, body []byte, section string) (first, end ast.Node, found bool) {
	want := normalize(section)
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok || overflowed(h) || normalize(inlineText(h, body, nil)) != want {
			continue
		}
		end = h.NextSibling()
		for end != nil {
			if e, ok := end.(*ast.Heading); ok && e.Level <= h.Level {
				break
			}
			end = end.NextSibling()
		}
		if h.NextSibling() == end {
			return nil, nil, true
		}
		return h.NextSibling(), end, true
	}
	return nil, nil, false
}

// walk reads entries from top-level blocks in [first, end).
func (p *docParser) walk(first, end ast.Node) {
	for n := first; n != nil && n != end; n = n.NextSibling() {
		if para, ok := n.(*ast.Paragraph); ok {
			p.table(para) // tables of threats or mitigations, see table.go
			continue
		}
		h, ok := n.(*ast.Heading)
		if !ok {
			continue
		}
		p.heading(h, end)
	}
}

func (p *docParser) heading(h *ast.Heading, end ast.Node) {
	if overflowed(h) {
		if start, _, ok := blockSpan(h); ok && looksLikeEntry(p.body[start:min(len(p.body), start+2)]) {
			p.finding(p.pos(h), RuleIDMalformed, "", fmt.Sprintf("heading holds more than %d links or emphasis runs and is not read as an entry", MaxInlineDelimiters))
		}
		return
	}
	heading := clean(inlineText(h, p.body, nil))
	tok, rest, ok := idToken(heading)
	if !ok {
		return
	}
	var fields []Field
	if list, ok := h.NextSibling().(*ast.List); ok && !list.IsOrdered() && h.NextSibling() != end {
		fields = p.fields(list, tok)
	}
	id, title, ok := p.entryID(h, tok, rest, len(fields) > 0)
	if !ok {
		return
	}
	if len(fields) == 0 {
		// A heading with an ID but no field list is prose ("T-SQL: basics"),
		// unless the fields are there in a shape the format does not read.
		if hint := p.misplacedFields(h, end); hint != "" {
			p.finding(p.pos(h), RuleFieldMisplaced, id, fmt.Sprintf("%s is not read as an entry: %s", id, hint))
		}
		return
	}
	e := Entry{ID: id, Title: title, Path: p.doc.Path, Pos: p.pos(h), Fields: fields}
	e.digest = p.digest(h, end)
	if id[0] == 'T' {
		p.doc.Threats = append(p.doc.Threats, p.threat(e))
	} else {
		p.doc.Mitigations = append(p.doc.Mitigations, p.mitigation(e))
	}
}

func looksLikeEntry(b []byte) bool {
	return len(b) == 2 && (b[0] == 'T' || b[0] == 'M' || b[0] == 't' || b[0] == 'm') && (b[1] == '-' || b[1] == '_')
}

// dashes are the characters people type, or word processors put, for a hyphen.
const dashes = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"

// foldDashes writes every dash in s as a hyphen-minus.
func foldDashes(s string) string {
	if !strings.ContainsAny(s, dashes) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(dashes, r) {
			return '-'
		}
		return r
	}, s)
}

// idToken splits a heading into what may be an ID and the rest. ok is false
// for headings that do not start like an ID at all.
func idToken(text string) (tok, rest string, ok bool) {
	tok = text
	if i := strings.IndexFunc(text, func(r rune) bool {
		return !(r == '-' || r == '_' || strings.ContainsRune(dashes, r) || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}); i >= 0 {
		tok = text[:i]
	}
	rest = text[len(tok):]
	folded := foldDashes(tok)
	if !looksLikeEntry([]byte(folded[:min(2, len(folded))])) {
		return "", "", false
	}
	if !strings.ContainsAny(folded, "0123456789") && strings.ToUpper(folded) != folded {
		return "", "", false // "T-shirts" or "M-commerce" are prose, not IDs
	}
	return tok, rest, true
}

// entryID checks a heading's ID token. A heading that is shaped almost like
// an entry and carries fields is reported as id-malformed; without fields it
// is prose and passes silently. An ID typed with dashes is accepted with a
// warning and a fix.
func (p *docParser) entryID(h *ast.Heading, tok, rest string, hasFields bool) (id, title string, ok bool) {
	folded := foldDashes(tok)
	switch {
	case len(tok) > maxIDLength:
		if hasFields {
			p.finding(p.pos(h), RuleIDMalformed, truncate(tok, maxIDLength), fmt.Sprintf("ID is longer than %d characters", maxIDLength))
		}
		return "", "", false
	case !validID.MatchString(folded):
		if hasFields {
			msg := fmt.Sprintf("%s is not a valid ID, so this entry is not checked: write T- or M-, then upper-case letters, digits and single hyphens", quote(tok))
			if up := strings.ToUpper(strings.ReplaceAll(folded, "_", "-")); validID.MatchString(up) {
				msg += fmt.Sprintf("; did you mean %s?", up)
				p.fixFinding(p.pos(h), RuleIDMalformed, tok, msg, tok, up)
				return "", "", false
			}
			p.finding(p.pos(h), RuleIDMalformed, tok, msg)
		}
		return "", "", false
	case !strings.HasPrefix(rest, ":"):
		if hasFields {
			p.finding(p.pos(h), RuleIDMalformed, tok, fmt.Sprintf("ID %s must be followed directly by a colon and the title, so this entry is not checked", tok))
		}
		return "", "", false
	}
	if folded != tok {
		p.fixFinding(p.pos(h), RuleIDDash, folded, fmt.Sprintf("ID %s is typed with a dash other than the hyphen; write %s", quote(tok), folded), tok, folded)
	}
	return folded, clean(rest[1:]), true
}

// misplacedFields looks under an entry heading that has no field list for
// fields written in a shape the format does not read, and says how to fix it.
func (p *docParser) misplacedFields(h *ast.Heading, end ast.Node) string {
	seen := 0
	for n := h.NextSibling(); n != nil && n != end && seen < 8; n = n.NextSibling() {
		if _, ok := n.(*ast.Heading); ok {
			return ""
		}
		seen++
		var hint string
		switch n := n.(type) {
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			hint = "its fields are in a code block; write them as a bullet list such as - **STRIDE**: Tampering"
		case *ast.Paragraph:
			if bytes.HasPrefix(bytes.TrimLeft(p.lineOf(n, 0), " "), []byte("|")) {
				hint = "its fields are in a table; write them as a bullet list such as - **STRIDE**: Tampering"
			} else {
				hint = "its fields are not in a bullet list; start each with - as in - **STRIDE**: Tampering"
			}
		case *ast.List:
			switch first := n.FirstChild(); {
			case n.IsOrdered():
				hint = "its fields are in a numbered list; use - bullets as in - **STRIDE**: Tampering"
			case first != nil && first.FirstChild() != nil && first.FirstChild().FirstChild() != nil &&
				first.FirstChild().FirstChild().Kind() == ast.KindEmphasis:
				hint = "its field list does not follow the heading directly; move it up, above the prose"
			default:
				hint = "its field labels are not bold; write - **STRIDE**: Tampering"
			}
		default:
			continue
		}
		if p.holdsLabels(n) {
			return hint
		}
	}
	return ""
}

// lineOf returns line i of a block's own lines.
func (p *docParser) lineOf(n ast.Node, i int) []byte {
	lines := n.Lines()
	if lines == nil || i >= lines.Len() {
		return nil
	}
	seg := lines.At(i)
	return seg.Value(p.body)
}

// holdsLabels reports whether a block's lines name the STRIDE field or two
// other known fields as "Label:" or as a table cell.
func (p *docParser) holdsLabels(n ast.Node) bool {
	found := map[string]bool{}
	var visit func(ast.Node)
	visit = func(n ast.Node) {
		if n.Type() == ast.TypeBlock {
			for i := 0; i < n.Lines().Len() && i < 64; i++ {
				seg := n.Lines().At(i)
				if l := lineLabel(seg.Value(p.body)); l != "" {
					found[l] = true
				}
			}
		}
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			visit(c)
		}
	}
	visit(n)
	return found[labelSTRIDE] || len(found) >= 2
}

// lineLabel returns the canonical field label a line starts with, written
// plainly, in bold, in a table cell or after a list marker.
func lineLabel(line []byte) string {
	s := strings.TrimLeft(string(line[:min(len(line), 80)]), " \t|*-+>`0123456789.)")
	i := strings.IndexAny(s, ":|")
	if i <= 0 {
		return ""
	}
	return labelAliases[normalize(strings.Trim(s[:i], " *_`"))]
}

// digest hashes the entry's text from its heading to the next heading of the
// same or a higher level (or the next entry), ignoring line endings and
// trailing space, so that a change anywhere in the entry is seen.
func (p *docParser) digest(h *ast.Heading, end ast.Node) uint64 {
	start, _, _ := blockSpan(h)
	start = p.src.lineStart(start)
	stop := len(p.body)
	for n := h.NextSibling(); n != nil; n = n.NextSibling() {
		if n == end {
			if s, ok := nodeStart(n); ok {
				stop = p.src.lineStart(s)
			}
			break
		}
		if o, ok := n.(*ast.Heading); ok && (o.Level <= h.Level || p.isEntryHeading(o)) {
			if s, ok := nodeStart(o); ok {
				stop = p.src.lineStart(s)
			}
			break
		}
	}
	var hash maphash.Hash
	hash.SetSeed(digestSeed)
	text := bytes.TrimRight(p.body[start:max(start, stop)], " \t\r\n")
	if !bytes.Contains(text, []byte{'\r'}) && !bytes.Contains(text, []byte(" \n")) && !bytes.Contains(text, []byte("\t\n")) {
		hash.Write(text) // already normal: one write hashes the same as line by line
		hash.WriteByte('\n')
		return hash.Sum64()
	}
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		hash.Write(bytes.TrimRight(line, " \t\r"))
		hash.WriteByte('\n')
	}
	return hash.Sum64()
}

func (p *docParser) isEntryHeading(h *ast.Heading) bool {
	start, _, ok := blockSpan(h)
	return ok && looksLikeEntry(p.body[start:min(len(p.body), start+2)])
}

// fields reads the `**Label**: value` bullets of the list under an entry heading.
func (p *docParser) fields(list *ast.List, id string) []Field {
	var fields []Field
	items := 0
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		if items++; items > MaxFieldItems {
			p.finding(p.pos(item.FirstChild()), RuleLimitExceeded, foldDashes(id), fmt.Sprintf("the field list holds more than %d bullets; the rest are not read", MaxFieldItems))
			break
		}
		para := item.FirstChild()
		if para == nil || (para.Kind() != ast.KindParagraph && para.Kind() != ast.KindTextBlock) {
			continue
		}
		f, label, ok := p.field(para)
		if !ok {
			if s, ok := labelNames.suggestion(label); ok && label != "" && !p.full() {
				p.fixFinding(p.pos(para), RuleFieldUnknown, foldDashes(id), fmt.Sprintf("%s is not a field: did you mean %s?", em(label), em(s)), label, s)
			}
			continue
		}
		if sub, ok := para.NextSibling().(*ast.List); ok {
			for li := sub.FirstChild(); li != nil; li = li.NextSibling() {
				if c := li.FirstChild(); c != nil && (c.Kind() == ast.KindParagraph || c.Kind() == ast.KindTextBlock) {
					if t := clean(inlineText(c, p.body, nil)); t != "" {
						f.Items = append(f.Items, Item{Text: t, Pos: p.pos(c)})
					}
				}
			}
		}
		dup := false
		for _, prev := range fields {
			if prev.Label == f.Label {
				dup = true
				p.finding(f.Pos, RuleFieldDuplicate, foldDashes(id), fmt.Sprintf("field %s repeats the one on line %d; the first is used", em(displayLabel(f.Label)), prev.Pos.Line))
			}
		}
		if !dup {
			fields = append(fields, f)
		}
	}
	return fields
}

func displayLabel(l string) string {
	switch l {
	case labelSTRIDE:
		return "STRIDE"
	case labelTransferredTo:
		return "Transferred to"
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// field reads one bullet: a strong label first, a colon inside or right after
// it, then the value. Anything else is prose and not a field; label is the
// bold label of a bullet shaped like a field whose label is unknown.
func (p *docParser) field(para ast.Node) (f Field, label string, ok bool) {
	strong, ok := para.FirstChild().(*ast.Emphasis)
	if !ok || strong.Level != 2 || overflowed(para) {
		return Field{}, "", false
	}
	label = clean(inlineText(strong, p.body, nil))
	var valueNodes ast.Node = strong.NextSibling()
	var lead string
	head := -1
	if strings.HasSuffix(label, ":") {
		label = clean(strings.TrimSuffix(label, ":"))
	} else {
		t, ok := valueNodes.(*ast.Text)
		if !ok {
			return Field{}, "", false
		}
		s := strings.TrimLeftFunc(string(t.Segment.Value(p.body)), unicode.IsSpace)
		if !strings.HasPrefix(s, ":") {
			return Field{}, "", false
		}
		lead = s[1:]
		if t.SoftLineBreak() || t.HardLineBreak() {
			lead += " "
			if p.lazyAfter(t.Segment.Stop) {
				head = len(lead)
			}
		}
		valueNodes = t.NextSibling()
	}
	canonical, ok := labelAliases[normalize(label)]
	if !ok {
		return Field{}, label, false
	}
	var link string
	var b strings.Builder
	b.WriteString(lead)
	for n := valueNodes; n != nil; n = n.NextSibling() {
		// Inline code counts only where people quote IDs with it.
		writeInline(&b, n, p.body, &link, canonical == labelMitigations)
		if t, ok := n.(*ast.Text); ok && head < 0 && t.SoftLineBreak() && p.lazyAfter(t.Segment.Stop) {
			head = b.Len()
		}
	}
	f = Field{Label: canonical, Value: clean(b.String()), Link: link, Pos: p.pos(para)}
	f.Head = f.Value
	if head >= 0 {
		f.Head = clean(b.String()[:head])
	}
	return f, label, true
}

// lazyAfter reports whether the line after the one ending at off starts
// without indentation: a lazy continuation, which is how prose written right
// under a list joins its last bullet.
func (p *docParser) lazyAfter(off int) bool {
	i := bytes.IndexByte(p.body[off:], '\n')
	if i < 0 || off+i+1 >= len(p.body) {
		return false
	}
	c := p.body[off+i+1]
	return c != ' ' && c != '\t'
}

// inlineText is the visible text of a node's inline children. Inline code and
// raw HTML never contribute; link records the first link destination.
func inlineText(n ast.Node, body []byte, link *string) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		writeInline(&b, c, body, link, false)
	}
	return b.String()
}

// writeInline writes a node's visible text; code says whether inline code
// counts, as it does in field values (`M-HTTP-001`).
func writeInline(b *strings.Builder, n ast.Node, body []byte, link *string, code bool) {
	switch n := n.(type) {
	case *ast.Text:
		b.Write(n.Segment.Value(body))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte(' ')
		}
		return
	case *ast.String:
		b.Write(n.Value)
		return
	case *ast.CodeSpan:
		if code {
			b.WriteByte(' ')
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					b.Write(t.Segment.Value(body))
				}
			}
			b.WriteByte(' ')
		}
		return
	case *ast.RawHTML:
		return
	case *ast.Link:
		if link != nil && *link == "" {
			*link = string(n.Destination)
		}
	case *ast.AutoLink:
		u := n.URL(body)
		if link != nil && *link == "" {
			*link = string(u)
		}
		b.Write(u)
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		writeInline(b, c, body, link, code)
	}
}

// full reports whether the parser has stopped collecting findings, so that
// callers skip the work of a message no one will read.
func (p *docParser) full() bool { return len(p.doc.Findings) >= MaxParseFindings }

func (p *docParser) finding(pos Position, rule, entry, msg string) {
	p.fixFinding(pos, rule, entry, msg, "", "")
}

// fixFinding records a finding that a fix replacing old with new on the
// finding's first line resolves; old "" means there is no fix.
func (p *docParser) fixFinding(pos Position, rule, entry, msg, old, new string) {
	if len(p.doc.Findings) >= MaxParseFindings {
		p.dropped++
		return
	}
	f := newFinding(p.doc.Path, pos, rule, entry, msg)
	if old != "" && old != new {
		f.Fix = &Fix{Line: pos.Line, Old: old, New: new}
	}
	p.doc.Findings = append(p.doc.Findings, f)
}

// splitList splits a comma-separated value, dropping empty parts.
func splitList(v string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		if s := clean(part); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *docParser) threat(e Entry) *Threat {
	t := &Threat{Entry: e, Status: StatusOpen, Environments: Environments}
	if f, ok := e.Field(labelSTRIDE); ok {
		for _, v := range splitList(f.Value) {
			c, hint, ok := strideVocabulary.lookup(v)
			switch {
			case !ok && hint != "":
				p.finding(f.Pos, RuleStrideUnknown, e.ID, fmt.Sprintf("%s is not a STRIDE category: %s", quote(v), hint))
			case !ok && p.full():
				p.dropped++
			case !ok:
				if s, ok := strideVocabulary.suggest(v); ok {
					p.fixFinding(f.Pos, RuleStrideUnknown, e.ID, fmt.Sprintf("%s is not a STRIDE category: did you mean %s?", quote(v), s), v, s)
					break
				}
				p.finding(f.Pos, RuleStrideUnknown, e.ID, fmt.Sprintf("%s is not a STRIDE category (Spoofing, Tampering, Repudiation, Information disclosure, Denial of service, Elevation of privilege)", quote(v)))
			default:
				if v != c {
					p.fixFinding(f.Pos, RuleStrideNoncanonical, e.ID, fmt.Sprintf("write %s as %q", quote(v), c), v, c)
				}
				t.STRIDE = appendUnique(t.STRIDE, Category(c))
			}
		}
	}
	if f, ok := e.Field(labelStatus); ok {
		t.Status = p.status(f, e.ID, threatStatusVocabulary, threatStatuses)
	}
	if f, ok := e.Field(labelEnvironments); ok {
		t.Environments = p.environments(f, e.ID)
	}
	if f, ok := e.Field(labelMitigations); ok {
		p.mitigationRefs(t, f)
	}
	if f, ok := e.Field(labelRationale); ok {
		t.Rationale = f.Value
	}
	if f, ok := e.Field(labelTransferredTo); ok {
		t.TransferredTo = f.Value
	}
	if f, ok := e.Field(labelDecision); ok {
		t.Decision = f.Link
		if t.Decision == "" {
			t.Decision = f.Value
		}
	}
	return t
}

// mitigationRefs reads M- IDs from the value and from nested bullets, however
// they are separated (commas, semicolons, spaces, "and", code spans). Text
// that is not IDs is an inline mitigation, unless it only follows the IDs on
// a lazy line, where it is prose after the list.
func (p *docParser) mitigationRefs(t *Threat, f Field) {
	seen := make(map[string]bool)
	// read links the references in text and reports whether any prose is left.
	read := func(text string, pos Position) (prose bool) {
		for _, w := range refWords(text) {
			id := foldDashes(w)
			switch {
			case validID.MatchString(id) && id[0] == 'M':
				if id != w {
					p.fixFinding(pos, RuleIDDash, t.ID, fmt.Sprintf("mitigation reference %s is typed with a dash other than the hyphen; write %s", quote(w), id), w, id)
				}
				if !seen[id] {
					seen[id] = true
					t.MitigationIDs = append(t.MitigationIDs, id)
				}
			case len(id) > 2 && (id[:2] == "M-" || id[:2] == "m-" || id[:2] == "M_") && (strings.ContainsAny(id, "0123456789") || strings.ToUpper(id) == id):
				msg := fmt.Sprintf("mitigation reference %s is not a valid M- ID", quote(w))
				if up := strings.ToUpper(strings.ReplaceAll(id, "_", "-")); validID.MatchString(up) {
					p.fixFinding(pos, RuleIDMalformed, t.ID, msg+fmt.Sprintf(": did you mean %s?", up), w, up)
				} else {
					p.finding(pos, RuleIDMalformed, t.ID, msg)
				}
			case !connectors[strings.ToLower(w)]:
				prose = true
			}
		}
		return prose
	}
	if f.Value != "" && read(f.Value, f.Pos) && (f.Head == f.Value || proseIn(f.Head)) {
		t.InlineMitigations = append(t.InlineMitigations, f.Value)
	}
	for _, it := range f.Items {
		if read(it.Text, it.Pos) {
			t.InlineMitigations = append(t.InlineMitigations, it.Text)
		}
	}
}

// connectors join references without being prose.
var connectors = map[string]bool{"and": true, "&": true, "+": true, "or": true}

// refWords splits a Mitigations value at commas, semicolons, slashes, spaces
// and backticks.
func refWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == '/' || r == '`' || r == '(' || r == ')' || unicode.IsSpace(r)
	})
}

// proseIn reports whether text holds words other than M- IDs and connectors.
func proseIn(text string) bool {
	for _, w := range refWords(text) {
		id := foldDashes(w)
		if !(len(id) > 2 && (id[:2] == "M-" || id[:2] == "m-" || id[:2] == "M_")) && !connectors[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

var (
	threatStatuses     = []string{StatusOpen, StatusMitigated, StatusAccepted, StatusTransferred, StatusNotApplicable}
	mitigationStatuses = []string{StatusImplemented, StatusPlanned, StatusExperimental, StatusDocumentation}
)

func (p *docParser) status(f Field, id string, v vocabulary, values []string) string {
	c, hint, ok := v.lookup(f.Value)
	if ok {
		return c
	}
	if p.full() {
		p.dropped++
		return ""
	}
	msg := fmt.Sprintf("status %s is not one of %s", quote(f.Value), strings.Join(values, ", "))
	if f.Value == "" {
		msg = "status is empty; write one of " + strings.Join(values, ", ")
	}
	if hint != "" {
		msg += ": " + hint
	} else if s, ok := v.suggest(f.Value); ok {
		p.fixFinding(f.Pos, RuleStatusUnknown, id, msg+": did you mean "+s+"?", f.Value, s)
		return ""
	}
	p.finding(f.Pos, RuleStatusUnknown, id, msg)
	return ""
}

// environments reads the field's environments. Unknown values stay unknown:
// they are reported and not replaced by All, so no coverage finding names an
// environment the author did not write.
func (p *docParser) environments(f Field, id string) []Environment {
	var envs []Environment
	values := splitList(f.Value)
	for _, v := range values {
		c, hint, ok := environmentVocabulary.lookup(v)
		if !ok {
			msg := fmt.Sprintf("environment %s is not one of Server, Desktop application, CLI, Single executable application, CI/CD pipeline components, All", quote(v))
			if hint != "" {
				msg += ": " + hint
			} else if s, ok := environmentVocabulary.suggest(v); ok {
				p.fixFinding(f.Pos, RuleEnvironmentUnknown, id, msg+": did you mean "+s+"?", v, s)
				continue
			}
			p.finding(f.Pos, RuleEnvironmentUnknown, id, msg)
			continue
		}
		if c == environmentAll {
			return Environments
		}
		envs = appendUnique(envs, Environment(c))
	}
	if len(values) == 0 {
		return Environments
	}
	return envs
}

func (p *docParser) mitigation(e Entry) *Mitigation {
	m := &Mitigation{Entry: e, Status: StatusImplemented, Environments: Environments}
	if f, ok := e.Field(labelStatus); ok {
		m.Status = p.status(f, e.ID, mitigationStatusVocabulary, mitigationStatuses)
	}
	if f, ok := e.Field(labelEnvironments); ok {
		m.Environments = p.environments(f, e.ID)
	}
	if f, ok := e.Field(labelSince); ok {
		m.Since = f.Value
	}
	if f, ok := e.Field(labelLink); ok {
		m.Link = f.Link
		if m.Link == "" {
			m.Link = f.Value
		}
	}
	return m
}

func appendUnique[T comparable](s []T, v T) []T {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// quote quotes a value from a document for a message, cut to a readable
// length; the markers em uses cannot come from a document.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(plainMarkers.Replace(s), 80))
}

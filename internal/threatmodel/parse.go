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
	// SectionMissing is set when a section was asked for and no heading matched.
	SectionMissing bool
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
	src, err := newSource(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &docParser{src: src, body: src.body(), doc: &Document{Path: path}}
	root := src.parse()
	first, end := root.FirstChild(), ast.Node(nil)
	if section != "" {
		first, end = findSection(root, p.body, section)
		p.doc.SectionMissing = first == nil
	}
	p.walk(first, end)
	return p.doc, nil
}

type docParser struct {
	src  *source
	body []byte
	doc  *Document
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
func findSection(root ast.Node, body []byte, section string) (first, end ast.Node) {
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
			return nil, nil
		}
		return h.NextSibling(), end
	}
	return nil, nil
}

// walk reads entries from top-level blocks in [first, end).
func (p *docParser) walk(first, end ast.Node) {
	for n := first; n != nil && n != end; n = n.NextSibling() {
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
	id, title, ok := p.entryID(h, heading)
	if !ok {
		return
	}
	e := Entry{ID: id, Title: title, Path: p.doc.Path, Pos: p.pos(h)}
	e.digest = p.digest(h, end)
	if list, ok := h.NextSibling().(*ast.List); ok && !list.IsOrdered() && h.NextSibling() != end {
		e.Fields = p.fields(list, id)
	}
	if id[0] == 'T' {
		p.doc.Threats = append(p.doc.Threats, p.threat(e))
	} else {
		p.doc.Mitigations = append(p.doc.Mitigations, p.mitigation(e))
	}
}

func looksLikeEntry(b []byte) bool {
	return len(b) == 2 && (b[0] == 'T' || b[0] == 'M' || b[0] == 't' || b[0] == 'm') && (b[1] == '-' || b[1] == '_')
}

// entryID splits a heading into ID and title. Headings that do not start with
// something shaped like an ID are not entries; ones that almost do are
// reported as id-malformed.
func (p *docParser) entryID(h *ast.Heading, text string) (id, title string, ok bool) {
	tok := text
	if i := strings.IndexFunc(text, func(r rune) bool {
		return !(r == '-' || r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}); i >= 0 {
		tok = text[:i]
	}
	rest := text[len(tok):]
	if !looksLikeEntry([]byte(tok[:min(2, len(tok))])) {
		return "", "", false
	}
	hasDigit := strings.ContainsAny(tok, "0123456789")
	upper := strings.ToUpper(tok) == tok
	if !hasDigit && !upper {
		return "", "", false // "T-shirts" or "M-commerce" are prose, not IDs
	}
	switch {
	case len(tok) > maxIDLength:
		p.finding(p.pos(h), RuleIDMalformed, truncate(tok, maxIDLength), fmt.Sprintf("ID is longer than %d characters", maxIDLength))
		return "", "", false
	case !validID.MatchString(tok):
		p.finding(p.pos(h), RuleIDMalformed, tok, fmt.Sprintf("%s is not a valid ID: write T- or M-, then upper-case letters, digits and single hyphens", quote(tok)))
		return "", "", false
	case !strings.HasPrefix(rest, ":"):
		p.finding(p.pos(h), RuleIDMalformed, tok, fmt.Sprintf("ID %s must be followed directly by a colon and the title", tok))
		return "", "", false
	}
	return tok, clean(rest[1:]), true
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
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		para := item.FirstChild()
		if para == nil || (para.Kind() != ast.KindParagraph && para.Kind() != ast.KindTextBlock) {
			continue
		}
		f, ok := p.field(para)
		if !ok {
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
				p.finding(f.Pos, RuleFieldDuplicate, id, fmt.Sprintf("field %s repeats the one on line %d; the first is used", displayLabel(f.Label), prev.Pos.Line))
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
// it, then the value. Anything else is prose and not a field.
func (p *docParser) field(para ast.Node) (Field, bool) {
	strong, ok := para.FirstChild().(*ast.Emphasis)
	if !ok || strong.Level != 2 || overflowed(para) {
		return Field{}, false
	}
	label := clean(inlineText(strong, p.body, nil))
	var valueNodes ast.Node = strong.NextSibling()
	var lead string
	if strings.HasSuffix(label, ":") {
		label = clean(strings.TrimSuffix(label, ":"))
	} else {
		t, ok := valueNodes.(*ast.Text)
		if !ok {
			return Field{}, false
		}
		s := strings.TrimLeftFunc(string(t.Segment.Value(p.body)), unicode.IsSpace)
		if !strings.HasPrefix(s, ":") {
			return Field{}, false
		}
		lead = s[1:]
		if t.SoftLineBreak() || t.HardLineBreak() {
			lead += " "
		}
		valueNodes = t.NextSibling()
	}
	canonical, ok := labelAliases[normalize(label)]
	if !ok {
		return Field{}, false
	}
	var link string
	var b strings.Builder
	b.WriteString(lead)
	for n := valueNodes; n != nil; n = n.NextSibling() {
		writeInline(&b, n, p.body, &link)
	}
	return Field{Label: canonical, Value: clean(b.String()), Link: link, Pos: p.pos(para)}, true
}

// inlineText is the visible text of a node's inline children. Inline code and
// raw HTML never contribute; link records the first link destination.
func inlineText(n ast.Node, body []byte, link *string) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		writeInline(&b, c, body, link)
	}
	return b.String()
}

func writeInline(b *strings.Builder, n ast.Node, body []byte, link *string) {
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
	case *ast.CodeSpan, *ast.RawHTML:
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
		writeInline(b, c, body, link)
	}
}

func (p *docParser) finding(pos Position, rule, entry, msg string) {
	r := rulesByID[rule]
	p.doc.Findings = append(p.doc.Findings, Finding{
		Path: p.doc.Path, Line: pos.Line, Column: pos.Column, EndLine: pos.EndLine,
		Severity: r.Severity, Rule: rule, Message: msg, Entry: entry,
	})
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
			case !ok:
				p.finding(f.Pos, RuleStrideUnknown, e.ID, fmt.Sprintf("%s is not a STRIDE category (Spoofing, Tampering, Repudiation, Information disclosure, Denial of service, Elevation of privilege)", quote(v)))
			default:
				if v != c {
					p.finding(f.Pos, RuleStrideNoncanonical, e.ID, fmt.Sprintf("write %s as %q", quote(v), c))
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

// mitigationRefs reads M- IDs from the value and from nested bullets; any
// other text is an inline mitigation.
func (p *docParser) mitigationRefs(t *Threat, f Field) {
	add := func(s string, pos Position) {
		if validID.MatchString(s) && s[0] == 'M' {
			t.MitigationIDs = appendUnique(t.MitigationIDs, s)
			return
		}
		if len(s) > 2 && (s[:2] == "M-" || s[:2] == "m-") && !strings.ContainsFunc(s, unicode.IsSpace) {
			p.finding(pos, RuleIDMalformed, t.ID, fmt.Sprintf("mitigation reference %s is not a valid M- ID", quote(s)))
			return
		}
		t.InlineMitigations = append(t.InlineMitigations, s)
	}
	if f.Value != "" {
		parts := splitList(f.Value)
		allIDs := true
		for _, s := range parts {
			if !strings.HasPrefix(strings.ToUpper(s), "M-") || strings.ContainsFunc(s, unicode.IsSpace) {
				allIDs = false
			}
		}
		if allIDs {
			for _, s := range parts {
				add(s, f.Pos)
			}
		} else {
			t.InlineMitigations = append(t.InlineMitigations, f.Value)
		}
	}
	for _, it := range f.Items {
		add(it.Text, it.Pos)
	}
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
	msg := fmt.Sprintf("status %s is not one of %s", quote(f.Value), strings.Join(values, ", "))
	if f.Value == "" {
		msg = "status is empty; write one of " + strings.Join(values, ", ")
	}
	if hint != "" {
		msg += ": " + hint
	}
	p.finding(f.Pos, RuleStatusUnknown, id, msg)
	return ""
}

func (p *docParser) environments(f Field, id string) []Environment {
	var envs []Environment
	for _, v := range splitList(f.Value) {
		c, hint, ok := environmentVocabulary.lookup(v)
		if !ok {
			msg := fmt.Sprintf("environment %s is not one of Server, Desktop application, CLI, Single executable application, CI/CD pipeline components, All", quote(v))
			if hint != "" {
				msg += ": " + hint
			}
			p.finding(f.Pos, RuleEnvironmentUnknown, id, msg)
			continue
		}
		if c == environmentAll {
			return Environments
		}
		envs = appendUnique(envs, Environment(c))
	}
	if len(envs) == 0 {
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

// quote quotes a value from a document for a message, cut to a readable length.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(s, 80))
}

package threatmodel

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Table limits: real models hold tens of rows and under ten columns.
const (
	// MaxTableRows is how many table rows of one file are read as entries;
	// the rest are reported once as limit-exceeded.
	MaxTableRows = 1000
	// MaxTableColumns is the widest table read as threats or mitigations;
	// a wider one is prose.
	MaxTableColumns = 64
)

// cellParser reads a table cell's inline markup. Cells hold no blocks, so it
// knows only paragraphs: a cell reading "- x" or "# x" stays text.
var cellParser = parser.NewParser(
	parser.WithBlockParsers(util.Prioritized(parser.NewParagraphParser(), 100)),
	parser.WithInlineParsers(append([]util.PrioritizedValue{util.Prioritized(delimiterGuard{}, 0)},
		parser.DefaultInlineParsers()...)...),
)

// Column roles besides the field labels.
const (
	columnID    = "\x00id"
	columnTitle = "\x00title"
	// columnMitigation is a "Mitigation" header until the table's kind is known.
	columnMitigation = "\x00mitigation"
)

var columnAliases = map[string]string{
	"id": columnID, "threat id": columnID, "mitigation id": columnID, "ref": columnID,
	"title": columnTitle, "name": columnTitle, "threat": columnTitle, "summary": columnTitle,
}

// cell is one table cell: its text as written and where it starts.
type cell struct {
	raw []byte
	off int // body offset of the first character after the leading spaces
}

// splitRow splits a table line into cells as GitHub does: an optional
// leading and trailing pipe, cells separated by pipes not escaped with a
// backslash, `\|` standing for a pipe inside a cell. It stops after limit
// cells, so a hostile line costs no more than a real one.
func splitRow(line []byte, off, limit int) []cell {
	end := len(bytes.TrimRight(line, " \t\r\n"))
	start := len(line) - len(bytes.TrimLeft(line, " \t"))
	line = line[:end]
	if start < end && line[start] == '|' {
		start++
	}
	if end > start && line[end-1] == '|' && (end < 2 || line[end-2] != '\\') {
		end--
	}
	var cells []cell
	from := start
	for i := start; i <= end && len(cells) < limit; i++ {
		if i < end && (line[i] != '|' || line[i-1] == '\\') {
			continue
		}
		c := line[from:i]
		lead := len(c) - len(bytes.TrimLeft(c, " \t"))
		c = bytes.TrimSpace(c)
		if bytes.Contains(c, []byte(`\|`)) {
			c = bytes.ReplaceAll(c, []byte(`\|`), []byte("|"))
		}
		cells = append(cells, cell{raw: c, off: off + from + lead})
		from = i + 1
	}
	return cells
}

// isDelimiterRow reports whether a line is a table's `|---|:---:|` row with n cells.
func isDelimiterRow(line []byte, n int) bool {
	cells := splitRow(line, 0, n+1)
	if len(cells) != n || n == 0 {
		return false
	}
	for _, c := range cells {
		s := bytes.TrimSuffix(bytes.TrimPrefix(c.raw, []byte(":")), []byte(":"))
		if len(s) == 0 || len(bytes.Trim(s, "-")) != 0 {
			return false
		}
	}
	return true
}

// cellText is a cell's visible text, markup removed, and its first link.
func cellText(raw []byte) (value, link string) {
	raw = brTags.Replace(raw)
	root := cellParser.Parse(text.NewReader(raw))
	var b strings.Builder
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			writeInline(&b, c, raw, &link, true)
		}
	}
	return clean(b.String()), link
}

// brTags turns line breaks written in a cell into list separators.
var brTags = byteReplacer{strings.NewReplacer("<br>", ", ", "<br/>", ", ", "<br />", ", ", "<BR>", ", ")}

type byteReplacer struct{ r *strings.Replacer }

func (b byteReplacer) Replace(s []byte) []byte {
	if !bytes.Contains(s, []byte("<")) {
		return s
	}
	return []byte(b.r.Replace(string(s)))
}

// table reads a paragraph that is a table of threats (its header names the
// ID, STRIDE and Mitigations columns) or of mitigations (ID and at least one
// mitigation field, no STRIDE). Each row is an entry whose fields sit at
// their cells. Any other paragraph or table is left alone.
func (p *docParser) table(para *ast.Paragraph) {
	lines := para.Lines()
	for i := 0; i+1 < lines.Len(); i++ {
		hseg := lines.At(i)
		header := splitRow(hseg.Value(p.body), hseg.Start, MaxTableColumns+1)
		dseg := lines.At(i + 1)
		if len(header) < 2 || len(header) > MaxTableColumns || !isDelimiterRow(dseg.Value(p.body), len(header)) {
			continue
		}
		roles, kind := p.columns(header)
		if kind == 0 {
			return
		}
		for j := i + 2; j < lines.Len(); j++ {
			if p.tableRows >= MaxTableRows {
				pos := p.cellPos(cell{off: lines.At(j).Start})
				p.finding(pos, RuleLimitExceeded, "", fmt.Sprintf("the file holds more than %d table rows; the rows from here on are not read", MaxTableRows))
				return
			}
			p.tableRows++
			seg := lines.At(j)
			p.row(kind, roles, hseg.Value(p.body), splitRow(seg.Value(p.body), seg.Start, len(roles)))
		}
		return
	}
}

// columns maps each header cell to a role and says whether the table holds
// threats ('T'), mitigations ('M') or neither (0).
func (p *docParser) columns(header []cell) (roles []string, kind byte) {
	roles = make([]string, len(header))
	has := map[string]bool{}
	for i, c := range header {
		h, _ := cellText(c.raw)
		n := normalize(h)
		role, ok := columnAliases[n]
		if !ok {
			role = labelAliases[n]
		}
		if n == "mitigation" {
			role = columnMitigation // a title or a field: the STRIDE column decides below
		}
		if role == "" {
			continue
		}
		roles[i] = role
		has[role] = true
	}
	// In a table of threats "Mitigation" is the Mitigations field; in a table
	// of mitigations it names the entry.
	mitigationRole := labelMitigations
	if !has[labelSTRIDE] {
		mitigationRole = columnTitle
	}
	for i, r := range roles {
		if r == columnMitigation {
			roles[i] = mitigationRole
			has[mitigationRole] = true
		}
	}
	switch {
	case !has[columnID]:
		return nil, 0
	case has[labelSTRIDE] && has[labelMitigations]:
		kind = 'T'
	case !has[labelSTRIDE] && !has[labelMitigations] && (has[labelStatus] || has[labelEnvironments] || has[labelSince] || has[labelLink]):
		kind = 'M'
	default:
		return nil, 0
	}
	seen := map[string]int{}
	for i, r := range roles {
		if r == "" {
			continue
		}
		if prev, dup := seen[r]; dup {
			p.finding(p.cellPos(header[i]), RuleFieldDuplicate, "", fmt.Sprintf("column %d repeats column %d; the first is used", i+1, prev+1))
			roles[i] = ""
			continue
		}
		seen[r] = i
	}
	return roles, kind
}

func (p *docParser) cellPos(c cell) Position {
	l, col := p.src.position(c.off)
	return Position{Line: l, Column: col, EndLine: l}
}

// row turns one table row into an entry.
func (p *docParser) row(kind byte, roles []string, header []byte, cells []cell) {
	var idCell *cell
	var title string
	var fields []Field
	empty := true
	for i, c := range cells {
		if len(c.raw) > 0 {
			empty = false
		}
		if i >= len(roles) || roles[i] == "" {
			continue
		}
		switch roles[i] {
		case columnID:
			idCell = &cells[i]
		case columnTitle:
			title, _ = cellText(c.raw)
		default:
			v, link := cellText(c.raw)
			fields = append(fields, Field{Label: roles[i], Value: v, Head: v, Link: link, Pos: p.cellPos(c)})
		}
	}
	if empty {
		return
	}
	if idCell == nil || len(idCell.raw) == 0 {
		at := cells[0]
		if idCell != nil {
			at = *idCell
		}
		p.finding(p.cellPos(at), RuleIDMalformed, "", fmt.Sprintf("this table row has no ID, so it is not checked; write %c-AREA-001 in the ID column", kind))
		return
	}
	raw, _ := cellText(idCell.raw)
	id := foldDashes(raw)
	pos := p.cellPos(*idCell)
	switch {
	case len(id) > maxIDLength:
		p.finding(pos, RuleIDMalformed, truncate(id, maxIDLength), fmt.Sprintf("ID is longer than %d characters", maxIDLength))
		return
	case !validID.MatchString(id) || id[0] != kind:
		msg := fmt.Sprintf("%s is not a valid ID, so this row is not checked: write %c-, then upper-case letters, digits and single hyphens", quote(raw), kind)
		if up := strings.ToUpper(strings.ReplaceAll(id, "_", "-")); validID.MatchString(up) && up[0] == kind {
			p.fixFinding(pos, RuleIDMalformed, raw, msg+fmt.Sprintf("; did you mean %s?", up), raw, up)
			return
		}
		p.finding(pos, RuleIDMalformed, raw, msg)
		return
	}
	if id != raw {
		p.fixFinding(pos, RuleIDDash, id, fmt.Sprintf("ID %s is typed with a dash other than the hyphen; write %s", quote(raw), id), raw, id)
	}
	e := Entry{ID: id, Title: title, Path: p.doc.Path, Pos: pos, Fields: fields}
	var h maphash.Hash
	h.SetSeed(digestSeed)
	h.Write(bytes.TrimSpace(header))
	h.WriteByte('\n')
	for _, c := range cells {
		h.Write(c.raw)
		h.WriteByte('|')
	}
	e.digest = h.Sum64()
	if kind == 'T' {
		p.doc.Threats = append(p.doc.Threats, p.threat(e))
	} else {
		p.doc.Mitigations = append(p.doc.Mitigations, p.mitigation(e))
	}
}

package threatmodel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Limits that keep hostile documents linear in time and memory. goldmark is
// quadratic on some inputs (deeply nested lists, thousands of link openers or
// emphasis delimiters in one block), so the parser below refuses to nest
// containers past MaxNesting and treats inline markup past
// MaxInlineDelimiters in one block as plain text.
const (
	// MaxDocumentSize is the largest threat-model file accepted, in bytes.
	// Real models are under 100 KB; the cap keeps one file's parse under
	// 256 MiB of memory whatever its shape.
	MaxDocumentSize = 1 << 20
	// MaxModelSize is the largest total of the files one check reads, per
	// version (base or head).
	MaxModelSize = 8 << 20
	// MaxNesting is how deep lists and block quotes may nest; deeper
	// markers are read as text.
	MaxNesting = 32
	// MaxInlineDelimiters is how many link openers and emphasis runs one
	// block may hold before the rest of each of its lines is read as text.
	MaxInlineDelimiters = 64
	// MaxLinkReferences is how many link reference definitions a document
	// may hold; past it, paragraphs that would define more are read as text.
	MaxLinkReferences = 1000
)

// ErrTooLarge is returned for documents over MaxDocumentSize.
var ErrTooLarge = errors.New("threat model too large")

// markdownParser is safe for concurrent use: goldmark parsers keep per-parse
// state in the Context.
var markdownParser = parser.NewParser(
	parser.WithBlockParsers(
		util.Prioritized(parser.NewSetextHeadingParser(), 100),
		util.Prioritized(parser.NewThematicBreakParser(), 200),
		util.Prioritized(nestingGuard{parser.NewListParser()}, 300),
		util.Prioritized(parser.NewListItemParser(), 400),
		util.Prioritized(parser.NewCodeBlockParser(), 500),
		util.Prioritized(parser.NewATXHeadingParser(), 600),
		util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
		util.Prioritized(nestingGuard{parser.NewBlockquoteParser()}, 800),
		util.Prioritized(parser.NewHTMLBlockParser(), 900),
		util.Prioritized(parser.NewParagraphParser(), 1000),
	),
	parser.WithInlineParsers(append([]util.PrioritizedValue{util.Prioritized(delimiterGuard{}, 0)},
		parser.DefaultInlineParsers()...)...),
	parser.WithParagraphTransformers(util.Prioritized(linkReferenceGuard{}, 100)),
)

var linkReferenceCount = parser.NewContextKey()

// linkReferenceOverflow is set in the context when definitions were refused.
var linkReferenceOverflow = parser.NewContextKey()

// linkReferenceGuard hands paragraphs to goldmark's link reference
// transformer until the document has used its budget of definitions: that
// transformer takes time quadratic in the definitions of one paragraph.
type linkReferenceGuard struct{}

func (linkReferenceGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	candidates := 0
	for i := range lines.Len() {
		seg := lines.At(i)
		if l := bytes.TrimLeft(seg.Value(reader.Source()), " "); len(l) > 0 && l[0] == '[' {
			candidates++
		}
	}
	if candidates == 0 {
		return
	}
	n, _ := pc.Get(linkReferenceCount).(int)
	if n+candidates > MaxLinkReferences {
		pc.Set(linkReferenceOverflow, true)
		return
	}
	pc.Set(linkReferenceCount, n+candidates)
	parser.LinkReferenceParagraphTransformer.Transform(node, reader, pc)
}

// nestingGuard refuses to open a list or block quote nested MaxNesting deep.
type nestingGuard struct{ parser.BlockParser }

func (g nestingGuard) Open(parent ast.Node, r text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		if k := n.Kind(); k == ast.KindList || k == ast.KindBlockquote {
			depth++
		}
	}
	if depth >= MaxNesting {
		return nil, parser.NoChildren
	}
	return g.BlockParser.Open(parent, r, pc)
}

var delimiterCount = parser.NewContextKey()

// overflowAttribute marks a block whose inline markup was cut short.
var overflowAttribute = []byte("secwg-overflow")

// delimiterGuard runs before goldmark's link and emphasis parsers and, once a
// block has used its budget, consumes the rest of the line as text.
type delimiterGuard struct{}

func (delimiterGuard) Trigger() []byte { return []byte{'!', '[', '*', '_'} }

func (delimiterGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if line[0] == '!' && (len(line) < 2 || line[1] != '[') {
		return nil
	}
	n, _ := pc.Get(delimiterCount).(int)
	if n < MaxInlineDelimiters {
		pc.Set(delimiterCount, n+1)
		return nil
	}
	parent.SetAttribute(overflowAttribute, true)
	end := len(line)
	for end > 0 && (line[end-1] == '\n' || line[end-1] == '\r') {
		end--
	}
	block.Advance(end)
	return ast.NewTextSegment(text.NewSegment(seg.Start, seg.Start+end))
}

func (delimiterGuard) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	pc.Set(delimiterCount, 0)
}

func overflowed(n ast.Node) bool {
	_, ok := n.Attribute(overflowAttribute)
	return ok
}

// source is a document prepared for goldmark: a leading BOM and YAML front
// matter are cut off, and offsets map back to lines and columns of the file.
type source struct {
	all   []byte // the whole file
	base  int    // offset of the Markdown body within all
	lines []int  // offsets in all where each line starts
	index *lineIndex
}

func newSource(data []byte) (*source, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (real threat models are under 100 KB)", ErrTooLarge, len(data), MaxDocumentSize)
	}
	data, err := decode(data)
	if err != nil {
		return nil, err
	}
	s := &source{all: data, index: newLineIndex(data)}
	s.lines = s.index.starts
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		s.base = 3
		s.index.skip = 3
	}
	s.base = frontMatterEnd(data, s.base, s.lines)
	return s, nil
}

// frontMatterEnd returns where the body starts when the file opens with a
// `---` line closed by a `---` or `...` line, and start otherwise.
func frontMatterEnd(data []byte, start int, lines []int) int {
	if !isFence(lineAt(data, start), "---") {
		return start
	}
	for i, off := range lines {
		if off <= start {
			continue
		}
		l := lineAt(data, off)
		if isFence(l, "---") || isFence(l, "...") {
			if i+1 < len(lines) {
				return lines[i+1]
			}
			return len(data)
		}
	}
	return start
}

func lineAt(data []byte, off int) []byte {
	if j := bytes.IndexByte(data[off:], '\n'); j >= 0 {
		return data[off : off+j]
	}
	return data[off:]
}

func isFence(line []byte, fence string) bool {
	return string(bytes.TrimRight(line, " \t\r")) == fence
}

// body is what goldmark parses; its offsets are relative to base.
func (s *source) body() []byte { return s.all[s.base:] }

// position turns an offset into the body into a 1-based line and a 1-based
// column counted in Unicode code points.
func (s *source) position(bodyOffset int) (line, column int) {
	return s.index.at(bodyOffset + s.base)
}

// lineStart returns the body offset at which the line holding bodyOffset starts.
func (s *source) lineStart(bodyOffset int) int {
	off := bodyOffset + s.base
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	if st := s.lines[i] - s.base; st > 0 {
		return st
	}
	return 0
}

// parse parses the body; overflow reports link reference definitions refused.
func (s *source) parse() (root ast.Node, overflow bool) {
	pc := parser.NewContext()
	root = markdownParser.Parse(text.NewReader(s.body()), parser.WithContext(pc))
	_, overflow = pc.Get(linkReferenceOverflow).(bool)
	return root, overflow
}

// ErrEncoding is returned for a file that is neither UTF-8 nor UTF-16 with a
// byte order mark.
var ErrEncoding = errors.New("threat model is not UTF-8 text")

// decode returns the file as UTF-8 with every line ending in LF or CRLF:
// UTF-16 with a byte order mark is decoded (to UTF-8 with a BOM, so the
// marker is not read as text), and a lone CR, which goldmark does not take
// for a line ending, becomes LF. Offsets stay those of the UTF-8 text.
func decode(data []byte) ([]byte, error) {
	if len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF) {
		if len(data)%2 != 0 {
			return nil, fmt.Errorf("%w: UTF-16 with an odd number of bytes", ErrEncoding)
		}
		order := binary.ByteOrder(binary.LittleEndian)
		if data[0] == 0xFE {
			order = binary.BigEndian
		}
		units := make([]uint16, len(data)/2)
		for i := range units {
			units[i] = order.Uint16(data[2*i:])
		}
		data = []byte(string(utf16.Decode(units)))
	} else if bytes.IndexByte(data, 0) >= 0 && !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: it holds NUL bytes and invalid UTF-8; save it as UTF-8", ErrEncoding)
	}
	if i := bytes.IndexByte(data, '\r'); i >= 0 && bytes.Count(data, []byte("\r")) != bytes.Count(data, []byte("\r\n")) {
		data = bytes.Clone(data)
		for ; i < len(data); i++ {
			if data[i] == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
				data[i] = '\n'
			}
		}
	}
	return data, nil
}

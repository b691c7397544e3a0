package threatmodel

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
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
	MaxDocumentSize = 16 << 20
	// MaxNesting is how deep lists and block quotes may nest; deeper
	// markers are read as text.
	MaxNesting = 32
	// MaxInlineDelimiters is how many link openers and emphasis runs one
	// block may hold before the rest of each of its lines is read as text.
	MaxInlineDelimiters = 64
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
	parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
)

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
}

func newSource(data []byte) (*source, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxDocumentSize)
	}
	s := &source{all: data}
	s.lines = make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		s.lines = append(s.lines, i)
	}
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		s.base = 3
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
	off := bodyOffset + s.base
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	start := s.lines[i]
	if i == 0 && s.base >= 3 && bytes.HasPrefix(s.all, []byte("\ufeff")) {
		start = 3
	}
	return i + 1, utf8.RuneCount(s.all[start:off]) + 1
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

func (s *source) parse() ast.Node {
	return markdownParser.Parse(text.NewReader(s.body()))
}

package command

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Limits on what one comment can make secwg do. GitHub caps comments at
// 65,536 characters, so the body cap only bites on hostile input.
const (
	// MaxBodyBytes is how much of a comment is read; the line cut by the cap
	// is dropped so half a line is never taken for a command.
	MaxBodyBytes = 64 << 10
	// MaxCommands is how many commands one comment may run. Parse returns one
	// more, carrying an error, when a comment holds more, so the author learns
	// why the rest did nothing.
	MaxCommands = 10
	// MaxNesting is how deeply quotes and lists may nest on one line. The
	// Markdown parser's cost grows with the square of the nesting, and no
	// real comment nests this deep, so a deeper comment is not read for
	// commands at all.
	MaxNesting = 32
	// maxArgs bounds the words split from a command line; a command takes at
	// most two, so more only matters for saying there are too many.
	maxArgs = 4
)

// Command is one slash command found in a comment.
type Command struct {
	Kind Kind
	// Group is the group id argument, empty when left out.
	Group string
	// Args are the words after the command name (and keyword), at most a few.
	Args []string
	// Line is the 1-based line of the comment the command is on, counting
	// "\r\n" and "\r" as one line break each.
	Line int
	// Raw is that line as written, without its line break.
	Raw string
	// Err is set when the arguments are wrong; the handler replies with it
	// instead of running the command.
	Err error
}

// Spec is the table entry for the command.
func (c Command) Spec() Spec {
	s, _ := SpecFor(c.Kind)
	return s
}

// String is the command in canonical form, e.g. "/agenda remove tsc".
func (c Command) String() string {
	s := c.Spec()
	return joinWords("/"+s.Name, s.Keyword, c.Group)
}

// CheckPlace says, as an error the handler can reply with, when the command
// does not apply to a comment written at p.
func (c Command) CheckPlace(p Place) error {
	s := c.Spec()
	if s.AllowedAt(p) {
		return nil
	}
	where := s.Where.String()
	article := "a "
	if strings.HasPrefix(where, "i") {
		article = "an "
	}
	return fmt.Errorf("%s works only on %s%s", s.Invocation(), article, where)
}

// Parse returns the commands in a comment body, in order.
//
// A command is a line that starts with at most three spaces (as Markdown
// allows before a paragraph), an ASCII "/", a known command name in any case,
// and then the end of the line or a space or tab before its arguments. Only
// lines that render as ordinary text count: lines in fenced or indented code,
// code spans, block quotes (including lazy continuation lines), HTML blocks,
// HTML comments and <details> elements are not commands. Anything other than
// ASCII spaces before the slash (a zero-width space, a byte order mark, a
// no-break space) or a look-alike slash (U+FF0F, U+2215, U+2044) makes a line
// not a command; unknown /words are left alone for other bots.
//
// At most MaxBodyBytes of the body are read and MaxCommands commands
// returned, plus one carrying an error when there were more.
//
// The Markdown structure comes from goldmark, a CommonMark parser, rather
// than a hand-written line scanner: what counts as code, a quote or HTML
// depends on CommonMark's block rules (fence lengths, list indentation, lazy
// continuation, the seven kinds of HTML block), which goldmark implements and
// tests against the spec. It runs with only the inline parsers that can hide
// text (code spans, raw HTML, autolinks): links and emphasis cannot, and
// their delimiter matching is the costly part of inline parsing. goldmark
// only runs when a line already looks like a known command, so comments
// without one cost a single pass over the bytes.
func Parse(body string) []Command {
	src := normalise(capBody(body))
	found := find(src)
	var out []Command
	for i, c := range found {
		if i == MaxCommands {
			cmd := c.command(src)
			cmd.Err = fmt.Errorf("only the first %d commands in a comment are run; this one and the %d after it were not",
				MaxCommands, len(found)-MaxCommands-1)
			out = append(out, cmd)
			break
		}
		out = append(out, c.command(src))
	}
	return out
}

func capBody(body string) string {
	if len(body) <= MaxBodyBytes {
		return body
	}
	body = body[:MaxBodyBytes]
	if i := strings.LastIndexAny(body, "\r\n"); i >= 0 {
		return body[:i+1]
	}
	return ""
}

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func normalise(body string) string { return lineBreaks.Replace(body) }

// candidate is a line that looks like a known command before Markdown is
// taken into account.
type candidate struct {
	line       int
	start, end int // the line, without its "\n"
	slash      int // offset of the "/"
	nameEnd    int
	spec       *Spec
}

// names maps every word after the slash to its table entry; /agenda maps to
// Agenda and the parser switches to AgendaRemove on the keyword.
var names = func() map[string]*Spec {
	m := map[string]*Spec{}
	for i := range table {
		s := &table[i]
		if s.Keyword == "" {
			m[s.Name] = s
		}
		for _, a := range s.Aliases {
			m[a] = s
		}
	}
	return m
}()

const maxNameLen = 16

// find returns the command lines of src that render as ordinary text.
func find(src string) []candidate {
	cands := scanCandidates(src)
	if len(cands) == 0 || tooDeep(src) {
		return nil
	}
	visible := visibleText([]byte(src))
	out := cands[:0]
	for _, c := range cands {
		i := sort.Search(len(visible), func(i int) bool { return visible[i].Stop > c.slash })
		if i < len(visible) && visible[i].Start <= c.slash {
			out = append(out, c)
		}
	}
	return out
}

// scanCandidates is one pass over the bytes; it allocates only for matches.
func scanCandidates(src string) []candidate {
	var out []candidate
	line := 0
	for start := 0; start < len(src); {
		line++
		end := strings.IndexByte(src[start:], '\n')
		next := len(src)
		if end < 0 {
			end = len(src)
		} else {
			end += start
			next = end + 1
		}
		if c, ok := lineCandidate(src, start, end); ok {
			c.line = line
			out = append(out, c)
		}
		start = next
	}
	return out
}

func lineCandidate(src string, start, end int) (candidate, bool) {
	i := start
	for i < end && i-start < 3 && src[i] == ' ' {
		i++
	}
	if i >= end || src[i] != '/' {
		return candidate{}, false
	}
	slash := i
	i++
	for i < end && i-slash <= maxNameLen && isNameByte(src[i]) {
		i++
	}
	if i == slash+1 || (i < end && src[i] != ' ' && src[i] != '\t') {
		return candidate{}, false
	}
	spec, ok := names[strings.ToLower(src[slash+1:i])]
	if !ok {
		return candidate{}, false
	}
	return candidate{start: start, end: end, slash: slash, nameEnd: i, spec: spec}, true
}

// tooDeep reports whether a line opens more than MaxNesting block quotes and
// list items. Each marker must be followed by the next on the same line to
// nest, so reading markers from the start of every line bounds the depth.
func tooDeep(src string) bool {
	depth, start := 0, true
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			depth, start = 0, true
			i++
			continue
		case !start:
			i++
			continue
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '>':
			i++
		case c == '-' || c == '+' || c == '*':
			if i+1 < len(src) && src[i+1] != ' ' && src[i+1] != '\t' && src[i+1] != '\n' {
				start = false
				continue
			}
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && j-i < 9 && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j >= len(src) || (src[j] != '.' && src[j] != ')') {
				start = false
				continue
			}
			i = j + 1
		default:
			start = false
			continue
		}
		if depth++; depth > MaxNesting {
			return true
		}
	}
	return false
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-'
}

var markdown = parser.NewParser(
	parser.WithBlockParsers(parser.DefaultBlockParsers()...),
	parser.WithInlineParsers(
		util.Prioritized(parser.NewCodeSpanParser(), 100),
		util.Prioritized(parser.NewAutoLinkParser(), 300),
		util.Prioritized(parser.NewRawHTMLParser(), 400),
	),
	parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
)

// visibleText returns, in source order, the segments of src that render as
// ordinary text: text nodes outside quotes, code and <details> elements.
func visibleText(src []byte) []text.Segment {
	doc := markdown.Parse(text.NewReader(src))
	var segs []text.Segment
	details := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Blockquote, *ast.CodeSpan, *ast.FencedCodeBlock, *ast.CodeBlock:
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				details = detailsDepth(details, seg.Value(src))
			}
			if n.HasClosure() {
				details = detailsDepth(details, n.ClosureLine.Value(src))
			}
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				details = detailsDepth(details, seg.Value(src))
			}
		case *ast.Text:
			if details == 0 {
				segs = append(segs, n.Segment)
			}
		}
		return ast.WalkContinue, nil
	})
	sort.Slice(segs, func(i, j int) bool { return segs[i].Start < segs[j].Start })
	return segs
}

var (
	openDetails  = []byte("<details")
	closeDetails = []byte("</details")
)

// detailsDepth follows <details> nesting through HTML: people fold examples
// and logs into <details>, so text there is not taken for a command. An
// unclosed element hides the rest of the comment, as browsers render it.
func detailsDepth(depth int, html []byte) int {
	lower := bytes.ToLower(html)
	depth += countTag(lower, openDetails)
	depth -= countTag(lower, closeDetails)
	return max(depth, 0)
}

func countTag(html, tag []byte) int {
	n := 0
	for {
		i := bytes.Index(html, tag)
		if i < 0 {
			return n
		}
		html = html[i+len(tag):]
		if len(html) == 0 || html[0] == '>' || html[0] == '/' || html[0] == ' ' || html[0] == '\t' || html[0] == '\n' {
			n++
		}
	}
}

func (c candidate) command(src string) Command {
	spec := c.spec
	args := splitArgs(src[c.nameEnd:c.end])
	if spec.Kind == Agenda && len(args) > 0 && strings.EqualFold(args[0], "remove") {
		remove, _ := SpecFor(AgendaRemove)
		spec = &remove
		args = args[1:]
	}
	cmd := Command{Kind: spec.Kind, Args: args, Line: c.line, Raw: src[c.start:c.end]}
	switch spec.args {
	case noArgs:
		if len(args) > 0 {
			cmd.Err = fmt.Errorf("%s takes no arguments, but got %s", spec.Usage(), quoteArg(args[0]))
		}
	case optionalGroup:
		switch {
		case len(args) > 1:
			cmd.Err = fmt.Errorf("unexpected argument %s; usage: %s", quoteArg(args[1]), spec.Usage())
		case len(args) == 1:
			if err := ValidGroupID(args[0]); err != nil {
				cmd.Err = fmt.Errorf("%w; usage: %s", err, spec.Usage())
			} else {
				cmd.Group = args[0]
			}
		}
	}
	return cmd
}

// splitArgs splits on ASCII spaces and tabs only, so a no-break or
// zero-width space stays inside a word and makes it invalid rather than
// silently separating words.
func splitArgs(s string) []string {
	var out []string
	for len(out) < maxArgs {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// MaxGroupIDLen bounds a group id, like a DNS label.
const MaxGroupIDLen = 63

// ValidGroupID checks a group id: lower-case ASCII letters, digits and
// inner hyphens. "remove" is reserved for `/agenda remove`.
func ValidGroupID(id string) error {
	if id == "" {
		return fmt.Errorf("empty group id")
	}
	if len(id) > MaxGroupIDLen {
		return fmt.Errorf("group id %s is longer than %d characters", quoteArg(id), MaxGroupIDLen)
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return fmt.Errorf("group id %s may hold only lower-case letters, digits and hyphens", quoteArg(id))
		}
	}
	if id[0] == '-' || id[len(id)-1] == '-' {
		return fmt.Errorf("group id %s may not start or end with a hyphen", quoteArg(id))
	}
	if id == "remove" {
		return fmt.Errorf("%q is not a group id; it is the keyword of /agenda remove", id)
	}
	return nil
}

// quoteArg quotes a word for an error message, showing hidden characters
// as escapes and cutting long words short.
func quoteArg(s string) string {
	const maxLen = 40
	if len(s) > maxLen {
		return fmt.Sprintf("%q…", s[:maxLen])
	}
	return fmt.Sprintf("%q", s)
}

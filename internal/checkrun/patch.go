package checkrun

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errPatch says a patch does not fit the file it was applied to; the caller
// then reads the other version from the repository instead.
var errPatch = errors.New("patch does not apply")

// applyPatch rebuilds one side of a unified diff from the other. GitHub's
// changed-files list carries each file's patch, so with one version of a file
// read, the other comes for free: reverse=true turns the head version into the
// base version, reverse=false the (empty) base of an added file into its head.
// Every context line and every line the patch says src holds is checked, so a
// patch that does not belong to src is an error, never a wrong file.
func applyPatch(src []byte, patch string, reverse bool) ([]byte, error) {
	srcLines, srcEOL := splitLines(src)
	p := &patcher{src: srcLines, reverse: reverse, srcOnly: '-', dstOnly: '+', dstEOL: srcEOL || len(srcLines) == 0}
	if reverse {
		p.srcOnly, p.dstOnly = '+', '-'
	}
	p.out.Grow(len(src) + len(patch))
	lines := strings.Split(patch, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i := 0; i < len(lines); {
		if !strings.HasPrefix(lines[i], "@@") {
			return nil, fmt.Errorf("%w: line %d is outside a hunk", errPatch, i+1)
		}
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "@@") {
			end++
		}
		if err := p.hunk(lines[i], lines[i+1:end]); err != nil {
			return nil, err
		}
		i = end
	}
	p.copyTo(len(srcLines))
	b := p.out.Bytes()
	if !p.dstEOL && len(b) > 0 {
		b = b[:len(b)-1]
	}
	return b, nil
}

// patcher is one application of a patch: the source lines, how far they are
// read, and the other side as written so far.
type patcher struct {
	src     []string
	reverse bool
	// srcOnly and dstOnly mark the lines only the source or only the
	// rebuilt side has: '-' and '+', or the other way round in reverse.
	srcOnly, dstOnly byte
	out              bytes.Buffer
	pos              int  // next source line, 0-based
	last             byte // the kind of the previous patch line
	// dstEOL says the rebuilt side ends with a newline; dstMarked that a
	// "\ No newline" marker said it does not.
	dstEOL, dstMarked bool
}

func (p *patcher) emit(s string) {
	p.out.WriteString(s)
	p.out.WriteByte('\n')
}

// copyTo copies the untouched source lines before line n (0-based).
func (p *patcher) copyTo(n int) {
	for ; p.pos < n; p.pos++ {
		p.emit(p.src[p.pos])
	}
}

// hunk applies one hunk: its header and the lines up to the next one.
func (p *patcher) hunk(header string, body []string) error {
	oldStart, oldCount, newStart, newCount, err := hunkHeader(header)
	if err != nil {
		return err
	}
	start, count := oldStart, oldCount
	if p.reverse {
		start, count = newStart, newCount
	}
	// A hunk that holds no source line sits after line start; others begin at it.
	first := start - 1
	if count == 0 {
		first = start
	}
	if first < p.pos || first > len(p.src) {
		return fmt.Errorf("%w: hunk at line %d is out of order", errPatch, start)
	}
	p.copyTo(first)
	for _, l := range body {
		if err := p.line(l); err != nil {
			return err
		}
	}
	return nil
}

// line applies one line of a hunk.
func (p *patcher) line(l string) error {
	kind, text := byte(' '), ""
	if l != "" {
		kind, text = l[0], l[1:]
	}
	switch kind {
	case ' ', p.srcOnly:
		if p.pos >= len(p.src) || p.src[p.pos] != text {
			return fmt.Errorf("%w: line %d differs", errPatch, p.pos+1)
		}
		p.pos++
		if kind == ' ' {
			p.emit(text)
		}
	case p.dstOnly:
		p.emit(text)
	case '\\': // "\ No newline at end of file" for the line before
		switch p.last {
		case ' ', p.dstOnly:
			p.dstEOL, p.dstMarked = false, true
		case p.srcOnly:
			if !p.dstMarked {
				p.dstEOL = true
			}
		}
	default:
		return fmt.Errorf("%w: unknown line %q", errPatch, l)
	}
	p.last = kind
	return nil
}

// splitLines splits on "\n", reporting whether the last line ended with one.
func splitLines(b []byte) ([]string, bool) {
	if len(b) == 0 {
		return nil, false
	}
	s := string(b)
	eol := strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n"), eol
}

// hunkHeader reads "@@ -a,b +c,d @@ …"; a missing count means 1.
func hunkHeader(l string) (oldStart, oldCount, newStart, newCount int, err error) {
	f := strings.Fields(l)
	if len(f) < 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, 0, 0, fmt.Errorf("%w: malformed hunk header %q", errPatch, l)
	}
	if oldStart, oldCount, err = hunkRange(f[1][1:]); err != nil {
		return
	}
	newStart, newCount, err = hunkRange(f[2][1:])
	return
}

func hunkRange(s string) (start, count int, err error) {
	a, b, found := strings.Cut(s, ",")
	count = 1
	if start, err = strconv.Atoi(a); err == nil && found {
		count, err = strconv.Atoi(b)
	}
	if err != nil || start < 0 || count < 0 {
		return 0, 0, fmt.Errorf("%w: malformed hunk range %q", errPatch, s)
	}
	return start, count, nil
}

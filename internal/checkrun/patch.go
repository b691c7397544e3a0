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
	srcOnly, dstOnly := byte('-'), byte('+')
	if reverse {
		srcOnly, dstOnly = '+', '-'
	}
	var out bytes.Buffer
	out.Grow(len(src) + len(patch))
	dstEOL := srcEOL || len(srcLines) == 0
	dstMarked := false
	pos := 0 // next source line, 0-based
	var last byte
	emit := func(s string) {
		out.WriteString(s)
		out.WriteByte('\n')
	}
	lines := strings.Split(patch, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "@@") {
			return nil, fmt.Errorf("%w: line %d is outside a hunk", errPatch, i+1)
		}
		oldStart, oldCount, newStart, newCount, err := hunkHeader(l)
		if err != nil {
			return nil, err
		}
		start, count := oldStart, oldCount
		if reverse {
			start, count = newStart, newCount
		}
		// A hunk that holds no source line sits after line start; others begin at it.
		first := start - 1
		if count == 0 {
			first = start
		}
		if first < pos || first > len(srcLines) {
			return nil, fmt.Errorf("%w: hunk at line %d is out of order", errPatch, start)
		}
		for ; pos < first; pos++ {
			emit(srcLines[pos])
		}
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "@@") {
			i++
			l := lines[i]
			kind, text := byte(' '), ""
			if l != "" {
				kind, text = l[0], l[1:]
			}
			switch kind {
			case ' ', srcOnly:
				if pos >= len(srcLines) || srcLines[pos] != text {
					return nil, fmt.Errorf("%w: line %d differs", errPatch, pos+1)
				}
				pos++
				if kind == ' ' {
					emit(text)
				}
			case dstOnly:
				emit(text)
			case '\\': // "\ No newline at end of file" for the line before
				switch last {
				case ' ', dstOnly:
					dstEOL, dstMarked = false, true
				case srcOnly:
					if !dstMarked {
						dstEOL = true
					}
				}
			default:
				return nil, fmt.Errorf("%w: unknown line %q", errPatch, l)
			}
			last = kind
		}
	}
	for ; pos < len(srcLines); pos++ {
		emit(srcLines[pos])
	}
	b := out.Bytes()
	if !dstEOL && len(b) > 0 {
		b = b[:len(b)-1]
	}
	return b, nil
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

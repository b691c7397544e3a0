package threatmodel

import (
	"bytes"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Fixable reports whether the fix still applies to text: Old stands on its
// line exactly once as a whole word.
func (f Fix) Fixable(text []byte) bool {
	_, _, ok := f.locate(text)
	return ok
}

// FixedLine returns the fix's line of text after the fix, without its line
// ending; a suggestion replaces the line with it.
func (f Fix) FixedLine(text []byte) (string, bool) {
	start, end, ok := f.locate(text)
	if !ok {
		return "", false
	}
	ls, le, _ := lineBounds(text, f.Line)
	return string(text[ls:start]) + f.New + string(text[end:le]), true
}

// locate returns the byte range of Old on the fix's line.
func (f Fix) locate(text []byte) (start, end int, ok bool) {
	ls, le, ok := lineBounds(text, f.Line)
	if !ok || f.Old == "" {
		return 0, 0, false
	}
	line := text[ls:le]
	found := -1
	for i := 0; i+len(f.Old) <= len(line); {
		j := bytes.Index(line[i:], []byte(f.Old))
		if j < 0 {
			break
		}
		at := i + j
		if wordEdge(line, at-1, true) && wordEdge(line, at+len(f.Old), false) {
			if found >= 0 {
				return 0, 0, false // twice on the line: which one is meant is unclear
			}
			found = at
		}
		i = at + 1
	}
	if found < 0 {
		return 0, 0, false
	}
	return ls + found, ls + found + len(f.Old), true
}

// wordEdge reports whether the rune ending before (before=true) or starting at
// i is no letter or digit, so that a match there is a whole word.
func wordEdge(line []byte, i int, before bool) bool {
	if i < 0 || i >= len(line) {
		return true
	}
	var r rune
	if before {
		r, _ = utf8.DecodeLastRune(line[:i+1])
	} else {
		r, _ = utf8.DecodeRune(line[i:])
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// lineBounds returns the byte range of 1-based line n, its line ending left out.
func lineBounds(text []byte, n int) (start, end int, ok bool) {
	if n < 1 {
		return 0, 0, false
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text[start:], '\n')
		if j < 0 {
			return 0, 0, false
		}
		start += j + 1
	}
	end = start
	if j := bytes.IndexByte(text[start:], '\n'); j >= 0 {
		end += j
	} else {
		end = len(text)
	}
	for end > start && text[end-1] == '\r' {
		end--
	}
	return start, end, true
}

// ApplyFixes applies to a file the fixes that still locate in it and returns
// the new bytes and how many it applied. A file in UTF-16 is left as it is:
// fixes are byte edits of UTF-8 text.
func ApplyFixes(data []byte, fixes []Fix) ([]byte, int) {
	text, err := decode(data)
	if err != nil || len(text) != len(data) || (len(data) >= 2 && (data[0] == 0xFF || data[0] == 0xFE)) {
		return data, 0
	}
	type edit struct {
		start, end int
		new        string
	}
	var edits []edit
	for _, f := range fixes {
		if start, end, ok := f.locate(text); ok {
			edits = append(edits, edit{start, end, f.New})
		}
	}
	// Last first, so that earlier offsets hold; overlapping edits keep the first.
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	out := bytes.Clone(data)
	applied, lowest := 0, len(out)+1
	for _, e := range edits {
		if e.end > lowest {
			continue
		}
		out = slices.Concat(out[:e.start], []byte(e.new), out[e.end:])
		lowest = e.start
		applied++
	}
	return out, applied
}

// Suggestion is one line of a head file as the fixes of its findings would
// leave it: what a one-click suggestion replaces the line with.
type Suggestion struct {
	Path string
	Line int
	// Text is the new line, without its line ending.
	Text string
	// Findings are the messages the suggestion resolves.
	Findings []string
}

// Suggestions gathers the fixes of a report's findings per line of the head
// files, in the order of the findings.
func Suggestions(r *Report) []Suggestion {
	texts := map[string][]byte{}
	for _, d := range r.Documents {
		texts[d.Path] = d.Text
	}
	type place struct {
		path string
		line int
	}
	var order []place
	fixes := map[place][]Fix{}
	messages := map[place][]string{}
	for _, f := range r.Findings {
		if f.Fix == nil {
			continue
		}
		k := place{f.Path, f.Fix.Line}
		if _, ok := fixes[k]; !ok {
			order = append(order, k)
		}
		fix := *f.Fix
		fix.Line = 1 // applied to the line alone
		fixes[k] = append(fixes[k], fix)
		messages[k] = append(messages[k], f.Message)
	}
	var out []Suggestion
	for _, k := range order {
		ls, le, ok := lineBounds(texts[k.path], k.line)
		if !ok {
			continue
		}
		line, n := ApplyFixes(texts[k.path][ls:le], fixes[k])
		if n > 0 {
			out = append(out, Suggestion{Path: k.path, Line: k.line, Text: string(line), Findings: messages[k]})
		}
	}
	return out
}

// Package mdsafe renders text that strangers wrote into Markdown that GitHub
// shows: it cannot ping, cross-reference, inject HTML or hide its reading order.
//
// Each function is one context's policy; all of them remove or show bidi and
// zero-width controls, neutralise @mentions and HTML, and escape what would
// open Markdown in that context.
package mdsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The marks written after an "@" (or "#") so that GitHub neither mentions
// nor links. The entity form survives editors that strip invisible characters;
// the raw form is for places where entities are not decoded consistently.
const (
	breakEntity = "&#8203;"
	breakRune   = "\u200b"
)

// Invisible reports whether r changes how text reads without showing itself:
// a bidirectional control (U+061C, U+200E–U+200F, U+202A–U+202E,
// U+2066–U+2069) or a zero-width character (U+200B–U+200D, U+2060, U+FEFF).
// Such a character can make a check summary or a title say something other
// than what a reviewer sees.
func Invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.Is(unicode.Bidi_Control, r)
}

// Cell makes text safe inline and inside a table cell: the result cannot
// mention or cross-reference (see breaksAfter), open HTML, start
// emphasis, links, code, a heading or a list, or break the table row.
// Line breaks become spaces; control and invisible characters are dropped.
func Cell(s string) string {
	// Dropped first, so that what is left reads as GitHub will read it.
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r), Invisible(r):
			return -1
		}
		return r
	}, s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, r := range s {
		switch {
		case breaksAfter(s, i, r):
			if r == '-' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			b.WriteString(breakRune)
		case r == '<', r == '>', r == '&':
			writeEntity(&b, r)
		case strings.ContainsRune("\\`*_{}[]()#+-.!|~:", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code shows a path, key or name as an inline code span, which GitHub shows
// verbatim: no mention, reference, HTML or markup. Invisible characters are
// dropped first and invalid UTF-8 shows as U+FFFD; text a code span cannot
// hold (a backtick, a line break, a table pipe, a control character) or blank
// text is escaped with Cell instead.
func Code(s string) string {
	s = strings.Map(func(r rune) rune {
		if Invisible(r) {
			return -1
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" || strings.ContainsFunc(s, func(r rune) bool { return r == '`' || r == '|' || unicode.IsControl(r) }) {
		return Cell(s)
	}
	return "`" + s + "`"
}

// LinkText makes a title safe as the text of a Markdown link or list item: it
// cannot mention or cross-reference (see breaksAfter), inject HTML, start a block, or
// open a link, emphasis, code span, table cell or math. Control and invisible
// characters are dropped, whitespace runs become one space, and the result is
// cut at maxRunes (when positive) with an ellipsis. Blank text gives "".
func LinkText(s string, maxRunes int) string {
	s = oneLine(s)
	if maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		s = strings.TrimRight(string(r[:maxRunes-1]), " ") + "…"
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i, r := range s {
		if breaksAfter(s, i, r) {
			if r == '-' && i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			b.WriteString(breakEntity)
			continue
		}
		switch r {
		case '&', '<', '>':
			writeEntity(&b, r)
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '-', '+':
			// After a list bullet these would open a nested list.
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '.', ')':
			// "2024. text" after a bullet would open an ordered list.
			if i > 0 && allDigits(s[:i]) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Inline makes plain text safe inline, for text quoted back to the person who
// wrote it: every ASCII punctuation mark is backslash-escaped (no HTML, links,
// emphasis or commands), mentions and references are broken (see
// breaksAfter), line breaks become spaces, and invalid UTF-8, control and
// invisible format characters show as U+FFFD so hidden tricks stay visible.
func Inline(s string) string {
	var b strings.Builder
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i, r := range s {
		switch {
		case breaksAfter(s, i, r):
			if r == '-' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			b.WriteString(breakEntity)
		case r < utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || Invisible(r):
			b.WriteRune(unicode.ReplacementChar)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CodeBlock shows text nearly verbatim in a fenced block longer than any
// backtick run in it, so the text cannot close the fence. Line breaks are
// normalised, invalid UTF-8, control and invisible format characters show as
// U+FFFD, mentions and references are broken as everywhere (so a copy out of
// the block pings nobody), and a zero-width space breaks "<!" and "->" (so the block can never
// hold an HTML comment marker, even to a reader of the raw text).
func CodeBlock(s string) string {
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || Invisible(r)) {
			return unicode.ReplacementChar
		}
		return r
	}, lineBreaks.Replace(strings.ToValidUTF8(s, "\uFFFD")))
	var b strings.Builder
	for i, r := range s {
		b.WriteRune(r)
		if breaksAfter(s, i, r) {
			b.WriteString(breakRune)
		}
	}
	s = codeMarks.Replace(b.String())
	fence := Fence(s)
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

var (
	lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")
	codeMarks  = strings.NewReplacer("<!", "<"+breakRune+"!", "->", "-"+breakRune+">")
)

// breaksAfter reports whether the rune r at s[i] must be followed by a
// zero-width break, the one rule every policy shares: after each "@" (no
// mention), each "#" (no "#123" or "owner/repo#123" cross-reference), and
// after the "-" of "GH-" before a digit (GitHub links "GH-123" too).
func breaksAfter(s string, i int, r rune) bool {
	switch r {
	case '@', '#':
		return true
	case '-':
		return i >= 2 && strings.EqualFold(s[i-2:i], "gh") && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9'
	}
	return false
}

// Fence returns a code fence of backticks that text s cannot close: longer
// than any backtick run in s, and at least three.
func Fence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func writeEntity(b *strings.Builder, r rune) {
	switch r {
	case '&':
		b.WriteString("&amp;")
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	}
}

// oneLine drops invalid UTF-8, control and invisible characters and folds
// whitespace, so text stays on one line and reads in its written order.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, Invisible(r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

package meeting

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTitleRunes caps a rendered title; GitHub itself stops titles at 256 characters.
const MaxTitleRunes = 256

// EscapeTitle makes text someone else wrote safe to place in Markdown that GitHub
// renders: it cannot mention (an @ gets a zero-width space after it, written as
// &#8203; so it survives editors, which is how dependency bots quote release notes),
// inject HTML (<, > and & become entities), start a block, or open a link, emphasis,
// code span, table cell or math (the punctuation that would is backslash-escaped). Control and
// bidirectional-override characters are dropped, whitespace runs become one space,
// and the result is cut at MaxTitleRunes with an ellipsis.
func EscapeTitle(s string) string {
	s = cleanText(s)
	if utf8.RuneCountInString(s) > MaxTitleRunes {
		r := []rune(s)
		s = strings.TrimRight(string(r[:MaxTitleRunes-1]), " ") + "…"
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteString("@&#8203;")
		case '\\', '`', '*', '_', '[', ']', '#', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '-', '+':
			// After the list bullet these would open a nested list.
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '.', ')':
			// "2024. text" after the bullet would open an ordered list.
			if i > 0 && allDigits(s[:i]) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "(untitled)"
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

// cleanText drops control and bidirectional formatting characters and folds
// whitespace, so a title stays on one line and reads in its written order.
func cleanText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Bidi_Control, r):
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

// safeURL returns u when it is an http(s) URL fit for a Markdown link destination,
// with parentheses and spaces encoded; otherwise "".
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	s := p.String()
	if strings.ContainsAny(s, " <>\"`\r\n") {
		return ""
	}
	return parenEncoder.Replace(s)
}

// parenEncoder keeps a URL from closing its Markdown link early.
var parenEncoder = strings.NewReplacer("(", "%28", ")", "%29")

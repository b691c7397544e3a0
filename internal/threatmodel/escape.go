package threatmodel

import (
	"strings"
	"unicode"
)

// EscapeMarkdown makes text from a document safe inside generated Markdown,
// table cells included: it cannot ping a user or team, open HTML, start
// emphasis, links or code, or break a table row.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == '@':
			// A zero-width space keeps GitHub from reading a mention.
			b.WriteString("@\u200b")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case strings.ContainsRune("\\`*_{}[]()#+-.!|~:", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

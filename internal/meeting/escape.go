package meeting

import (
	"net/url"
	"strings"

	"github.com/secwg/secwg/internal/mdsafe"
)

// MaxTitleRunes caps a rendered title; GitHub itself stops titles at 256 characters.
const MaxTitleRunes = 256

// EscapeTitle makes a title someone else wrote safe as link text in a
// meeting issue (see mdsafe.LinkText), cut at MaxTitleRunes; a blank title
// reads "(untitled)".
func EscapeTitle(s string) string {
	if t := mdsafe.LinkText(s, MaxTitleRunes); t != "" {
		return t
	}
	return "(untitled)"
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

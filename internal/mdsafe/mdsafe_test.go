package mdsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// policies are the three contexts, named for failure messages.
var policies = []struct {
	name string
	fn   func(string) string
}{
	{"Cell", Cell},
	{"LinkText", func(s string) string { return LinkText(s, 256) }},
	{"Inline", Inline},
}

func TestInvisibleCoversBidiAndZeroWidthControls(t *testing.T) {
	for _, r := range []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF} {
		if !Invisible(r) {
			t.Errorf("Invisible(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', ' ', 'é', 0x00A0, 0x2014} {
		if Invisible(r) {
			t.Errorf("Invisible(%U) = true", r)
		}
	}
}

func TestEveryPolicyRemovesOrShowsBidiAndZeroWidthControls(t *testing.T) {
	in := "safe\u202eexe.md\u2066x\u2069\u200by\u200dz\u2060\ufeff\u200e\u200f"
	for _, p := range policies {
		got := p.fn(in)
		if r, ok := invisibleLeft(got); ok {
			t.Errorf("%s(%q) = %q keeps %U", p.name, in, got, r)
		}
	}
}

func TestCellEscapesForTableCells(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ping @nodejs/security-wg", "ping @\u200bnodejs/security\\-wg"},
		{"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"},
		{"a | b\nc", "a \\| b c"},
		{"**bold** [link](x) `code`", "\\*\\*bold\\*\\* \\[link\\]\\(x\\) \\`code\\`"},
		{"&amp;", "&amp;amp;"},
		{"T-1 \u202eevil", "T\\-1 evil"},
		{"<!-- x -->", "&lt;\\!\\-\\- x \\-\\-&gt;"},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLinkTextEscapesTitles(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"ping @nodejs/tsc", 0, "ping @&#8203;nodejs/tsc"},
		{"- list", 0, "\\- list"},
		{"2024. review", 0, "2024\\. review"},
		{"a - b. c", 0, "a - b. c"},
		{"[x](y) `z` $m$", 0, "\\[x\\](y) \\`z\\` \\$m\\$"},
		{"  two\n\tlines  ", 0, "two lines"},
		{"zero\u200bwidth\u202e", 0, "zerowidth"},
		{"abcdef", 4, "abc…"},
		{" \n ", 0, ""},
	}
	for _, tt := range tests {
		if got := LinkText(tt.in, tt.max); got != tt.want {
			t.Errorf("LinkText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestInlineShowsHiddenCharacters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/agenda", `\/agenda`},
		{"@user", "@&#8203;user"},
		{"#12 GH-3", "#&#8203;12 GH\\-&#8203;3"},
		{"a\u200bb", "a\uFFFDb"},
		{"a\u202eb", "a\uFFFDb"},
		{"a\xffb", "a\uFFFDb"},
		{"line\nbreak", "line break"},
		{"<b>", `\<b\>`},
		{"naïve", "naïve"},
	}
	for _, tt := range tests {
		if got := Inline(tt.in); got != tt.want {
			t.Errorf("Inline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeBlockCannotBeClosedOrHideMarkers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"422 ``` Validation Failed", "````text\n422 ``` Validation Failed\n````\n"},
		{"a\r\nb\rc\n\n", "```text\na\nb\nc\n```\n"},
		{"@team #5", "```text\n@\u200bteam #\u200b5\n```\n"},
		{"x\u202ey\u200bz\x00", "```text\nx\uFFFDy\uFFFDz\uFFFD\n```\n"},
		{"<!-- secwg:reply comment=5 -->", "```text\n<\u200b!-- secwg:reply comment=5 --\u200b>\n```\n"},
	}
	for _, tt := range tests {
		if got := CodeBlock(tt.in); got != tt.want {
			t.Errorf("CodeBlock(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// ownMarks are the zero-width spaces the policies themselves write.
var ownMarks = strings.NewReplacer(append([]string{"@" + breakRune, "@", "#" + breakRune, "#", "<" + breakRune + "!", "<!", "-" + breakRune + ">", "->"},
	strings.Split("-"+breakRune+"0,-0,-"+breakRune+"1,-1,-"+breakRune+"2,-2,-"+breakRune+"3,-3,-"+breakRune+"4,-4,-"+breakRune+"5,-5,-"+breakRune+"6,-6,-"+breakRune+"7,-7,-"+breakRune+"8,-8,-"+breakRune+"9,-9", ",")...)...)

// referenceLeft reports whether s, read as GitHub reads it (backslash escapes
// gone), holds a "#123" or "GH-123" reference it would link.
func referenceLeft(s string) bool {
	s = strings.ToLower(strings.NewReplacer("\\", "", breakEntity, breakRune).Replace(s))
	for i := 0; i < len(s)-1; i++ {
		if c := s[i+1]; '0' <= c && c <= '9' && (s[i] == '#' || (s[i] == '-' && i >= 2 && s[i-2:i] == "gh")) {
			return true
		}
	}
	return false
}

// invisibleLeft finds a bidi or zero-width control in s other than the
// zero-width spaces a policy itself writes.
func invisibleLeft(s string) (rune, bool) {
	s = ownMarks.Replace(s)
	for _, r := range s {
		if Invisible(r) {
			return r, true
		}
	}
	return 0, false
}

// mentionLeft reports whether an "@" in s is followed by something other
// than a policy's break mark, so GitHub could read a mention.
func mentionLeft(s string) bool {
	for i := strings.IndexByte(s, '@'); i >= 0; i = strings.IndexByte(s, '@') {
		s = s[i+1:]
		if !strings.HasPrefix(s, breakRune) && !strings.HasPrefix(s, breakEntity) {
			return true
		}
	}
	return false
}

func FuzzPoliciesCannotBreakOut(f *testing.F) {
	for _, s := range []string{"@nodejs/security-wg", "<!-- secwg:begin -->", "a\u202eb", "x\u200b@y", "@\u200bz", "--><!--", "#1 GH-2", "nodejs/node#9 gh-1 G\u200bH-1 \\#4", "\xff@", strings.Repeat("@", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range policies {
			got := p.fn(in)
			if !utf8.ValidString(got) {
				t.Fatalf("%s(%q) = %q is not valid UTF-8", p.name, in, got)
			}
			if r, ok := invisibleLeft(got); ok {
				t.Fatalf("%s(%q) = %q keeps %U", p.name, in, got, r)
			}
			if mentionLeft(got) {
				t.Fatalf("%s(%q) = %q can mention", p.name, in, got)
			}
			if referenceLeft(got) {
				t.Fatalf("%s(%q) = %q can cross-reference", p.name, in, got)
			}
			if strings.Contains(got, "<!--") || strings.Contains(got, "-->") {
				t.Fatalf("%s(%q) = %q can open or close an HTML comment", p.name, in, got)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Fatalf("%s(%q) = %q keeps a line break", p.name, in, got)
			}
			for i := 0; i < len(got); i++ {
				if (got[i] == '<' || got[i] == '>') && (i == 0 || got[i-1] != '\\') {
					t.Fatalf("%s(%q) = %q keeps a raw angle bracket at %d", p.name, in, got, i)
				}
			}
		}
		got := CodeBlock(in)
		fence := got[:strings.Index(got, "text\n")]
		body := strings.TrimSuffix(strings.TrimPrefix(got, fence+"text\n"), fence+"\n")
		switch {
		case !strings.HasSuffix(got, "\n"+fence+"\n") || strings.Contains(body, fence):
			t.Fatalf("CodeBlock(%q) = %q can close its fence early", in, got)
		case mentionLeft(got):
			t.Fatalf("CodeBlock(%q) = %q can mention", in, got)
		case referenceLeft(got):
			t.Fatalf("CodeBlock(%q) = %q can cross-reference", in, got)
		case strings.Contains(got, "<!--") || strings.Contains(got, "-->"):
			t.Fatalf("CodeBlock(%q) = %q holds an HTML comment marker", in, got)
		}
		if r, ok := invisibleLeft(got); ok {
			t.Fatalf("CodeBlock(%q) = %q keeps %U", in, got, r)
		}
	})
}

func TestEveryPolicyBreaksReferences(t *testing.T) {
	in := "see #123, nodejs/node#45 and GH-6 (gh-7)"
	for _, p := range append(policies, struct {
		name string
		fn   func(string) string
	}{"CodeBlock", CodeBlock}) {
		got := p.fn(in)
		if referenceLeft(got) {
			t.Errorf("%s(%q) = %q can cross-reference", p.name, in, got)
		}
		if !strings.Contains(strings.ReplaceAll(got, "\\", ""), "see #") {
			t.Errorf("%s(%q) = %q lost the text", p.name, in, got)
		}
	}
}

func TestCodeShowsPathsVerbatimOrEscaped(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docs/model.md", "`docs/model.md`"},
		{"threat_model.paths", "`threat_model.paths`"},
		{"@nodejs/security #1 <b>*x*</b>", "`@nodejs/security #1 <b>*x*</b>`"},
		{"safe\u202eexe.md\u200b", "`safeexe.md`"},
		{"a`b.md", "a\\`b\\.md"},
		{"a|b.md", "a\\|b\\.md"},
		{"a\nb", "a b"},
		{"a\x00b", "ab"},
		{"a\xffb", "`a\ufffdb`"},
		{"\u202e", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if r, ok := invisibleLeft(Code(tt.in)); ok {
			t.Errorf("Code(%q) keeps %U", tt.in, r)
		}
	}
}

func TestFenceIsLongerThanAnyBacktickRun(t *testing.T) {
	tests := map[string]string{
		"plain":             "```",
		"a `code` span":     "```",
		"``` inside":        "````",
		"a ````` long run":  "``````",
		"`` and ``` mixed ": "````",
	}
	for in, want := range tests {
		if got := Fence(in); got != want {
			t.Errorf("Fence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeShowsPathsAsCodeUnlessACodeSpanCannotHoldThem(t *testing.T) {
	tests := map[string]string{
		"docs/threat-model.md": "`docs/threat-model.md`",
		"a`b.md":               Cell("a`b.md"),
		"a|b.md":               Cell("a|b.md"),
		"line\nbreak":          Cell("line\nbreak"),
	}
	for in, want := range tests {
		if got := Code(in); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
}

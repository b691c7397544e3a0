package command

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// describe renders commands in the fixtures' .want format:
// "LINE KIND [GROUP]", or "LINE KIND !error" when the arguments were refused.
func describe(cmds []Command) string {
	var b strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&b, "%d %s", c.Line, c.Kind)
		switch {
		case c.Err != nil:
			b.WriteString(" !error")
		case c.Group != "":
			b.WriteString(" " + c.Group)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestParseFindsOnlyCommandsThatRenderAsText(t *testing.T) {
	fixtures, err := filepath.Glob("testdata/parse/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) == 0 {
		t.Fatal("no fixtures in testdata/parse")
	}
	for _, path := range fixtures {
		name := strings.TrimSuffix(filepath.Base(path), ".md")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(path, ".md") + ".want")
			if err != nil {
				t.Fatalf("every fixture needs a .want file: %v", err)
			}
			cmds := Parse(string(body))
			if got := describe(cmds); got != string(want) {
				t.Errorf("Parse(%s):\ngot:\n%swant:\n%s", path, got, want)
			}
			lines := strings.Split(string(body), "\n")
			for _, c := range cmds {
				if lines[c.Line-1] != c.Raw {
					t.Errorf("command on line %d has Raw %q, but the line is %q", c.Line, c.Raw, lines[c.Line-1])
				}
			}
		})
	}
}

func TestParseIgnoresLookAlikes(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"full-width slash", "\uFF0Fagenda"},
		{"division slash", "\u2215agenda"},
		{"fraction slash", "\u2044agenda"},
		{"zero-width space before", "\u200B/agenda"},
		{"zero-width joiner before", "\u200D/agenda"},
		{"zero-width non-joiner before", "\u200C/agenda"},
		{"byte order mark before", "\uFEFF/agenda"},
		{"no-break space before", "\u00A0/agenda"},
		{"narrow no-break space before", "\u202F/agenda"},
		{"ideographic space before", "\u3000/agenda"},
		{"word joiner before", "\u2060/agenda"},
		{"zero-width space after name", "/agenda\u200B"},
		{"no-break space after name", "/agenda\u00A0security-wg"},
		{"cyrillic a in name", "/\u0430genda"},
		{"soft hyphen in name", "/agen\u00ADda"},
		{"right-to-left override before", "\u202E/agenda"},
		{"tab before", "\t/agenda"},
		{"four spaces before", "    /agenda"},
		{"invalid utf-8 before", "\xff/agenda"},
		{"nul before", "\x00/agenda"},
		{"escaped slash", "\\/agenda"},
		{"entity slash", "&#x2F;agenda"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.body); len(got) != 0 {
				t.Errorf("Parse(%q) = %s, want no commands", tt.body, describe(got))
			}
		})
	}
}

func TestParseReadsEveryLineBreakAndCase(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"crlf", "hello\r\n/agenda security-wg\r\n/recheck\r\n", "2 agenda security-wg\n3 recheck\n"},
		{"lone cr", "hello\r/help\r", "2 help\n"},
		{"crlf fence", "```\r\n/agenda\r\n```\r\n/help", "4 help\n"},
		{"upper case", "/AGENDA REMOVE security-wg", "1 agenda-remove security-wg\n"},
		{"mixed case alias", "/Remove-Agenda", "1 agenda-remove\n"},
		{"trailing spaces", "/help   \t", "1 help\n"},
		{"no trailing newline", "text\n\n/minutes", "3 minutes\n"},
		{"invalid utf-8 elsewhere", "\xff\xfe\n/help\n\xc3", "2 help\n"},
		{"invalid utf-8 argument", "/agenda \xff", "1 agenda !error\n"},
		{"zero-width space in argument", "/agenda security\u200B-wg", "1 agenda !error\n"},
		{"no-break space between arguments", "/agenda remove\u00A0security-wg", "1 agenda !error\n"},
		{"empty", "", ""},
		{"only a slash", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(Parse(tt.body)); got != tt.want {
				t.Errorf("Parse(%q):\ngot:\n%swant:\n%s", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseKeepsRawLineWithoutLineBreak(t *testing.T) {
	cmds := Parse("x\r\n  /agenda   security-wg  \r\n")
	if len(cmds) != 1 {
		t.Fatalf("got %d commands, want 1", len(cmds))
	}
	if want := "  /agenda   security-wg  "; cmds[0].Raw != want {
		t.Errorf("Raw = %q, want %q", cmds[0].Raw, want)
	}
	if want := "/agenda security-wg"; cmds[0].String() != want {
		t.Errorf("String() = %q, want %q", cmds[0].String(), want)
	}
}

func TestParseStopsAfterMaxCommands(t *testing.T) {
	body := strings.Repeat("/recheck\n", MaxCommands+5)
	cmds := Parse(body)
	if len(cmds) != MaxCommands+1 {
		t.Fatalf("got %d commands, want %d", len(cmds), MaxCommands+1)
	}
	for i, c := range cmds[:MaxCommands] {
		if c.Err != nil || c.Line != i+1 {
			t.Errorf("command %d = line %d, err %v; want line %d, no error", i, c.Line, c.Err, i+1)
		}
	}
	last := cmds[MaxCommands]
	if last.Err == nil || !strings.Contains(last.Err.Error(), "4 after it") {
		t.Errorf("overflow command error = %v, want one saying 4 more were not run", last.Err)
	}
}

func TestParseReadsOnlyTheFirst64KiB(t *testing.T) {
	cut := "/agenda sec"
	filler := strings.Repeat("x", MaxBodyBytes-len(cut)-len("/help\n")-1) + "\n"
	tests := []struct {
		name string
		body string
		want string
	}{
		{"command after the cap", "/help\n" + strings.Repeat("x", MaxBodyBytes) + "\n/recheck\n", "1 help\n"},
		{"command cut by the cap", "/help\n" + filler + "/agenda security-wg\n", "1 help\n"},
		{"one long line", "/help " + strings.Repeat("x", MaxBodyBytes), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(Parse(tt.body)); got != tt.want {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

func TestValidGroupID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"security-wg", true},
		{"tsc", true},
		{"wg2", true},
		{"a", true},
		{"", false},
		{"Security-WG", false},
		{"security_wg", false},
		{"-wg", false},
		{"wg-", false},
		{"remove", false},
		{"sécurité", false},
		{strings.Repeat("a", MaxGroupIDLen), true},
		{strings.Repeat("a", MaxGroupIDLen+1), false},
	}
	for _, tt := range tests {
		if err := ValidGroupID(tt.id); (err == nil) != tt.ok {
			t.Errorf("ValidGroupID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

func TestCheckPlaceNamesWhereTheCommandWorks(t *testing.T) {
	tests := []struct {
		kind  Kind
		place Place
		want  string
	}{
		{Recheck, PullRequest, ""},
		{Recheck, Issue, "/recheck works only on a pull request"},
		{Minutes, Issue | MeetingIssue, ""},
		{Minutes, Issue, "/minutes works only on a meeting issue"},
		{Minutes, PullRequest, "/minutes works only on a meeting issue"},
		{Agenda, PullRequest, ""},
		{AgendaRemove, Issue | MeetingIssue, ""},
		{Meeting, PullRequest, ""},
		{Help, Issue, ""},
	}
	for _, tt := range tests {
		err := Command{Kind: tt.kind}.CheckPlace(tt.place)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s at %s: got %q, want %q", tt.kind, tt.place, got, tt.want)
		}
	}
}

func TestParseSkipsCommentsNestedTooDeeply(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"quotes at the limit", "/help\n" + strings.Repeat(">", MaxNesting) + " x\n", "1 help\n"},
		{"quotes past the limit", "/help\n" + strings.Repeat(">", MaxNesting+1) + " x\n", ""},
		{"spaced quotes past the limit", "/help\n" + strings.Repeat("> ", MaxNesting+1) + "x\n", ""},
		{"lists past the limit", "/help\n" + strings.Repeat("1. - ", MaxNesting) + "x\n", ""},
		{"many shallow lines", "/help\n" + strings.Repeat("> - x\n", 1000), "1 help\n"},
		{"markers later in a line do not nest", "/help\nx " + strings.Repeat("> ", 2*MaxNesting) + "\n", "1 help\n"},
		{"dashes in words do not nest", "/help\n" + strings.Repeat("-x", 2*MaxNesting) + "\n", "1 help\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(Parse(tt.body)); got != tt.want {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

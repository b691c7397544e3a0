package command

import (
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/golden"
)

func TestHelpMarkdownMatchesGolden(t *testing.T) {
	golden.File(t, "testdata/help.md", HelpMarkdown())
}

func TestReadmeTableMatchesGolden(t *testing.T) {
	golden.File(t, "testdata/readme-table.md", ReadmeTable())
}

func TestHelpListsEveryCommandAndAlias(t *testing.T) {
	help := HelpMarkdown()
	for _, s := range Specs() {
		for _, u := range append([]string{s.Usage()}, s.AliasUsages()...) {
			if !strings.Contains(help, "`"+u+"`") {
				t.Errorf("help lacks %q", u)
			}
		}
	}
}

func TestHelpNamesOverriddenPermissions(t *testing.T) {
	help := HelpFor(Overrides{"meeting": Team})
	if !strings.Contains(help, "| `/meeting [group]` | anywhere | Replies with the next meeting's time in UTC and other zones, its issue and the current agenda. | members of the group's team |") {
		t.Errorf("help does not show the override for /meeting:\n%s", help)
	}
}

func TestHelpAndReadmeTableAreNotCommands(t *testing.T) {
	for name, md := range map[string]string{"help": HelpMarkdown(), "readme": ReadmeTable()} {
		if got := Parse(md); len(got) != 0 {
			t.Errorf("%s parses as commands: %s", name, describe(got))
		}
	}
}

func TestExamplesParseToTheirCommand(t *testing.T) {
	for _, s := range Specs() {
		if len(s.Examples) == 0 {
			t.Errorf("%s has no example", s.Kind)
		}
		for _, e := range s.Examples {
			cmds := Parse(e)
			if len(cmds) != 1 || cmds[0].Kind != s.Kind || cmds[0].Err != nil {
				t.Errorf("example %q of %s parses as %s", e, s.Kind, describe(cmds))
			}
		}
	}
}

func TestCommandTableIsConsistent(t *testing.T) {
	seen := map[string]Kind{}
	for _, s := range Specs() {
		if s.Summary == "" || s.Key == "" || s.Where == 0 || s.Default == 0 {
			t.Errorf("%s lacks a summary, key, place or default permission", s.Kind)
		}
		words := append([]string{s.Name + " " + s.Keyword}, s.Aliases...)
		for _, w := range words {
			if k, dup := seen[w]; dup {
				t.Errorf("%q names both %s and %s", w, k, s.Kind)
			}
			seen[w] = s.Kind
		}
		if len(s.Name) > maxNameLen {
			t.Errorf("%s: name longer than the parser reads", s.Kind)
		}
		for _, a := range s.Aliases {
			if len(a) > maxNameLen {
				t.Errorf("%s: alias %q longer than the parser reads", s.Kind, a)
			}
		}
	}
}

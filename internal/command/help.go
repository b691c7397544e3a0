package command

import (
	"fmt"
	"strings"
)

// HelpMarkdown is the /help reply with the default permissions.
func HelpMarkdown() string { return HelpFor(nil) }

// HelpFor is the /help reply for a group, naming who may run each command
// under the group's overrides.
func HelpFor(o Overrides) string {
	var b strings.Builder
	b.WriteString("secwg runs these commands when one starts a line of a comment. ")
	b.WriteString("Arguments in [brackets] may be left out.\n\n")
	b.WriteString(commandTable(o, "who may run it"))
	b.WriteString("\nExamples: ")
	var ex []string
	for _, s := range table {
		for _, e := range s.Examples {
			ex = append(ex, "`"+e+"`")
		}
	}
	b.WriteString(strings.Join(ex, ", "))
	b.WriteString(".\n")
	return b.String()
}

// ReadmeTable is the command table for the README, with default
// permissions; a test checks the README holds it verbatim.
func ReadmeTable() string { return commandTable(nil, "who may run it (default)") }

func commandTable(o Overrides, whoHeader string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| command | where | what it does | %s |\n", whoHeader)
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, s := range table {
		usages := append([]string{s.Usage()}, s.AliasUsages()...)
		for i, u := range usages {
			usages[i] = "`" + u + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
			strings.Join(usages, " or "), s.Where, s.Summary, o.For(s.Kind).Describe())
	}
	return b.String()
}

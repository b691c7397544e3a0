package command

import (
	"fmt"
	"strings"
)

// Kind is one command secwg understands.
type Kind int

// The commands, in the order help lists them.
const (
	Agenda Kind = iota + 1
	AgendaRemove
	Recheck
	Meeting
	Minutes
	Help
)

// Place is where a comment was written. A meeting issue is also an issue, so
// handlers pass Issue|MeetingIssue for it.
type Place uint8

// The places a command may apply to.
const (
	Issue Place = 1 << iota
	PullRequest
	MeetingIssue
)

// Anywhere is every place a comment can be written.
const Anywhere = Issue | PullRequest | MeetingIssue

// argShape says which arguments a command takes after its name (and keyword).
type argShape int

const (
	noArgs argShape = iota
	optionalGroup
)

// Spec describes one command. The parser, the permission defaults, the /help
// reply and the README table are all generated from the table of Specs, so a
// command cannot be documented differently from how it behaves.
type Spec struct {
	Kind Kind
	// Name is the word after the slash; Keyword, when set, must follow it
	// (`/agenda remove`).
	Name    string
	Keyword string
	// Aliases are other words after the slash that mean the same command
	// without the keyword (`/remove-agenda`).
	Aliases []string
	// Key names the command in the server config's `commands:` block; a
	// command and its removal share one key so they cannot drift apart.
	Key     string
	Args    string
	Where   Place
	Default Permission
	Summary string
	// Examples are shown in help; each must parse to this Kind.
	Examples []string

	args argShape
}

var table = []Spec{
	{
		Kind: Agenda, Name: "agenda", Key: "agenda", Args: "[group]", args: optionalGroup,
		Where: Issue | PullRequest, Default: Team | Triage,
		Summary:  "Adds the group's agenda label; the group may be left out when only one group uses this organization.",
		Examples: []string{"/agenda", "/agenda security-wg"},
	},
	{
		Kind: AgendaRemove, Name: "agenda", Keyword: "remove", Aliases: []string{"remove-agenda"}, Key: "agenda",
		Args: "[group]", args: optionalGroup,
		Where: Issue | PullRequest, Default: Team | Triage,
		Summary:  "Removes the group's agenda label.",
		Examples: []string{"/agenda remove", "/remove-agenda security-wg"},
	},
	{
		Kind: Recheck, Name: "recheck", Key: "recheck", args: noArgs,
		Where: PullRequest, Default: Author | Write,
		Summary:  "Runs the threat-model check again on the pull request's head commit.",
		Examples: []string{"/recheck"},
	},
	{
		Kind: Meeting, Name: "meeting", Key: "meeting", Args: "[group]", args: optionalGroup,
		Where: Anywhere, Default: Anyone,
		Summary:  "Replies with the next meeting's time in UTC and other zones, its issue and the current agenda.",
		Examples: []string{"/meeting", "/meeting security-wg"},
	},
	{
		Kind: Minutes, Name: "minutes", Key: "minutes", args: noArgs,
		Where: MeetingIssue, Default: Team,
		Summary:  "Opens or updates this meeting's minutes pull request now.",
		Examples: []string{"/minutes"},
	},
	{
		Kind: Help, Name: "help", Key: "help", args: noArgs,
		Where: Anywhere, Default: Anyone,
		Summary:  "Replies with the commands, their arguments and who may use them.",
		Examples: []string{"/help"},
	},
}

// Specs returns the command table in help order.
func Specs() []Spec {
	out := make([]Spec, len(table))
	copy(out, table)
	for i := range out {
		out[i].Aliases = append([]string(nil), out[i].Aliases...)
		out[i].Examples = append([]string(nil), out[i].Examples...)
	}
	return out
}

// SpecFor returns the table entry for k.
func SpecFor(k Kind) (Spec, bool) {
	for _, s := range table {
		if s.Kind == k {
			return s, true
		}
	}
	return Spec{}, false
}

// String is the command's key-like name, used in logs and test fixtures.
func (k Kind) String() string {
	s, ok := SpecFor(k)
	if !ok {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	if s.Keyword != "" {
		return s.Name + "-" + s.Keyword
	}
	return s.Name
}

// Invocation is the command without arguments, e.g. "/agenda remove", as
// refusals and errors name it.
func (s Spec) Invocation() string { return joinWords("/"+s.Name, s.Keyword) }

// Usage is how the command is written, e.g. "/agenda remove [group]".
func (s Spec) Usage() string {
	return joinWords("/"+s.Name, s.Keyword, s.Args)
}

// AliasUsages are the other ways to write the command.
func (s Spec) AliasUsages() []string {
	out := make([]string, 0, len(s.Aliases))
	for _, a := range s.Aliases {
		out = append(out, joinWords("/"+a, s.Args))
	}
	return out
}

func joinWords(words ...string) string {
	var b strings.Builder
	for _, w := range words {
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// AllowedAt reports whether the command applies to a comment written at p.
func (s Spec) AllowedAt(p Place) bool { return s.Where&p != 0 }

// String names the places in words, as help shows them.
func (p Place) String() string {
	switch {
	case p&Anywhere == Anywhere:
		return "anywhere"
	case p == Issue|PullRequest:
		return "issue or pull request"
	}
	var parts []string
	if p&Issue != 0 {
		parts = append(parts, "issue")
	}
	if p&PullRequest != 0 {
		parts = append(parts, "pull request")
	}
	if p&MeetingIssue != 0 {
		parts = append(parts, "meeting issue")
	}
	if len(parts) == 0 {
		return "nowhere"
	}
	return strings.Join(parts, " or ")
}

package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	fixtures, _ := filepath.Glob("testdata/parse/*.md")
	for _, path := range fixtures {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(string(b))
		}
	}
	for _, h := range hostileBodies() {
		f.Add(h.body[:min(len(h.body), 4096)])
	}
	for _, raw := range hostileLines {
		f.Add(raw)
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		cmds := Parse(body)
		if len(cmds) > MaxCommands+1 {
			t.Fatalf("%d commands, want at most %d", len(cmds), MaxCommands+1)
		}
		lines := strings.Split(normalise(capBody(body)), "\n")
		prev := 0
		for i, c := range cmds {
			if c.Line <= prev || c.Line > len(lines) {
				t.Fatalf("command %d on line %d after line %d of %d", i, c.Line, prev, len(lines))
			}
			prev = c.Line
			if lines[c.Line-1] != c.Raw {
				t.Fatalf("Raw %q is not line %d %q", c.Raw, c.Line, lines[c.Line-1])
			}
			trimmed := strings.TrimLeft(c.Raw, " ")
			if len(c.Raw)-len(trimmed) > 3 || !strings.HasPrefix(trimmed, "/") {
				t.Fatalf("line %d %q does not start with a slash", c.Line, c.Raw)
			}
			if c.Err == nil && c.Group != "" && ValidGroupID(c.Group) != nil {
				t.Fatalf("invalid group %q accepted", c.Group)
			}
			if _, ok := SpecFor(c.Kind); !ok {
				t.Fatalf("unknown kind %d", c.Kind)
			}
			if i < MaxCommands && len(Parse(c.Raw)) != 1 {
				t.Fatalf("line %q alone does not parse as one command", c.Raw)
			}
		}
		var outcomes []Outcome
		for _, c := range cmds {
			outcomes = append(outcomes, ArgumentFailure(c), Refusal(c, Decision{Reason: c.Raw}))
		}
		if reply := Reply(1, outcomes); len(Parse(reply)) != 0 {
			t.Fatalf("reply parses as commands:\n%s", reply)
		}
	})
}

// FuzzReply feeds arbitrary text into every part of a reply: none of it may
// make the reply read as a command or lose its marker.
func FuzzReply(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		c := Command{Kind: Agenda, Raw: s, Line: 1}
		reply := Reply(77, []Outcome{
			Refusal(c, Decision{Reason: s}),
			Failure(c, s, errString(s)),
			Success(c, s),
		})
		if got := Parse(reply); len(got) != 0 {
			t.Fatalf("reply parses as %s:\n%s", describe(got), reply)
		}
		if !HasReplyMarker(reply, 77) {
			t.Fatalf("reply lost its marker:\n%s", reply)
		}
	})
}

type errString string

func (e errString) Error() string { return string(e) }

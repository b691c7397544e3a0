package command

import (
	"math/rand"
	"strings"
)

// fill repeats unit until the body reaches MaxBodyBytes, after a prefix.
func fill(prefix, unit string) string {
	n := (MaxBodyBytes - len(prefix)) / len(unit)
	return prefix + strings.Repeat(unit, n)
}

// hostileBodies are 64 KiB comments built to find the slow paths of a
// Markdown parser: every line a command, deep nesting, unmatched code
// spans and HTML that scan ahead, invalid UTF-8.
func hostileBodies() []struct{ name, body string } {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, MaxBodyBytes)
	for i := range random {
		random[i] = byte(rng.Intn(256))
		if i%40 == 0 {
			random[i] = '\n'
		}
	}
	var backticks strings.Builder
	backticks.WriteString("/help\n")
	for n := 1; backticks.Len() < MaxBodyBytes-512; n++ {
		backticks.WriteString(strings.Repeat("`", n))
		backticks.WriteString(" x\n/agenda ")
	}
	var mixed strings.Builder
	units := []string{"/agenda security-wg\n", "```\n", "> /recheck\n", "<!--\n", "-->\n", "    /help\n", "`/meeting\n", "<details>\n", "</details>\n", "\n"}
	for i := 0; mixed.Len() < MaxBodyBytes-32; i++ {
		mixed.WriteString(units[rng.Intn(len(units))])
	}
	return []struct{ name, body string }{
		{"every line a command", fill("", "/agenda security-wg\n")},
		{"ten thousand short lines", fill("", "/help\n")[:10000*6]},
		{"one line of slashes", fill("/help\n", "/")},
		{"lines of slashes", fill("/help\n", "//////////////\n")},
		{"unmatched backtick runs", backticks.String()},
		{"nested quotes", fill("/help\n", ">")},
		{"nested quotes per line", fill("/help\n", "> > > > > > > > > > > > > > > /agenda\n")},
		{"nested lists", fill("/help\n", "- ")},
		{"indented nested lists", fill("/help\n", "  - x\n")},
		{"deeply indented list items", fill("/help\n", "- a\n  - b\n    - c\n      - d\n")},
		{"unclosed html comments", fill("/help\n", "<!--")},
		{"unclosed open tags", fill("/help\n", "<a b='")},
		{"unclosed processing instructions", fill("/help\n", "<?")},
		{"unclosed fences", fill("/help\n", "```\n/agenda\n")},
		{"link reference lookalikes", fill("/help\n", "[a]:\n/agenda\n")},
		{"random bytes", "/help\n" + string(random)},
		{"mixed", mixed.String()},
		{"crlf commands", fill("", "/recheck\r\n")},
		{"lone cr commands", fill("", "/recheck\r")},
	}
}

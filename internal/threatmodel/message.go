package threatmodel

import (
	"strings"
	"unicode/utf8"

	"github.com/secwg/secwg/internal/mdsafe"
)

// Messages are written once and shown two ways: as plain text (terminal,
// check-run annotations, SARIF message.text) and as Markdown (SARIF
// message.markdown). em marks the words Markdown shows in bold.
const (
	emOpen  = "\x02"
	emClose = "\x03"
)

// em marks a field label or value for bold in the Markdown form of a message.
func em(s string) string { return emOpen + s + emClose }

var plainMarkers = strings.NewReplacer(emOpen, "", emClose, "")

// plainMessage is a message without its markers.
func plainMessage(msg string) string { return plainMarkers.Replace(msg) }

// markdownMessage is a message as Markdown: marked words bold, the rest
// escaped so that nothing a document holds becomes markup.
func markdownMessage(msg string) string {
	var b strings.Builder
	bold := false
	for msg != "" {
		i := strings.IndexAny(msg, emOpen+emClose)
		if i < 0 {
			b.WriteString(mdsafe.Cell(msg))
			break
		}
		b.WriteString(mdsafe.Cell(msg[:i]))
		open := msg[i] == emOpen[0]
		if open != bold {
			b.WriteString("**")
			bold = open
		}
		msg = msg[i+1:]
	}
	if bold {
		b.WriteString("**")
	}
	return b.String()
}

// newFinding is a finding at pos with the rule's default severity.
func newFinding(path string, pos Position, rule, entry, msg string) Finding {
	return Finding{
		Path: path, Line: pos.Line, Column: pos.Column, EndLine: pos.EndLine,
		Severity: rulesByID[rule].Severity, Rule: rule, Entry: entry,
		Message: plainMessage(msg), Markdown: markdownMessage(msg),
	}
}

// PlainHelp is a rule's help without Markdown, for plain-text output.
func (r Rule) PlainHelp() string { return strings.NewReplacer("**", "", "`", "").Replace(r.Help) }

// candidates are the values "did you mean" may offer, with their
// normalised spellings computed once.
type candidates struct {
	names, normal []string
}

func newCandidates(names []string) candidates {
	c := candidates{names: names}
	for _, n := range names {
		c.normal = append(c.normal, normalize(n))
	}
	return c
}

// suggestion returns the one candidate within a small edit distance of s, for
// "did you mean": one typo in a short word, two in a longer one.
func (c candidates) suggestion(s string) (string, bool) {
	n := normalize(s)
	if n == "" || len(n) > 160 || utf8.RuneCountInString(n) > 40 {
		return "", false
	}
	limit := 1
	if utf8.RuneCountInString(n) >= 7 {
		limit = 2
	}
	best, bestDist, ties := "", limit+1, 0
	for i, cand := range c.normal {
		d := editDistance(n, cand, limit)
		switch {
		case d < bestDist:
			best, bestDist, ties = c.names[i], d, 1
		case d == bestDist && c.names[i] != best:
			ties++
		}
	}
	if bestDist > limit || ties != 1 {
		return "", false
	}
	return best, true
}

// editDistance is the Levenshtein distance of a and b in runes, or limit+1
// when it is larger than limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

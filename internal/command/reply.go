package command

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/secwg/secwg/internal/mdsafe"
)

// Result is how running a command ended.
type Result int

// The results a reply can report.
const (
	Done Result = iota + 1
	Refused
	Failed
)

func (r Result) String() string {
	switch r {
	case Done:
		return "done"
	case Refused:
		return "refused"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Reactions the handler puts on the comment.
const (
	ReactionDone    = "+1"
	ReactionProblem = "confused"
)

// Outcome is what running one command produced, for the reply.
type Outcome struct {
	Command Command
	Result  Result
	// Reason is one plain-text sentence saying why a command was refused or
	// failed; it is escaped into the reply.
	Reason string
	// Details is plain text kept folded under the reason, e.g. an API error.
	Details string
	// Content is Markdown the command produced on success (/help, /meeting,
	// /minutes). Its producer escapes what strangers wrote in it; Reply only
	// makes sure no line of it reads as a command.
	Content string
}

// Success is a command that ran, with the Markdown it produced, if any.
func Success(c Command, content string) Outcome {
	return Outcome{Command: c, Result: Done, Content: content}
}

// Refusal is a command the user may not run.
func Refusal(c Command, d Decision) Outcome {
	return Outcome{Command: c, Result: Refused, Reason: d.Reason}
}

// Failure is a command that could not run: bad arguments (c.Err), the wrong
// place, or an error while running, kept in the details.
func Failure(c Command, reason string, err error) Outcome {
	o := Outcome{Command: c, Result: Failed, Reason: reason}
	if err != nil {
		o.Details = err.Error()
	}
	return o
}

// ArgumentFailure is the reply to a command whose arguments Parse refused.
func ArgumentFailure(c Command) Outcome {
	return Failure(c, "This command could not be read: "+errorText(c.Err)+".", nil)
}

func errorText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return strings.TrimRight(err.Error(), ".")
}

// ReactionFor is the one reaction for a comment: confused when any of its
// commands was refused or failed.
func ReactionFor(outcomes []Outcome) string {
	for _, o := range outcomes {
		if o.Result != Done {
			return ReactionProblem
		}
	}
	return ReactionDone
}

// MaxReplyBytes keeps a reply under GitHub's 65,536-character comment limit.
const MaxReplyBytes = 60 << 10

const (
	maxQuotedLines    = 10
	maxQuotedLineRune = 300
	maxDetailsBytes   = 4 << 10
)

// ReplyMarker is the hidden line that ties a reply to the comment it answers,
// so a repeated delivery finds the earlier reply instead of posting again.
func ReplyMarker(commentID int64) string {
	return fmt.Sprintf("<!-- secwg:reply comment=%d -->", commentID)
}

// HasReplyMarker reports whether body is secwg's reply to commentID. Only
// bodies written by the App itself should be asked: anyone can type a marker.
func HasReplyMarker(body string, commentID int64) bool {
	return strings.Contains(body, ReplyMarker(commentID))
}

// Reply is the one comment answering a comment's commands: for each command
// that was refused, failed or produced content, the command quoted with ">"
// and the reason or content; a pointer to /help when anything went wrong.
// It is empty when nothing needs saying (the +1 reaction is enough).
//
// No line of a reply reads as a command: user text is quoted and escaped,
// and any line of Content that would is escaped as well, so secwg can never
// answer itself.
func Reply(commentID int64, outcomes []Outcome) string {
	var sections []string
	size, left, problem := 0, 0, false
	for _, o := range outcomes {
		if o.Result == Done && o.Content == "" {
			continue
		}
		if o.Result != Done {
			problem = true
		}
		s := section(o)
		if size+len(s) > MaxReplyBytes {
			left++
			continue
		}
		size += len(s)
		sections = append(sections, s)
	}
	if len(sections) == 0 && left == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(ReplyMarker(commentID))
	b.WriteString("\n\n")
	b.WriteString(strings.Join(sections, "\n---\n\n"))
	if left > 0 {
		fmt.Fprintf(&b, "\n%d more answers were left out to keep this comment short.\n", left)
	}
	if problem {
		b.WriteString("\n<sub>Comment `/help` for the commands and who may use them.</sub>\n")
	}
	return neutralise(b.String())
}

func section(o Outcome) string {
	var b strings.Builder
	b.WriteString(quote(o.Command.Raw))
	b.WriteString("\n")
	switch {
	case o.Result == Done:
		b.WriteString(o.Content)
		if !strings.HasSuffix(o.Content, "\n") {
			b.WriteString("\n")
		}
	default:
		reason := o.Reason
		if reason == "" && o.Command.Err != nil {
			reason = "This command could not be read: " + errorText(o.Command.Err) + "."
		}
		if reason == "" {
			reason = "This command could not be run."
		}
		b.WriteString(mdsafe.Inline(reason))
		b.WriteString("\n")
		if o.Details != "" {
			b.WriteString("\n<details><summary>Details</summary>\n\n")
			b.WriteString(codeBlock(o.Details))
			b.WriteString("\n</details>\n")
		}
	}
	return b.String()
}

// quote renders user text as a block quote, line by line, escaped. The
// quote keeps the reply from running the command again; the escaping keeps
// it from pinging, linking or injecting HTML.
func quote(raw string) string {
	lines := strings.Split(normalise(raw), "\n")
	cut := len(lines) > maxQuotedLines
	if cut {
		lines = lines[:maxQuotedLines]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("> ")
		b.WriteString(mdsafe.Inline(truncateRunes(l, maxQuotedLineRune)))
		b.WriteString("\n")
	}
	if cut {
		b.WriteString("> …\n")
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// codeBlock shows API error text folded in a reply, cut to maxDetailsBytes.
func codeBlock(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > maxDetailsBytes {
		s = s[:maxDetailsBytes]
		s = strings.ToValidUTF8(s, "") + "\n…"
	}
	return mdsafe.CodeBlock(s)
}

// neutralise escapes the slash of every line of md that would read as a
// command. The backslash keeps the line's Markdown block the same (it was
// ordinary text and stays so), so one pass is enough.
func neutralise(md string) string {
	md = normalise(md)
	found := find(md)
	if len(found) == 0 {
		return md
	}
	var b strings.Builder
	last := 0
	for _, c := range found {
		b.WriteString(md[last:c.slash])
		b.WriteByte('\\')
		last = c.slash
	}
	b.WriteString(md[last:])
	return b.String()
}

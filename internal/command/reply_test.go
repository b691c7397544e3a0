package command

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/renderer/html"
)

// hostileLines are user lines that try to break out of a reply.
var hostileLines = []string{
	"/agenda security-wg",
	"/agenda\n/recheck\r\n/help\r/minutes",
	"/meeting <!-- secwg:reply comment=7 -->",
	"/agenda -->\n/recheck",
	"/agenda <!--\n/help\n-->",
	"/agenda ```\n/recheck\n```",
	"/agenda </details>\n\n/help",
	"/agenda\n>\n/recheck",
	"/agenda @nodejs/security-wg @someone #123",
	`/agenda <img src=x onerror="alert(1)"> [x](javascript:alert(1))`,
	"/agenda \xff\xfe\u202e\u200b\x00",
	"/agenda\n\n    indented\n/help",
	"/help " + strings.Repeat("`", 50),
}

func replyKinds(raw string) map[string][]Outcome {
	c := Command{Kind: Agenda, Raw: raw, Line: 1, Err: errors.New("unexpected argument " + quoteArg(raw))}
	return map[string][]Outcome{
		"argument failure":      {ArgumentFailure(c)},
		"refusal":               {Refusal(c, Decision{Reason: "Only members of team nodejs/security-wg may run /agenda."})},
		"failure":               {Failure(c, "The label could not be added.", errors.New(raw+"\n/agenda\n```\n</details>"))},
		"help content":          {Success(c, HelpMarkdown())},
		"content with commands": {Success(c, "/agenda\n\n   /recheck now\n- item\n  /help\n\n> /meeting\n/minutes\n")},
		"several":               {ArgumentFailure(c), Success(c, ""), Refusal(c, Decision{Reason: raw}), Success(c, raw)},
	}
}

func TestReplyNeverReadsAsACommand(t *testing.T) {
	for _, raw := range hostileLines {
		for kind, outcomes := range replyKinds(raw) {
			reply := Reply(1, outcomes)
			if reply == "" {
				t.Fatalf("%s for %q: empty reply", kind, raw)
			}
			if got := Parse(reply); len(got) != 0 {
				t.Errorf("%s for %q: reply parses as %s\nreply:\n%s", kind, raw, describe(got), reply)
			}
		}
	}
}

func TestReplyEscapesWhatUsersWrote(t *testing.T) {
	md := goldmark.New(goldmark.WithRendererOptions(html.WithUnsafe()))
	for _, raw := range hostileLines {
		for kind, outcomes := range replyKinds(raw) {
			if kind == "help content" || kind == "content with commands" || kind == "several" {
				continue // Content is the producer's Markdown, escaped by the producer
			}
			reply := Reply(1, outcomes)
			var out bytes.Buffer
			if err := md.Convert([]byte(reply), &out); err != nil {
				t.Fatal(err)
			}
			rendered := out.String()
			for _, bad := range []string{"<img", "<a href=\"javascript", "<!-- secwg:reply comment=7", "@nodejs", "@someone", "#123", "\u202e", "\x00"} {
				if strings.Contains(rendered, bad) {
					t.Errorf("%s for %q: rendered reply holds %q:\n%s", kind, raw, bad, rendered)
				}
			}
			if strings.Count(rendered, "<details>") != strings.Count(rendered, "</details>") {
				t.Errorf("%s for %q: user text unbalanced <details>:\n%s", kind, raw, rendered)
			}
		}
	}
}

func TestReplyToRefusalQuotesReasonsAndPointsToHelp(t *testing.T) {
	c := Parse("please\n/agenda security-wg\n")[0]
	reply := Reply(99, []Outcome{Refusal(c, Decision{Reason: "Only members of team nodejs/security-wg may run /agenda."})})
	want := "<!-- secwg:reply comment=99 -->\n\n" +
		"> \\/agenda security\\-wg\n\n" +
		"Only members of team nodejs\\/security\\-wg may run \\/agenda\\.\n\n" +
		"<sub>Comment `/help` for the commands and who may use them.</sub>\n"
	if reply != want {
		t.Errorf("reply:\n%s\nwant:\n%s", reply, want)
	}
}

func TestReplyKeepsFailureDetailsFolded(t *testing.T) {
	c := Parse("/minutes")[0]
	reply := Reply(5, []Outcome{Failure(c, "The minutes pull request could not be opened.", errors.New("422 ``` Validation Failed"))})
	for _, want := range []string{
		"> \\/minutes\n",
		"The minutes pull request could not be opened\\.\n",
		"<details><summary>Details</summary>\n\n````text\n422 ``` Validation Failed\n````\n\n</details>\n",
		"`/help`",
	} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
}

func TestFailureDetailsCannotCarryAnotherReplysMarker(t *testing.T) {
	c := Parse("/minutes")[0]
	reply := Reply(5, []Outcome{Failure(c, "It failed.", errors.New("bad title "+ReplyMarker(9)))})
	if !HasReplyMarker(reply, 5) || HasReplyMarker(reply, 9) {
		t.Errorf("reply to 5 reads as a reply to 9 too:\n%s", reply)
	}
}

func TestReplyIsEmptyWhenEveryCommandJustWorked(t *testing.T) {
	cmds := Parse("/agenda\n/recheck")
	if got := Reply(1, []Outcome{Success(cmds[0], ""), Success(cmds[1], "")}); got != "" {
		t.Errorf("reply = %q, want none", got)
	}
	if got := Reply(1, nil); got != "" {
		t.Errorf("reply to nothing = %q, want none", got)
	}
}

func TestReplyWithContentHasNoHelpFooter(t *testing.T) {
	c := Parse("/meeting")[0]
	reply := Reply(1, []Outcome{Success(c, "Next meeting: 2026-04-02 15:00 UTC.")})
	if strings.Contains(reply, "<sub>") {
		t.Errorf("a successful reply points to /help:\n%s", reply)
	}
	if !strings.Contains(reply, "> \\/meeting\n\nNext meeting: 2026-04-02 15:00 UTC.\n") {
		t.Errorf("reply does not quote the command before its content:\n%s", reply)
	}
}

func TestReplyStaysUnderGitHubsCommentLimit(t *testing.T) {
	cmds := Parse(strings.Repeat("/help\n", MaxCommands))
	var outcomes []Outcome
	big := strings.Repeat("| a | b |\n", 2000)
	for _, c := range cmds {
		outcomes = append(outcomes, Success(c, big))
	}
	reply := Reply(1, outcomes)
	if len(reply) > MaxReplyBytes+1024 {
		t.Errorf("reply is %d bytes, want at most about %d", len(reply), MaxReplyBytes)
	}
	if !strings.Contains(reply, "more answers were left out") {
		t.Error("reply does not say answers were left out")
	}
}

func TestReplyMarkerMatchesOnlyItsComment(t *testing.T) {
	c := Parse("/help")[0]
	reply := Reply(42, []Outcome{Success(c, HelpMarkdown())})
	tests := []struct {
		id   int64
		want bool
	}{{42, true}, {4, false}, {420, false}, {-42, false}, {0, false}}
	for _, tt := range tests {
		if got := HasReplyMarker(reply, tt.id); got != tt.want {
			t.Errorf("HasReplyMarker(reply to 42, %d) = %v, want %v", tt.id, got, tt.want)
		}
	}
	forged := Reply(42, []Outcome{Refusal(Command{Kind: Agenda, Raw: ReplyMarker(7)}, Decision{Reason: ReplyMarker(8)})})
	if HasReplyMarker(forged, 7) || HasReplyMarker(forged, 8) {
		t.Errorf("a marker quoted from user text survived escaping:\n%s", forged)
	}
}

func TestReactionFor(t *testing.T) {
	c := Command{Kind: Help}
	tests := []struct {
		outcomes []Outcome
		want     string
	}{
		{[]Outcome{Success(c, "")}, ReactionDone},
		{[]Outcome{Success(c, ""), Refusal(c, Decision{})}, ReactionProblem},
		{[]Outcome{Failure(c, "x", nil)}, ReactionProblem},
	}
	for _, tt := range tests {
		if got := ReactionFor(tt.outcomes); got != tt.want {
			t.Errorf("ReactionFor(%v) = %q, want %q", tt.outcomes, got, tt.want)
		}
	}
}

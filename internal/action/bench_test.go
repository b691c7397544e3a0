package action_test

import (
	"testing"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/githubtest"
)

// BenchmarkActionHelpComment is one workflow step's work for a /help
// comment, start to exit, against the fake GitHub: configuration, client
// and handler wiring, the payload, and four API calls.
func BenchmarkActionHelpComment(b *testing.B) {
	gh := githubtest.New(b)
	reactionRoute(b, gh)
	replyRoutes(b, gh)
	payload := mustJSON(b, comment("/help")(b))
	b.ReportAllocs()
	for b.Loop() {
		if res := runAction(b, gh, workflow{event: "issue_comment", payload: payload}); res.code != action.ExitOK {
			b.Fatalf("exit %d: %s", res.code, res.stderr)
		}
	}
}

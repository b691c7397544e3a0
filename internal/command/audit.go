package command

import (
	"github.com/rs/zerolog"
)

// Audit is the one log line each command leaves: who ran what where, what
// the permission check decided and how it ended.
type Audit struct {
	User       string
	Repository string // owner/name
	Issue      int
	Command    Command
	Decision   Decision
	Result     Result
	// Err is the error behind a Failed result, if any.
	Err error
}

// Log writes the audit line: info when the command ran, warn otherwise, so
// refusals and failures stand out without a second line.
func (a Audit) Log(logger zerolog.Logger) {
	ev := logger.Info()
	if a.Result != Done {
		ev = logger.Warn()
	}
	if a.Err != nil {
		ev = ev.AnErr("error", a.Err)
	}
	ev.Str("user", a.User).
		Str("repository", a.Repository).
		Int("issue", a.Issue).
		Str("command", a.Command.String()).
		Int("line", a.Command.Line).
		Str("decision", a.Decision.String()).
		Str("result", a.Result.String()).
		Msg("command")
}

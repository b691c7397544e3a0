package action

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/server"
)

// Exit codes of secwg action.
const (
	ExitOK     = 0 // done, or an event secwg does not act on
	ExitFailed = 1 // the work failed; the message says what
	ExitUsage  = 2 // bad flags, environment or configuration: nothing was tried
)

// Main is `secwg action`: one event from the runner's environment, handled
// once. lookup reads the environment (os.LookupEnv outside tests).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	getenv := func(k string) string { v, _ := lookup(k); return v }
	fs := flag.NewFlagSet("secwg action", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", getenv("SECWG_CONFIG"), "server configuration `file` in the checkout (default "+config.DefaultConfigPath+" when present; env SECWG_CONFIG)")
	slug := fs.String("app-slug", getenv("SECWG_APP_SLUG"), "slug of the App the token belongs to (default "+DefaultAppSlug+"; env SECWG_APP_SLUG)")
	appID := fs.String("app-id", getenv("SECWG_APP_ID"), "id of the App the token belongs to, when known (env SECWG_APP_ID)")
	kind := fs.String("token-kind", getenv("SECWG_TOKEN_KIND"), "workflow (the job's GITHUB_TOKEN) or app (an App installation token) (env SECWG_TOKEN_KIND)")
	features := fs.String("features", getenv("SECWG_FEATURES"), "the parts of secwg to run: checks, commands, meetings (default all; env SECWG_FEATURES)")
	now := fs.String("now", "", "pretend the time is this RFC 3339 `instant` (meeting pass)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	fail := func(code int, format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintf(stderr, "secwg action: %s\n", msg)
		if getenv("GITHUB_ACTIONS") == "true" {
			// A workflow command: the message becomes an annotation on the run.
			fmt.Fprintf(stdout, "::error title=secwg action::%s\n", escapeCommand(msg))
		}
		return code
	}
	if fs.NArg() > 0 {
		return fail(ExitUsage, "unexpected argument %q", fs.Arg(0))
	}
	env, err := ReadEnv(lookup)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	o := Options{AppSlug: strings.TrimSpace(*slug)}
	if o.AppID, err = parseAppID(*appID); err != nil {
		return fail(ExitUsage, "%v", err)
	}
	if o.TokenKind, err = ParseTokenKind(*kind); err != nil {
		return fail(ExitUsage, "%v", err)
	}
	if o.Features, err = ParseFeatures(*features); err != nil {
		return fail(ExitUsage, "%v", err)
	}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return fail(ExitUsage, "--now %q: want an RFC 3339 instant such as 2026-03-19T14:00:00Z", *now)
		}
		o.Now = func() time.Time { return t }
	}
	if !handles(env.EventName) {
		fmt.Fprintf(stdout, "secwg action: %s is not an event secwg acts on; nothing to do\n", env.EventName)
		return ExitOK
	}
	cfg, err := config.Load(*path, noAppCredentials(lookup))
	if err != nil {
		return fail(ExitUsage, "loading the configuration: %v", err)
	}
	logger := server.NewLogger(cfg.Logging, stderr)
	r, err := New(env, cfg, logger, o)
	if err != nil {
		return fail(ExitFailed, "%v", err)
	}
	outcome, err := r.Run(ctx)
	if err != nil {
		return fail(ExitFailed, "%v", err)
	}
	if outcome == Ignored {
		fmt.Fprintf(stdout, "secwg action: %s: nothing for secwg to do\n", env.EventName)
	} else {
		fmt.Fprintf(stdout, "secwg action: %s: done\n", env.EventName)
	}
	return ExitOK
}

func handles(event string) bool {
	_, ok := eventHandlers[event]
	return ok || passEvents[event]
}

// noAppCredentials hides the App's variables: Actions mode authenticates with
// the token alone, and a half-set App left in a workflow's environment must
// not stop it.
func noAppCredentials(lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if strings.HasPrefix(k, "GITHUB_APP_") {
			return "", false
		}
		return lookup(k)
	}
}

// escapeCommand escapes a workflow command's message as the runner expects.
func escapeCommand(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

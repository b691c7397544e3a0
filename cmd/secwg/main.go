// Command secwg runs a working group's GitHub App: the webhook server, the
// threat-model linter and the meeting tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/lint"
	"github.com/secwg/secwg/internal/meetingcli"
	"github.com/secwg/secwg/internal/server"
	"github.com/secwg/secwg/internal/version"
)

const usage = `secwg runs a working group's GitHub App.

Usage:
  secwg serve [--config FILE] [--log-format json|text]   run the App server
  secwg lint [--base REV] [--format text|json|sarif|github] [--config FILE] PATH...
                                                        check threat models (exit 1 on errors)
  secwg meeting next --config FILE --group ID [--now RFC3339]
                                                        the next meeting, in UTC and every zone
  secwg meeting render --config FILE --group ID --kind issue|minutes [--date YYYY-MM-DD] [--agenda-json FILE]
                                                        print a meeting issue or minutes
  secwg meeting sync [--config FILE] [--now RFC3339] [--dry-run]
                                                        one reconcile pass over every meeting group
  secwg action [--config FILE] [--app-slug SLUG] [--app-id ID] [--token-kind workflow|app]
                                                        handle one GitHub Actions event (see docs/actions.md)
  secwg version                                         print the version

Configuration: config/secwg.example.yml documents every key and environment variable.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "lint":
		return lint.Run(context.Background(), args[1:], stdout, stderr)
	case "meeting":
		return meetingcli.Run(context.Background(), args[1:], stdout, stderr, loadConfig)
	case "action":
		return action.Main(context.Background(), args[1:], stdout, stderr, os.LookupEnv)
	case "version", "--version":
		fmt.Fprintln(stdout, "secwg", version.String())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "secwg: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// loadConfig reads the server config for the meeting commands, so that they and
// serve agree on every group and sync acts as the same App.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(path, os.LookupEnv)
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default "+config.DefaultConfigPath+" when present)")
	format := fs.String("log-format", "", "log format: json or text (overrides SECWG_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "secwg serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	env := os.LookupEnv
	if *format != "" {
		env = func(k string) (string, bool) {
			if k == "SECWG_LOG_FORMAT" {
				return *format, true
			}
			return os.LookupEnv(k)
		}
	}
	cfg, err := config.Load(*path, env)
	if err != nil {
		fmt.Fprintf(stderr, "secwg serve: %v\n", err)
		return 2
	}
	logger := server.NewLogger(cfg.Logging, stderr)
	srv, err := server.New(cfg, logger)
	if err != nil {
		logger.Error().Err(err).Msg("cannot start")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error().Err(err).Msg("server stopped")
		return 1
	}
	return 0
}

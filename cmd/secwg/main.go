// Command secwg runs a working group's GitHub App: the webhook server, the
// threat-model linter and the meeting tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/initmodel"
	"github.com/secwg/secwg/internal/lint"
	"github.com/secwg/secwg/internal/meetingcli"
	"github.com/secwg/secwg/internal/server"
	"github.com/secwg/secwg/internal/version"
)

const usage = `secwg runs a working group's GitHub App.

Usage:
  secwg serve [--config FILE]... [--log-format json|text]
                                                        run the App server
  secwg lint [--base REV] [--fix] [--format text|json|sarif|github] [--config FILE] PATH...
                                                        check threat models (exit 1 on errors)
  secwg init [--dir DIR] [--model PATH] [--from FILE [--section HEADING]]
                                                        write a starter threat model and .github/secwg.yml
  secwg meeting next --config FILE --group ID [--now RFC3339]
                                                        the next meeting, in UTC and every zone
  secwg meeting render --config FILE --group ID --kind issue|minutes [--date YYYY-MM-DD] [--agenda-json FILE]
                                                        print a meeting issue or minutes
  secwg meeting sync [--config FILE] [--now RFC3339] [--dry-run]
                                                        one reconcile pass over every meeting group
  secwg action [--config FILE] [--features LIST] [--token-kind workflow|app] [--app-slug SLUG] [--app-id ID]
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
	case "init":
		return initmodel.Run(args[1:], stdout, stderr)
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

// configFiles collects repeated --config flags.
type configFiles []string

func (c *configFiles) String() string     { return strings.Join(*c, ",") }
func (c *configFiles) Set(v string) error { *c = append(*c, v); return nil }

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var paths configFiles
	fs.Var(&paths, "config", "config file, may be given more than once, later files overriding earlier ones (default "+
		config.DefaultConfigPath+" when present); the setup page's credentials file is merged in when it exists")
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
	cfg, err := config.LoadFiles(paths, env)
	if err != nil {
		fmt.Fprintf(stderr, "secwg serve: %v\n", err)
		return 2
	}
	logger := server.NewLogger(cfg.Logging, stderr)
	if cfg.CredentialsLoaded != "" {
		logger.Info().Str("path", cfg.CredentialsLoaded).Msg("GitHub App credentials read from the setup page's file")
	}
	// The Go soft memory limit follows the container's, so the collector works
	// harder before the kernel's OOM killer would end the pod and its queue.
	if limit, err := memlimit.Set(memlimit.WithProvider(memlimit.FromCgroup), memlimit.WithRatio(0.9)); err != nil {
		logger.Debug().Err(err).Msg("no container memory limit found; GOMEMLIMIT unchanged")
	} else if limit > 0 && limit < math.MaxInt64 {
		logger.Info().Int64("gomemlimit_bytes", limit).Msg("Go memory limit set from the container's")
	}
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

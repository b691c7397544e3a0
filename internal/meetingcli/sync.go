package meetingcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/meetingsync"
)

// errSyncFailed marks a pass that ran and failed, as opposed to bad usage.
var errSyncFailed = errors.New("sync failed")

// runSync is `secwg meeting sync`: one reconcile pass over every group with the
// App's credentials, the pass `serve` runs every sync_interval. It is safe to run
// from a CronJob beside the server: every write is a reconcile.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader, d deps) error {
	var c common
	var dryRun bool
	fs := flag.NewFlagSet("secwg meeting sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.config, "config", "", "server configuration `file` (default "+config.DefaultConfigPath+" when present)")
	fs.StringVar(&c.now, "now", "", "pretend the time is this RFC 3339 `instant`")
	fs.BoolVar(&dryRun, "dry-run", false, "print what would be written and write nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	now, err := c.instant(d)
	if err != nil {
		return err
	}
	cfg, err := load(c.config)
	if err != nil {
		return fmt.Errorf("loading the configuration: %w", err)
	}
	if len(cfg.Meetings.Groups) == 0 {
		fmt.Fprintln(stdout, "no meeting groups are configured; nothing to do")
		return nil
	}
	if !cfg.GitHub.App.HasCredentials() {
		return errors.New("sync needs the GitHub App's credentials: GITHUB_APP_INTEGRATION_ID and GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH, or the github.app keys of --config")
	}
	ghc := githubapp.Config{WebURL: cfg.GitHub.WebURL, V3APIURL: cfg.GitHub.V3APIURL, V4APIURL: cfg.GitHub.V4APIURL}
	ghc.App.IntegrationID = cfg.GitHub.App.IntegrationID
	ghc.App.WebhookSecret = cfg.GitHub.App.WebhookSecret
	ghc.App.PrivateKey = cfg.GitHub.App.PrivateKey
	clients, err := githubclient.NewCreator(githubclient.Options{Config: ghc, CacheSize: int64(cfg.Server.CacheSize)})
	if err != nil {
		return fmt.Errorf("creating the GitHub client: %w", err)
	}
	level, err := zerolog.ParseLevel(cfg.Logging.Level)
	if err != nil || cfg.Logging.Level == "" {
		level = zerolog.InfoLevel
	}
	logger := zerolog.New(stderr).Level(level).With().Timestamp().Logger()
	svc, err := meetingsync.New(&cfg.Meetings, clients,
		meetingsync.WithClock(func() time.Time { return now }),
		meetingsync.WithCalendarFetcher(d.fetcher),
		meetingsync.WithHackMD(meetingsync.HackMDFromEnv(d.getenv)),
		meetingsync.WithLogger(logger),
	)
	if err != nil {
		return err
	}
	if err := svc.Sync(logger.WithContext(ctx), now, dryRun, stdout); err != nil {
		return fmt.Errorf("%w: %w", errSyncFailed, err)
	}
	return nil
}

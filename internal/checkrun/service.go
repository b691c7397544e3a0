package checkrun

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
)

// ConfigPath is where a repository, or its owner's .github repository, keeps
// its secwg configuration.
const ConfigPath = ".github/secwg.yml"

// MaxConfigSize bounds the configuration file read; a larger one is an error.
const MaxConfigSize = 1 << 20

// finishTimeout bounds the deferred completion of a run whose job context ended.
const finishTimeout = 30 * time.Second

// Options tune the service.
type Options struct {
	// App is the App the runs belong to: existing runs are looked up with
	// ?app_id= and only the App's own runs are ever updated; with no id, by slug.
	App appid.Identity
	// MaxAnnotations caps the annotations of one run (0: no cap). The summary
	// says how many were left out; errors are annotated first.
	MaxAnnotations int
	// Locker, when set, is held on "check:<owner>/<repo>@<head SHA>" for
	// each check, so that two deliveries for one commit, in this process or
	// another sharing the Locker, never create two runs.
	Locker Locker
}

// Locker serialises work on a name across processes; held is ctx, cancelled
// too if the lock is lost; unlock releases it.
type Locker interface {
	Lock(ctx context.Context, name string) (held context.Context, unlock func(), err error)
}

// Service runs the threat-model check on pull requests and posts it as one
// check run per head commit.
type Service struct {
	clients githubapp.ClientCreator
	now     func() time.Time
	logger  zerolog.Logger
	opts    Options
}

// New returns a check service. now is the clock for started_at and
// completed_at; logger is used when the context carries none.
func New(clients githubapp.ClientCreator, now func() time.Time, logger zerolog.Logger, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{clients: clients, now: now, logger: logger, opts: opts}
}

// PullRequest is what the check needs to know of a pull request; every
// webhook that triggers the check carries it, so no call is spent on it.
type PullRequest struct {
	// Owner and Repo name the base repository: every read and write goes
	// there, also for a pull request from a fork, whose commits the base
	// repository's network holds.
	Owner, Repo string
	Number      int
	HeadSHA     string
	// BaseRef is the branch the pull request merges into; the configuration
	// is read from it, so a pull request cannot relax its own rules.
	BaseRef string
	// BaseSHA is read for a file whose patch GitHub left out.
	BaseSHA string
}

func (pr PullRequest) fullName() string { return pr.Owner + "/" + pr.Repo }

// Owns reports whether a check run's App is this App.
func (s *Service) Owns(app *github.App) bool {
	return app != nil && s.opts.App.Owns(app.GetID(), app.GetSlug())
}

// Recheck runs the check again on the pull request's head commit, updating
// that commit's run. It implements the comment handler's Checks service
// (/recheck) at the cost of one call to read the pull request.
func (s *Service) Recheck(ctx context.Context, installationID int64, repo string, number int) error {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return fmt.Errorf("repository %q is not owner/name", repo)
	}
	client, err := s.clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("creating the client for installation %d: %w", installationID, err)
	}
	return s.recheck(ctx, client, installationID, owner, name, number, nil)
}

func (s *Service) recheck(ctx context.Context, client *github.Client, installationID int64, owner, repo string, number int, run *github.CheckRun) error {
	p, _, err := client.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return fmt.Errorf("reading pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	pr := PullRequest{Owner: owner, Repo: repo, Number: number,
		HeadSHA: p.GetHead().GetSHA(), BaseRef: p.GetBase().GetRef(), BaseSHA: p.GetBase().GetSHA()}
	return s.check(ctx, client, installationID, pr, run)
}

// RecheckRun runs the check again for one of the App's runs, re-requested
// from GitHub's interface. The run's pull requests come from the payload; a
// fork's pull request, which GitHub leaves out there, is found through the
// number the run keeps in its external_id.
func (s *Service) RecheckRun(ctx context.Context, installationID int64, owner, repo string, run *github.CheckRun) error {
	client, err := s.clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("creating the client for installation %d: %w", installationID, err)
	}
	if prs := prsOf(owner, repo, run.PullRequests); len(prs) > 0 {
		var errs []error
		for _, pr := range prs {
			pr.HeadSHA = run.GetHeadSHA()
			errs = append(errs, s.check(ctx, client, installationID, pr, run))
		}
		return errors.Join(errs...)
	}
	number, err := strconv.Atoi(run.GetExternalID())
	if err != nil {
		s.log(ctx).Info().Int64("check_run_id", run.GetID()).Msg("re-requested run names no pull request; nothing to check")
		return nil
	}
	return s.recheck(ctx, client, installationID, owner, repo, number, run)
}

// RecheckSuite runs the check again for a re-requested check suite: on the
// suite's pull requests, or, for a fork's pull request that the payload leaves
// out, on the pull request named by the App's earlier run on the commit.
func (s *Service) RecheckSuite(ctx context.Context, installationID int64, owner, repo string, suite *github.CheckSuite) error {
	client, err := s.clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("creating the client for installation %d: %w", installationID, err)
	}
	var errs []error
	if prs := prsOf(owner, repo, suite.PullRequests); len(prs) > 0 {
		for _, pr := range prs {
			pr.HeadSHA = suite.GetHeadSHA()
			errs = append(errs, s.check(ctx, client, installationID, pr, nil))
		}
		return errors.Join(errs...)
	}
	runs, err := s.ownRuns(ctx, client, owner, repo, suite.GetHeadSHA(), "")
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, r := range runs {
		n, err := strconv.Atoi(r.GetExternalID())
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		errs = append(errs, s.recheck(ctx, client, installationID, owner, repo, n, nil))
	}
	if len(seen) == 0 {
		s.log(ctx).Info().Str("head_sha", suite.GetHeadSHA()).Msg("re-requested suite names no pull request; nothing to check")
	}
	return errors.Join(errs...)
}

// Check runs the check on a pull request and posts the result on its head
// commit. run, when the event named one, is the run to update; otherwise the
// App's run for the head commit and check name is looked up.
func (s *Service) Check(ctx context.Context, installationID int64, pr PullRequest, run *github.CheckRun) error {
	client, err := s.clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("creating the client for installation %d: %w", installationID, err)
	}
	return s.check(ctx, client, installationID, pr, run)
}

// prsOf reads the pull requests a check_run or check_suite payload lists,
// keeping those whose base is this repository.
func prsOf(owner, repo string, prs []*github.PullRequest) []PullRequest {
	var out []PullRequest
	for _, p := range prs {
		if b := p.GetBase().GetRepo(); b != nil && b.GetName() != "" && !strings.EqualFold(b.GetName(), repo) {
			continue
		}
		out = append(out, PullRequest{Owner: owner, Repo: repo, Number: p.GetNumber(),
			HeadSHA: p.GetHead().GetSHA(), BaseRef: p.GetBase().GetRef(), BaseSHA: p.GetBase().GetSHA()})
	}
	return out
}

func (s *Service) log(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &s.logger
}

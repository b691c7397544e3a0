package checkrun

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/mdsafe"
	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

// Conclusions the check completes with.
const (
	conclusionSuccess = "success"
	conclusionFailure = "failure"
	conclusionNeutral = "neutral"
)

// outcome is what a run completes with.
type outcome struct {
	conclusion     string
	title, summary string
	batches        [][]threatmodel.Annotation
	annotations    int
	// reviewed says the head commit has its review of suggestions; the
	// summary then carries reviewMarker.
	reviewed bool
}

// fingerprint identifies an outcome, so that a redelivered event whose result
// the run already shows does not append the same annotations again.
func (o *outcome) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", o.conclusion, o.title)
	_ = json.NewEncoder(h).Encode(o.batches)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

const markerPrefix = "<!-- secwg-check "

func marker(fp string) string { return "\n\n" + markerPrefix + fp + " -->\n" }

// markedFingerprint reads the fingerprint a run's summary carries, or "".
func markedFingerprint(summary string) string {
	i := strings.LastIndex(summary, markerPrefix)
	if i < 0 {
		return ""
	}
	fp, _, _ := strings.Cut(summary[i+len(markerPrefix):], " ")
	return fp
}

// job is one check of one pull request.
type job struct {
	s              *Service
	client         *github.Client
	installationID int64
	pr             PullRequest
	logger         zerolog.Logger
	name           string // the check run's name
	// pre is what the GraphQL query answered, nil when it was not used or failed.
	pre *prefetched

	// run is the run this job owns, in progress; nil until there is one.
	run *github.CheckRun
	// previous is the App's completed run on the head commit, if any: it is
	// updated in place when the outcome is the one it shows.
	previous *github.CheckRun
	done     bool
}

func (s *Service) check(ctx context.Context, client *github.Client, installationID int64, pr PullRequest, known *github.CheckRun) (err error) {
	logger := s.log(ctx).With().Str("repository", pr.fullName()).Int("pull_request", pr.Number).
		Str("head_sha", pr.HeadSHA).Logger()
	ctx = logger.WithContext(ctx)
	if s.opts.Locker != nil {
		held, unlock, lerr := s.opts.Locker.Lock(ctx, "check:"+pr.fullName()+"@"+pr.HeadSHA)
		if lerr != nil {
			return fmt.Errorf("locking the check of %s@%s: %w", pr.fullName(), pr.HeadSHA, lerr)
		}
		defer unlock()
		ctx = held
	}
	j := &job{s: s, client: client, installationID: installationID, pr: pr, logger: logger, name: repoconfig.DefaultCheckName}

	if s.usesGraphQL(pr, known) {
		pre, perr := j.prefetch(ctx)
		if perr != nil {
			// The query only saves requests: REST reads the same.
			logger.Warn().Err(perr).Msg("the GraphQL query for the configuration and check runs failed; reading them through REST")
		}
		j.pre = pre
	}

	cfg, cfgErr := j.loadConfig(ctx)
	var bad *repoconfig.Error
	switch {
	case errors.As(cfgErr, &bad):
		// Fail closed: the repository meant to opt in, or it would have no file.
		if err := j.locate(ctx, known); err != nil {
			return err
		}
		return j.finish(ctx, &outcome{conclusion: conclusionFailure,
			title:   "Broken configuration: " + bad.File,
			summary: configSummary(bad)})
	case cfgErr != nil:
		return cfgErr
	case cfg == nil || !cfg.Enabled():
		logger.Debug().Msg("threat-model check not enabled")
		return nil
	}
	if cfg.ThreatModel.CheckName != "" {
		j.name = cfg.ThreatModel.CheckName
	}

	// From here on a run exists or will, and it never stays in progress.
	defer j.neverLeaveInProgress(ctx, &err)
	if err := j.locate(ctx, known); err != nil {
		return err
	}
	o, err := j.evaluate(ctx, cfg)
	if err != nil {
		return err
	}
	return j.finish(ctx, o)
}

// neverLeaveInProgress, deferred, completes the run as failed when the check
// ended (an error, a panic) before it had a result, also when the job's
// context has ended.
func (j *job) neverLeaveInProgress(ctx context.Context, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("threat-model check panicked: %v", p)
	}
	if j.done {
		return
	}
	if *err == nil {
		*err = errors.New("threat-model check ended without a result")
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
	}
	if ferr := j.finish(ctx, internalFailure(*err)); ferr != nil {
		*err = errors.Join(*err, fmt.Errorf("completing the run as failed: %w", ferr))
	}
}

// evaluate checks the model files the pull request changes, with the
// unchanged ones beside them, and posts the review of suggestions: the
// outcome the run completes with. The run shows in progress from the moment
// a model file is read.
func (j *job) evaluate(ctx context.Context, cfg *repoconfig.Config) (*outcome, error) {
	files, err := j.changedModelFiles(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return &outcome{conclusion: conclusionSuccess,
			title:   "No threat-model file changed",
			summary: "This pull request changes no file matching `threat_model.paths`, so there was nothing to check."}, nil
	}
	if err := j.start(ctx); err != nil {
		return nil, err
	}
	base, head, err := j.models(ctx, cfg, files)
	var big *tooLargeError
	switch {
	case errors.As(err, &big):
		return tooLarge(big), nil
	case err != nil:
		return nil, err
	}
	report, err := threatmodel.CheckChange(base, head, cfg.Options())
	switch {
	case errors.Is(err, threatmodel.ErrTooLarge) || errors.Is(err, threatmodel.ErrModelTooLarge) || errors.Is(err, threatmodel.ErrEncoding):
		// The input, not secwg, is at fault: say what is wrong with it.
		return &outcome{conclusion: conclusionFailure, title: "Threat model unreadable",
			summary: mdsafe.Cell(err.Error())}, nil
	case err != nil:
		return nil, fmt.Errorf("checking the threat model: %w", err)
	}
	o := j.s.outcomeOf(report)
	// The run taken over may carry the marker too: a job that posted the
	// review may have stopped before completing the run.
	o.reviewed = j.previous != nil && strings.Contains(j.previous.GetOutput().GetSummary(), reviewMarker) ||
		j.run != nil && strings.Contains(j.run.GetOutput().GetSummary(), reviewMarker)
	if sugg := suggestions(report, files); len(sugg) > 0 && !o.reviewed {
		// Suggestions save a round trip; failing to post them fails nothing.
		if err := j.review(ctx, sugg); err != nil {
			j.logger.Warn().Err(err).Msg("the review of suggestions could not be posted")
		} else {
			o.reviewed = true
		}
	}
	return o, nil
}

// models reads the base and head versions of the whole model: the changed
// files and, unchanged in both, the others.
func (j *job) models(ctx context.Context, cfg *repoconfig.Config, files []*github.CommitFile) (base, head []threatmodel.File, err error) {
	spent := &budget{}
	if base, head, err = j.versions(ctx, cfg, files, spent); err != nil {
		return nil, nil, err
	}
	unchanged, err := j.unchangedModelFiles(ctx, cfg, files, spent)
	if err != nil {
		return nil, nil, err
	}
	return append(base, unchanged...), append(head, unchanged...), nil
}

func (s *Service) outcomeOf(r *threatmodel.Report) *outcome {
	findings := slices.Clone(r.Findings)
	// Errors first, so that a cap never hides one behind notices.
	slices.SortStableFunc(findings, func(a, b threatmodel.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	batches, omitted := threatmodel.Annotations(findings, s.opts.MaxAnnotations)
	c := r.Counts
	o := &outcome{conclusion: conclusionSuccess, summary: threatmodel.Summary(r), batches: batches,
		annotations: len(findings) - omitted}
	switch {
	case r.Failed():
		o.conclusion = conclusionFailure
	case c.Threats+c.Mitigations == 0:
		// Nothing checked is not a pass: a misspelt section or a file in
		// the wrong shape must not look green.
		o.conclusion = conclusionNeutral
	}
	o.title = fmt.Sprintf("%d %s, %d %s in %d threats and %d mitigations",
		c.Errors, plural(c.Errors, "error", "errors"), c.Warnings, plural(c.Warnings, "warning", "warnings"), c.Threats, c.Mitigations)
	if omitted > 0 {
		o.summary = fit(o.summary, fmt.Sprintf("\n_%d more findings are not annotated: a run shows at most %d. Run `secwg lint` for all of them._\n", omitted, s.opts.MaxAnnotations))
	}
	return o
}

func tooLarge(e *tooLargeError) *outcome {
	if e.together {
		return &outcome{conclusion: conclusionFailure, title: "Threat model too large",
			summary: fmt.Sprintf("The threat-model files take more than %d MiB together (the check stopped at %s), more than one check reads. Real models are under 100 KB a file; narrow `threat_model.paths` to the model files.",
				threatmodel.MaxModelSize>>20, mdsafe.Code(e.path))}
	}
	return &outcome{conclusion: conclusionFailure, title: "Threat model too large",
		summary: fmt.Sprintf("%s is larger than %d MiB, the largest threat-model file secwg checks; real models are under 100 KB. Split it into several files matching `threat_model.paths`.",
			mdsafe.Code(e.path), threatmodel.MaxDocumentSize>>20)}
}

func configSummary(e *repoconfig.Error) string {
	return fmt.Sprintf("The threat-model check could not run: %s is broken at line %d, key %s: %s\n\nFix the configuration on the base branch; the check runs again on the next push or with `/recheck`.",
		mdsafe.Code(e.File), e.Line, mdsafe.Code(e.Key), mdsafe.Cell(e.Message))
}

func internalFailure(err error) *outcome {
	return &outcome{conclusion: conclusionFailure, title: "The check could not finish",
		summary: "secwg could not finish the threat-model check, so it fails rather than pass unchecked:\n\n" +
			mdsafe.CodeBlock(strings.ReplaceAll(err.Error(), "```", "'''")) +
			"\nRe-run the check from this page or comment `/recheck` on the pull request."}
}

// fit appends tail to s, cutting s so that both fit GitHub's summary limit.
func fit(s, tail string) string {
	if over := len(s) + len(tail) - threatmodel.MaxSummaryLength; over > 0 {
		cut := len(s) - over
		for cut > 0 && cut < len(s) && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut]
	}
	return s + tail
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// locate finds the App's run for the head commit and check name: the one the
// event named when it matches, else one looked up. A run still in progress
// (another delivery's, or one a crash left) is taken over; a completed one is
// kept as previous.
func (j *job) locate(ctx context.Context, known *github.CheckRun) error {
	run := known
	if run == nil || run.GetHeadSHA() != j.pr.HeadSHA || run.GetName() != j.name {
		var runs []*github.CheckRun
		if j.pre != nil {
			runs = j.s.keepOwn(slices.Clone(j.pre.runs), j.name)
		} else {
			var err error
			if runs, err = j.s.ownRuns(ctx, j.client, j.pr.Owner, j.pr.Repo, j.pr.HeadSHA, j.name); err != nil {
				return err
			}
		}
		run = nil
		if len(runs) > 0 {
			run = runs[0]
		}
	}
	if run == nil {
		return nil
	}
	if run.GetStatus() == "completed" {
		j.previous = run
	} else {
		j.run = run
	}
	return nil
}

// start shows the run in progress: a new run, or the taken-over one moved
// from queued to in progress. A completed run cannot go back to in progress on
// GitHub, so it is left showing its last result until the new one is known.
func (j *job) start(ctx context.Context) error {
	if j.run != nil {
		if j.run.GetStatus() == "in_progress" {
			return nil
		}
		run, _, err := j.client.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, j.run.GetID(), github.UpdateCheckRunOptions{
			Name: j.name, Status: github.String("in_progress"), ExternalID: github.String(strconv.Itoa(j.pr.Number))})
		if err != nil {
			return fmt.Errorf("marking check run %d in progress: %w", j.run.GetID(), err)
		}
		j.run = run
		return nil
	}
	if j.previous != nil {
		return nil
	}
	run, _, err := j.client.Checks.CreateCheckRun(ctx, j.pr.Owner, j.pr.Repo, github.CreateCheckRunOptions{
		Name: j.name, HeadSHA: j.pr.HeadSHA, Status: github.String("in_progress"),
		ExternalID: github.String(strconv.Itoa(j.pr.Number)),
		StartedAt:  &github.Timestamp{Time: j.s.now()},
		Output: &github.CheckRunOutput{Title: github.String("Checking the threat model"),
			Summary: github.String("secwg is checking the threat-model files this pull request changes.")},
	})
	if err != nil {
		return fmt.Errorf("creating the check run: %w", err)
	}
	j.run = run
	return nil
}

// finish completes the run with o: the run in progress, else the previous
// run when it already shows this outcome (given the annotation batches a
// stopped check left out), else a new run. Annotations go 50
// per request, the first batch with the completion.
func (j *job) finish(ctx context.Context, o *outcome) error {
	fp := o.fingerprint()
	tail := marker(fp)
	if o.reviewed {
		tail += reviewMarker + "\n"
	}
	summary := fit(o.summary, tail)
	output := func(batch []threatmodel.Annotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{Title: github.String(o.title), Summary: github.String(summary), Annotations: toGitHub(batch)}
	}
	batches := o.batches
	first := func() []threatmodel.Annotation {
		if len(batches) == 0 {
			return nil
		}
		b := batches[0]
		batches = batches[1:]
		return b
	}
	now := &github.Timestamp{Time: j.s.now()}
	ext := github.String(strconv.Itoa(j.pr.Number))
	var id int64
	same := j.run == nil && j.previous != nil && markedFingerprint(j.previous.GetOutput().GetSummary()) == fp
	stored := j.previous.GetOutput().GetAnnotationsCount()
	switch {
	case same && stored < o.annotations && stored%threatmodel.AnnotationBatchSize == 0:
		// The run shows this result but a check stopped between its
		// annotation batches: append the batches it lacks.
		id = j.previous.GetID()
		batches = batches[min(len(batches), stored/threatmodel.AnnotationBatchSize):]
	case same && stored == o.annotations:
		// The run already shows this result and its annotations: refresh it
		// without appending them again.
		id = j.previous.GetID()
		batches = nil
		if _, _, err := j.client.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, id, github.UpdateCheckRunOptions{
			Name: j.name, ExternalID: ext, Status: github.String("completed"), Conclusion: github.String(o.conclusion),
			CompletedAt: now, Output: output(nil)}); err != nil {
			return fmt.Errorf("updating check run %d: %w", id, err)
		}
	case j.run != nil:
		id = j.run.GetID()
		if _, _, err := j.client.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, id, github.UpdateCheckRunOptions{
			Name: j.name, ExternalID: ext, Status: github.String("completed"), Conclusion: github.String(o.conclusion),
			CompletedAt: now, Output: output(first())}); err != nil {
			return fmt.Errorf("completing check run %d: %w", id, err)
		}
	default:
		// No run, or a completed one showing another result: GitHub keeps a
		// completed run's annotations and conclusion, so the new result gets
		// a run of its own, which the pull request then shows.
		run, _, err := j.client.Checks.CreateCheckRun(ctx, j.pr.Owner, j.pr.Repo, github.CreateCheckRunOptions{
			Name: j.name, HeadSHA: j.pr.HeadSHA, ExternalID: ext, Status: github.String("completed"),
			Conclusion: github.String(o.conclusion), StartedAt: now, CompletedAt: now, Output: output(first())})
		if err != nil {
			return fmt.Errorf("creating the completed check run: %w", err)
		}
		id = run.GetID()
	}
	j.done = true
	for _, b := range batches {
		if _, _, err := j.client.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, id, github.UpdateCheckRunOptions{
			Name: j.name, Output: output(b)}); err != nil {
			return fmt.Errorf("adding annotations to check run %d: %w", id, err)
		}
	}
	j.logger.Info().Int64("check_run_id", id).Str("conclusion", o.conclusion).Int("annotations", o.annotations).
		Msg("threat-model check completed")
	return nil
}

func toGitHub(batch []threatmodel.Annotation) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, len(batch))
	for i, a := range batch {
		out[i] = &github.CheckRunAnnotation{Path: github.String(a.Path), StartLine: github.Int(a.StartLine),
			EndLine: github.Int(a.EndLine), AnnotationLevel: github.String(a.Level),
			Title: github.String(a.Title), Message: github.String(a.Message)}
	}
	return out
}

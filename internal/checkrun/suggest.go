package checkrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/mdsafe"
	"github.com/secwg/secwg/internal/threatmodel"
)

// MaxSuggestions caps the suggestion comments of one review.
const MaxSuggestions = 50

// reviewMarker in a run's summary says the head commit already has its review
// of suggestions, so that a redelivery or a re-run posts no second one.
const reviewMarker = "<!-- secwg-review -->"

// addedLines returns the lines of the new version that a unified diff adds;
// only those can carry a suggestion.
func addedLines(patch string) map[int]bool {
	out := map[int]bool{}
	line := 0
	for _, l := range strings.Split(patch, "\n") {
		switch {
		case strings.HasPrefix(l, "@@"):
			_, _, start, _, err := hunkHeader(l)
			if err != nil {
				return out
			}
			line = start
		case strings.HasPrefix(l, "+"):
			out[line] = true
			line++
		case strings.HasPrefix(l, " "), l == "":
			line++
		}
	}
	return out
}

// suggestions keeps the report's suggestions on lines the pull request adds.
func suggestions(r *threatmodel.Report, files []*github.CommitFile) []threatmodel.Suggestion {
	added := map[string]map[int]bool{}
	for _, f := range files {
		if f.GetPatch() != "" && f.GetStatus() != "removed" {
			added[f.GetFilename()] = addedLines(f.GetPatch())
		}
	}
	var out []threatmodel.Suggestion
	for _, s := range threatmodel.Suggestions(r) {
		if added[s.Path][s.Line] && len(out) < MaxSuggestions {
			out = append(out, s)
		}
	}
	return out
}

// review posts one review of suggestion comments on the head commit: one
// request, whatever the number of suggestions.
func (j *job) review(ctx context.Context, sugg []threatmodel.Suggestion) error {
	comments := make([]*github.DraftReviewComment, 0, len(sugg))
	for _, s := range sugg {
		var b strings.Builder
		for _, m := range s.Findings {
			b.WriteString(mdsafe.Cell(m))
			b.WriteString("\n\n")
		}
		f := mdsafe.Fence(s.Text)
		fmt.Fprintf(&b, "%ssuggestion\n%s\n%s\n", f, s.Text, f)
		comments = append(comments, &github.DraftReviewComment{Path: github.String(s.Path), Line: github.Int(s.Line),
			Side: github.String("RIGHT"), Body: github.String(b.String())})
	}
	body := fmt.Sprintf("secwg can fix %d %s of the threat-model check in one click each: see the suggestions below.",
		len(sugg), plural(len(sugg), "line", "lines"))
	_, _, err := j.client.PullRequests.CreateReview(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number, &github.PullRequestReviewRequest{
		CommitID: github.String(j.pr.HeadSHA), Event: github.String("COMMENT"), Body: github.String(body), Comments: comments})
	if err != nil {
		return fmt.Errorf("posting the review of suggestions: %w", err)
	}
	return nil
}

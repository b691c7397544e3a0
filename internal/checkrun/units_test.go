package checkrun

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/repoconfig"
	"github.com/secwg/secwg/internal/threatmodel"
)

func TestHunkHeaderReadsRangesWithOneForAMissingCount(t *testing.T) {
	tests := []struct {
		header     string
		want       [4]int // old start, old count, new start, new count
		wantErrors bool
	}{
		{header: "@@ -1,5 +1,6 @@", want: [4]int{1, 5, 1, 6}},
		{header: "@@ -3 +4 @@ func main() {", want: [4]int{3, 1, 4, 1}},
		{header: "@@ -0,0 +1,2 @@", want: [4]int{0, 0, 1, 2}},
		{header: "@@ -1,5 +1,6", wantErrors: true},
		{header: "@@ 1,5 +1,6 @@", wantErrors: true},
		{header: "@@ -1,5 1,6 @@", wantErrors: true},
		{header: "@@ -a +1 @@", wantErrors: true},
		{header: "@@ --1 +1 @@", wantErrors: true},
		{header: "@@ -1,-2 +1 @@", wantErrors: true},
		{header: "@@ -1, +1 @@", wantErrors: true},
		{header: "@@ -99999999999999999999 +1 @@", wantErrors: true},
		{header: "@@@ -1 +1 @@@", wantErrors: true},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			a, b, c, d, err := hunkHeader(tt.header)
			if tt.wantErrors {
				if !errors.Is(err, errPatch) {
					t.Errorf("got %d %d %d %d, %v; want errPatch", a, b, c, d, err)
				}
				return
			}
			if got := [4]int{a, b, c, d}; err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestSplitLinesReportsTheFinalNewline(t *testing.T) {
	tests := []struct {
		in    string
		lines []string
		eol   bool
	}{
		{"", nil, false},
		{"\n", []string{""}, true},
		{"a", []string{"a"}, false},
		{"a\nb\n", []string{"a", "b"}, true},
		{"a\n\n", []string{"a", ""}, true},
		{"a\r\nb", []string{"a\r", "b"}, false},
	}
	for _, tt := range tests {
		lines, eol := splitLines([]byte(tt.in))
		if !slices.Equal(lines, tt.lines) || eol != tt.eol {
			t.Errorf("splitLines(%q) = %q, %v; want %q, %v", tt.in, lines, eol, tt.lines, tt.eol)
		}
	}
}

func TestAddedLinesAreTheNewVersionsLinesThePatchAdds(t *testing.T) {
	tests := []struct {
		name, patch string
		want        []int
	}{
		{"one changed line", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c", []int{2}},
		{"two hunks", "@@ -1,2 +1,3 @@\n a\n+x\n b\n@@ -10,2 +11,2 @@\n j\n-k\n+K", []int{2, 12}},
		{"empty context lines count", "@@ -1,3 +1,4 @@\n a\n\n+new\n b", []int{3}},
		{"added file", "@@ -0,0 +1,2 @@\n+x\n+y", []int{1, 2}},
		{"removed lines add nothing", "@@ -1,2 +0,0 @@\n-x\n-y", nil},
		{"a broken header ends the reading", "@@ -1 +1 @@\n+a\n@@ nonsense\n+b", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(addedLines(tt.patch)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunSummaryCarriesTheOutcomesFingerprint(t *testing.T) {
	failing := &outcome{conclusion: conclusionFailure, title: "1 error",
		batches: [][]threatmodel.Annotation{{{Path: "m.md", StartLine: 3, EndLine: 3, Level: "failure", Title: "T-1", Message: "no mitigation"}}}}
	moved := &outcome{conclusion: conclusionFailure, title: "1 error",
		batches: [][]threatmodel.Annotation{{{Path: "m.md", StartLine: 4, EndLine: 4, Level: "failure", Title: "T-1", Message: "no mitigation"}}}}
	passing := &outcome{conclusion: conclusionSuccess, title: "1 error"}
	fp := failing.fingerprint()
	if fp == moved.fingerprint() || fp == passing.fingerprint() {
		t.Errorf("different outcomes share fingerprint %s", fp)
	}
	if fp != (&outcome{conclusion: failing.conclusion, title: failing.title, batches: failing.batches, summary: "other"}).fingerprint() {
		t.Error("the summary text changed the fingerprint; only the result should")
	}
	tests := []struct {
		name, summary, want string
	}{
		{"marked summary", "text" + marker(fp), fp},
		{"summary without a marker", "text", ""},
		{"the last marker counts", "quoted " + marker("0000") + " then" + marker(fp), fp},
	}
	for _, tt := range tests {
		if got := markedFingerprint(tt.summary); got != tt.want {
			t.Errorf("%s: markedFingerprint = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFitKeepsTheTailAndCutsOnARuneBoundary(t *testing.T) {
	tail := "\n<!-- secwg-check 0123 -->\n"
	tests := []struct {
		name string
		s    string
		cut  bool
	}{
		{"short summary untouched", "all good", false},
		{"long ASCII", strings.Repeat("a", threatmodel.MaxSummaryLength), true},
		{"long multi-byte", strings.Repeat("é", threatmodel.MaxSummaryLength), true},
		{"long four-byte", strings.Repeat("🔒", threatmodel.MaxSummaryLength/2), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fit(tt.s, tail)
			if !strings.HasSuffix(got, tail) || len(got) > max(threatmodel.MaxSummaryLength, len(tt.s)+len(tail)) {
				t.Errorf("%d bytes, tail kept %v", len(got), strings.HasSuffix(got, tail))
			}
			if tt.cut && len(got) > threatmodel.MaxSummaryLength {
				t.Errorf("%d bytes, over GitHub's %d", len(got), threatmodel.MaxSummaryLength)
			}
			if !tt.cut && got != tt.s+tail {
				t.Errorf("got %q", got)
			}
			if !utf8.ValidString(got) {
				t.Error("cut inside a character")
			}
		})
	}
}

func TestBudgetFailsOnceEitherVersionPassesTheModelSize(t *testing.T) {
	half := make([]byte, threatmodel.MaxModelSize/2)
	tests := []struct {
		name       string
		base, head [][]byte
		fails      bool
	}{
		{"two halves fit", [][]byte{half, half}, [][]byte{half, half}, false},
		{"a third half of the base", [][]byte{half, half, half}, [][]byte{nil, nil, nil}, true},
		{"a third half of the head", [][]byte{nil, nil, nil}, [][]byte{half, half, half}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &budget{}
			var err error
			for i := range tt.base {
				if err = b.spend("m.md", tt.base[i], tt.head[i]); err != nil {
					break
				}
			}
			var big *tooLargeError
			if got := errors.As(err, &big) && big.together; got != tt.fails {
				t.Errorf("err = %v, want failure %v", err, tt.fails)
			}
		})
	}
}

func TestOutcomeConcludesFromTheReport(t *testing.T) {
	finding := func(sev threatmodel.Severity) threatmodel.Finding {
		return threatmodel.Finding{Path: "m.md", Line: 1, Severity: sev, Rule: "r", Message: "m"}
	}
	tests := []struct {
		name       string
		report     threatmodel.Report
		max        int
		conclusion string
		title      string
		notAnnot   bool // the summary says findings were left out
	}{
		{"an error fails", threatmodel.Report{Findings: []threatmodel.Finding{finding(threatmodel.SeverityError)},
			Counts: threatmodel.Counts{Errors: 1, Threats: 1}}, 0, conclusionFailure, "1 error, 0 warnings in 1 threats and 0 mitigations", false},
		{"warnings pass", threatmodel.Report{Findings: []threatmodel.Finding{finding(threatmodel.SeverityWarning)},
			Counts: threatmodel.Counts{Warnings: 1, Threats: 2, Mitigations: 1}}, 0, conclusionSuccess, "0 errors, 1 warning in 2 threats and 1 mitigations", false},
		{"no entry is neutral, never success", threatmodel.Report{}, 0, conclusionNeutral, "0 errors, 0 warnings in 0 threats and 0 mitigations", false},
		{"past the cap the summary says so", threatmodel.Report{
			Findings: []threatmodel.Finding{finding(threatmodel.SeverityWarning), finding(threatmodel.SeverityWarning), finding(threatmodel.SeverityError)},
			Counts:   threatmodel.Counts{Errors: 1, Warnings: 2, Threats: 1}}, 1, conclusionFailure, "1 error, 2 warnings in 1 threats and 0 mitigations", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(nil, nil, zerolog.Nop(), Options{MaxAnnotations: tt.max})
			o := s.outcomeOf(&tt.report)
			if o.conclusion != tt.conclusion || o.title != tt.title {
				t.Errorf("got %s %q, want %s %q", o.conclusion, o.title, tt.conclusion, tt.title)
			}
			if got := strings.Contains(o.summary, "more findings are not annotated"); got != tt.notAnnot {
				t.Errorf("summary tells of left-out findings: %v, want %v", got, tt.notAnnot)
			}
			if tt.max > 0 {
				if o.annotations != tt.max || o.batches[0][0].Level != "failure" {
					t.Errorf("annotated %d, first %+v; want %d, errors first", o.annotations, o.batches[0][0], tt.max)
				}
			}
		})
	}
}

func TestFailureSummariesNameWhatIsWrong(t *testing.T) {
	tests := []struct {
		name    string
		o       *outcome
		title   string
		mention []string
	}{
		{"one file too large", tooLarge(&tooLargeError{path: "docs/model.md"}), "Threat model too large",
			[]string{"`docs/model.md` is larger than"}},
		{"files too large together", tooLarge(&tooLargeError{path: "docs/b.md", together: true}), "Threat model too large",
			[]string{"together", "`docs/b.md`"}},
		{"broken configuration", &outcome{conclusion: conclusionFailure, summary: configSummary(&repoconfig.Error{
			File: ".github/secwg.yml", Line: 4, Key: "threat_model.paths", Message: "must be a list"})}, "",
			[]string{"`.github/secwg.yml` is broken at line 4, key `threat_model.paths`", "must be a list"}},
		{"internal failure cannot close its code block", internalFailure(errors.New("boom ``` injected")), "The check could not finish",
			[]string{"boom ''' injected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.conclusion != conclusionFailure || (tt.title != "" && tt.o.title != tt.title) {
				t.Errorf("got %s %q", tt.o.conclusion, tt.o.title)
			}
			for _, m := range tt.mention {
				if !strings.Contains(tt.o.summary, m) {
					t.Errorf("summary %q does not say %q", tt.o.summary, m)
				}
			}
			if strings.Count(tt.o.summary, "```")%2 != 0 {
				t.Errorf("summary %q leaves a code block open", tt.o.summary)
			}
		})
	}
}

func TestPullRequestsOfAPayloadAreThoseIntoThisRepository(t *testing.T) {
	pr := func(n int, baseRepo string) *github.PullRequest {
		return &github.PullRequest{Number: github.Int(n),
			Head: &github.PullRequestBranch{SHA: github.String("head")},
			Base: &github.PullRequestBranch{Ref: github.String("main"), SHA: github.String("base"),
				Repo: &github.Repository{Name: github.String(baseRepo)}}}
	}
	got := prsOf("nodejs", "node", []*github.PullRequest{pr(1, "node"), pr(2, "fork-target"), pr(3, "Node"),
		{Number: github.Int(4)}})
	var numbers []int
	for _, p := range got {
		numbers = append(numbers, p.Number)
		if p.Owner != "nodejs" || p.Repo != "node" {
			t.Errorf("pull request %d read as %s", p.Number, p.fullName())
		}
	}
	if want := []int{1, 3, 4}; !slices.Equal(numbers, want) {
		t.Errorf("kept %v, want %v", numbers, want)
	}
	if got[0].HeadSHA != "head" || got[0].BaseRef != "main" || got[0].BaseSHA != "base" {
		t.Errorf("first pull request read as %+v", got[0])
	}
}

func TestTheAppsRunsAreKnownByIDElseBySlug(t *testing.T) {
	app := func(id int64, slug string) *github.App {
		return &github.App{ID: github.Int64(id), Slug: github.String(slug)}
	}
	slug := func(s string) func() string { return func() string { return s } }
	tests := []struct {
		name string
		opts Options
		app  *github.App
		want bool
	}{
		{"same id", Options{App: appid.New(7, slug("secwg"))}, app(7, "other"), true},
		{"other id, same slug", Options{App: appid.New(7, slug("secwg"))}, app(8, "secwg"), false},
		{"no id, same slug", Options{App: appid.New(0, slug("secwg"))}, app(8, "secwg"), true},
		{"no id, other slug", Options{App: appid.New(0, slug("secwg"))}, app(8, "other"), false},
		{"no id, slug unknown yet", Options{App: appid.New(0, slug(""))}, app(8, ""), false},
		{"no id, no slug", Options{}, app(8, ""), false},
		{"no App", Options{App: appid.Fixed(7, "")}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(nil, nil, zerolog.Nop(), tt.opts).Owns(tt.app); got != tt.want {
				t.Errorf("Owns = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeepOwnKeepsTheAppsRunsOfTheNameNewestFirst(t *testing.T) {
	run := func(id, app int64, name string) *github.CheckRun {
		return &github.CheckRun{ID: github.Int64(id), Name: github.String(name), App: &github.App{ID: github.Int64(app)}}
	}
	s := New(nil, nil, zerolog.Nop(), Options{App: appid.Fixed(7, "")})
	runs := []*github.CheckRun{run(1, 7, "threat-model"), run(5, 7, "threat-model"), run(3, 9, "threat-model"),
		run(4, 7, "other"), run(2, 7, "threat-model")}
	var ids []int64
	for _, r := range s.keepOwn(slices.Clone(runs), "threat-model") {
		ids = append(ids, r.GetID())
	}
	if want := []int64{5, 2, 1}; !slices.Equal(ids, want) {
		t.Errorf("kept %v, want %v", ids, want)
	}
	if n := len(s.keepOwn(slices.Clone(runs), "")); n != 4 {
		t.Errorf("without a name kept %d runs, want the App's 4", n)
	}
}

func TestGraphQLIsUsedOnlyWhenItSavesARequest(t *testing.T) {
	pr := PullRequest{HeadSHA: "abc"}
	tests := []struct {
		name  string
		appID int64
		known *github.CheckRun
		want  bool
	}{
		{"App id known, no run named", 7, nil, true},
		{"App id unknown", 0, nil, false},
		{"App id past GraphQL's Int", 1 << 31, nil, false},
		{"the event names the head commit's run", 7, &github.CheckRun{HeadSHA: github.String("abc")}, false},
		{"the event names an older commit's run", 7, &github.CheckRun{HeadSHA: github.String("old")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(nil, nil, zerolog.Nop(), Options{App: appid.Fixed(tt.appID, "")}).usesGraphQL(pr, tt.known); got != tt.want {
				t.Errorf("usesGraphQL = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAnnotationsKeepEveryField(t *testing.T) {
	in := []threatmodel.Annotation{{Path: "m.md", StartLine: 2, EndLine: 3, Level: "warning", Title: "T-1", Message: "why"}}
	got := toGitHub(in)
	if len(got) != 1 || got[0].GetPath() != "m.md" || got[0].GetStartLine() != 2 || got[0].GetEndLine() != 3 ||
		got[0].GetAnnotationLevel() != "warning" || got[0].GetTitle() != "T-1" || got[0].GetMessage() != "why" {
		t.Errorf("got %+v", got)
	}
}

func TestInternalFailureShowsTheErrorAsInertText(t *testing.T) {
	tests := []struct{ err, hidden string }{
		{"GET https://api.github.com: 403 ask @nodejs/security", "@nodejs"},
		{"bad file safe\u202eexe.md", "\u202e"},
		{"see #12", "#12"},
		{"<!-- x --> and ````", "<!--"},
	}
	for _, tt := range tests {
		s := internalFailure(errors.New(tt.err)).summary
		if strings.Contains(s, tt.hidden) {
			t.Errorf("summary for %q holds %q:\n%s", tt.err, tt.hidden, s)
		}
		if strings.Count(s, "```")%2 != 0 {
			t.Errorf("summary %q leaves a code block open", s)
		}
	}
}

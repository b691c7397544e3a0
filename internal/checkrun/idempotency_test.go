package checkrun

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/githubtest"
)

const enabledConfig = "threat_model:\n  paths: [docs/model.md]\n"

// A run taken over in progress whose summary says the review was posted
// gets no second review; without the marker it gets one.
func TestATakenOverRunWithItsReviewGetsNoSecondOne(t *testing.T) {
	misspelt := strings.Replace(model, "Tampering", "Tampring", 1)
	changed := []map[string]any{{"filename": "docs/model.md", "status": "modified", "changes": 2,
		"patch": "@@ -7 +7 @@\n-- **STRIDE**: Tampering\n+- **STRIDE**: Tampring"}}
	for _, tt := range []struct {
		name    string
		summary string
		reviews int32
	}{
		{"marked", "secwg is checking." + marker("x") + reviewMarker + "\n", 0},
		{"not marked", "secwg is checking.", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runs := []map[string]any{{"id": 9.0, "name": "threat-model", "head_sha": headSHA, "status": "in_progress",
				"output": map[string]any{"title": "Checking the threat model", "summary": tt.summary},
				"app":    map[string]any{"id": githubtest.AppID, "slug": githubtest.AppSlug}}}
			cc, store, gh := checkGitHubServing(t, enabledConfig, misspelt, changed, runs)
			var reviews atomic.Int32
			gh.Handle("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", func(w http.ResponseWriter, r *http.Request) {
				n := reviews.Add(1)
				githubtest.Response{Body: githubtest.PullRequestReview("nodejs/node", 5, githubtest.BigID+int64(n), githubtest.AppSlug+"[bot]",
					"COMMENTED", headSHA, "suggestions")}.ServeHTTP(w, r)
			})
			s := New(cc, time.Now, zerolog.Nop(), Options{App: appid.Fixed(0, githubtest.AppSlug)})
			if err := s.Check(context.Background(), 1, PullRequest{Owner: "nodejs", Repo: "node", Number: 5,
				HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}, nil); err != nil {
				t.Fatal(err)
			}
			if n := reviews.Load(); n != tt.reviews {
				t.Errorf("%d reviews posted, want %d", n, tt.reviews)
			}
			if want := []string{"run 9 updated completed failure"}; !slices.Equal(store.log, want) {
				t.Errorf("wrote %q, want %q", store.log, want)
			}
			if s, _ := store.runs[0]["output"].(map[string]any)["summary"].(string); !strings.Contains(s, reviewMarker) {
				t.Errorf("the run's summary %q does not say the review was posted", s)
			}
		})
	}
}

// manyFindings is a model of n threats, each with an unknown STRIDE type.
func manyFindings(n int) string {
	var b strings.Builder
	b.WriteString("# Security\n\n## Threat model\n\n#### M-HTTP-001: Strict parsing\n\n- **Status**: Implemented\n")
	for i := range n {
		fmt.Fprintf(&b, "\n#### T-HTTP-%03d: Threat %d (CWE-444)\n\n- **STRIDE**: Q\n- **Mitigations**: M-HTTP-001\n", i+1, i)
	}
	return b.String()
}

// A check that stopped between annotation batches is finished on the run it
// completed: the missing batches are appended, no second run is created.
func TestARunCutShortBetweenAnnotationBatchesIsFinished(t *testing.T) {
	changed := []map[string]any{{"filename": "docs/model.md", "status": "added", "changes": 1}}
	tests := []struct {
		name   string
		stored int // annotations the run holds after the cut
		want   []string
		total  int
	}{
		{"after the first batch", 50, []string{"run 1 updated output", "run 1 updated output"}, 120},
		{"after the second batch", 100, []string{"run 1 updated output"}, 120},
		{"all batches", 120, []string{"run 1 updated completed failure"}, 120},
		{"a count no cut leaves", 70, []string{"run 2 created completed failure", "run 2 updated output", "run 2 updated output"}, 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, store, _ := checkGitHubServing(t, enabledConfig, manyFindings(120), changed, nil)
			s := New(cc, time.Now, zerolog.Nop(), Options{App: appid.Fixed(0, githubtest.AppSlug)})
			pr := PullRequest{Owner: "nodejs", Repo: "node", Number: 5, HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}
			if err := s.Check(context.Background(), 1, pr, nil); err != nil {
				t.Fatal(err)
			}
			if n, _ := store.runs[0]["annotations_count"].(int); n != 120 {
				t.Fatalf("the first check left %d annotations, want 120 (log %q)", n, store.log)
			}
			store.runs[0]["annotations_count"] = tt.stored
			store.log = nil
			if err := s.Check(context.Background(), 1, pr, nil); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(store.log, tt.want) {
				t.Errorf("wrote %q, want %q", store.log, tt.want)
			}
			if n, _ := store.runs[len(store.runs)-1]["annotations_count"].(int); n != tt.total {
				t.Errorf("the run holds %d annotations, want %d", n, tt.total)
			}
		})
	}
}

// memoryLocker is a Locker within one process, recording the names asked for.
type memoryLocker struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
	names []string
}

func (l *memoryLocker) Lock(ctx context.Context, name string) (context.Context, func(), error) {
	l.mu.Lock()
	m, ok := l.locks[name]
	if !ok {
		m = &sync.Mutex{}
		l.locks[name] = m
	}
	l.names = append(l.names, name)
	l.mu.Unlock()
	m.Lock()
	return ctx, m.Unlock, nil
}

// Two deliveries for one commit checked at once make one run.
func TestConcurrentChecksOfOneCommitMakeOneRun(t *testing.T) {
	changed := []map[string]any{{"filename": "docs/model.md", "status": "modified", "changes": 1,
		"patch": "@@ -12 +12 @@\n-- **Status**: Planned\n+- **Status**: Implemented"}}
	for range 5 {
		cc, store := checkGitHub(t, enabledConfig, changed, nil)
		locker := &memoryLocker{locks: map[string]*sync.Mutex{}}
		s := New(cc, time.Now, zerolog.Nop(), Options{App: appid.Fixed(0, githubtest.AppSlug), Locker: locker})
		pr := PullRequest{Owner: "nodejs", Repo: "node", Number: 5, HeadSHA: headSHA, BaseRef: "main", BaseSHA: baseSHA}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Check(context.Background(), 1, pr, nil)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(store.runs) != 1 {
			t.Fatalf("%d runs, want 1: %q", len(store.runs), store.log)
		}
		if want := "check:nodejs/node@" + headSHA; len(locker.names) != 2 || locker.names[0] != want || locker.names[1] != want {
			t.Errorf("locked %q, want %q twice", locker.names, want)
		}
	}
}

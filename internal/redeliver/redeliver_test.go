package redeliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/metrics"
)

var now = time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC)

func clients(t *testing.T, s *githubtest.Server) githubapp.ClientCreator {
	t.Helper()
	var cfg githubapp.Config
	cfg.V3APIURL = s.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(s.PrivateKeyPEM())
	cc, err := githubapp.NewDefaultCachingClientCreator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// handled is secwg's predicate in these tests: issues and issue_comment, not ping.
func handled(event, action string) bool { return event == "issues" || event == "issue_comment" }

// attempt is a delivery attempt ago before now.
func attempt(guid string, ago time.Duration, code int, event string, redelivery bool) githubtest.HookDelivery {
	return githubtest.HookDelivery{
		GUID: guid, DeliveredAt: now.Add(-ago), StatusCode: code, Event: event, Action: "opened",
		Redelivery: redelivery, InstallationID: 7, RepositoryID: 1 << 33,
	}
}

func TestPassRedeliversWhatFailed(t *testing.T) {
	tests := []struct {
		name     string
		attempts []githubtest.HookDelivery // oldest first
		opts     Options
		// want lists the GUIDs redelivered, in order, each by its latest attempt.
		want    []string
		givenUp int
	}{
		{
			name:     "failed handled delivery is redelivered",
			attempts: []githubtest.HookDelivery{attempt("a", time.Hour, 500, "issues", false)},
			want:     []string{"a"},
		},
		{
			name:     "delivery that never connected is redelivered",
			attempts: []githubtest.HookDelivery{attempt("a", time.Hour, 0, "issues", false)},
			want:     []string{"a"},
		},
		{
			name: "delivery whose latest attempt succeeded is left alone",
			attempts: []githubtest.HookDelivery{
				attempt("a", 2*time.Hour, 500, "issues", false),
				attempt("a", time.Hour, 200, "issues", true),
			},
		},
		{
			name: "still-processing answer counts as OK",
			attempts: []githubtest.HookDelivery{
				attempt("a", time.Hour, 202, "issues", false),
			},
		},
		{
			name: "latest failed attempt is the one redelivered",
			attempts: []githubtest.HookDelivery{
				attempt("a", 2*time.Hour, 200, "issues", false),
				attempt("a", time.Hour, 500, "issues", true),
			},
			want: []string{"a"},
		},
		{
			name:     "event secwg does not handle is not redelivered",
			attempts: []githubtest.HookDelivery{attempt("p", time.Hour, 500, "ping", false)},
		},
		{
			name: "delivery at the attempt limit is given up",
			attempts: []githubtest.HookDelivery{
				attempt("a", 3*time.Hour, 500, "issues", false),
				attempt("a", 2*time.Hour, 500, "issues", true),
				attempt("a", time.Hour, 503, "issues", true),
				attempt("b", time.Hour, 500, "issues", false),
				attempt("b", time.Hour-time.Minute, 500, "issues", true),
			},
			want:    []string{"b"},
			givenUp: 1,
		},
		{
			name:     "delivery older than the window is not redelivered",
			attempts: []githubtest.HookDelivery{attempt("old", 25*time.Hour, 500, "issues", false), attempt("new", time.Hour, 500, "issues", false)},
			want:     []string{"new"},
		},
		{
			name: "a pass redelivers at most MaxPerPass, oldest first",
			attempts: []githubtest.HookDelivery{
				attempt("c", 3*time.Hour, 500, "issues", false),
				attempt("b", 4*time.Hour, 500, "issues", false),
				attempt("d", 2*time.Hour, 500, "issues", false),
				attempt("a", 5*time.Hour, 500, "issues", false),
			},
			opts: Options{MaxPerPass: 2},
			want: []string{"a", "b"},
		},
		{
			name: "redeliveries whose first delivery left the window are not redelivered again",
			attempts: []githubtest.HookDelivery{
				attempt("a", 25*time.Hour, 500, "issues", false),
				attempt("a", 23*time.Hour, 500, "issues", true),
				attempt("a", 22*time.Hour, 500, "issues", true),
				attempt("b", 23*time.Hour, 500, "issues", false),
			},
			want: []string{"b"},
		},
		{
			name:     "window and limit are options",
			attempts: []githubtest.HookDelivery{attempt("a", 3*time.Hour, 500, "issues", false), attempt("a", 2*time.Hour, 500, "issues", true), attempt("a", time.Hour, 500, "issues", true), attempt("b", 5*time.Hour, 500, "issue_comment", false)},
			opts:     Options{MaxAttempts: 4, Window: 4 * time.Hour},
			want:     []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := githubtest.New(t)
			log := s.HookDeliveries()
			latest := map[string]int64{}
			for _, a := range tt.attempts {
				latest[a.GUID] = log.Add(a).ID
			}
			m := metrics.New()
			opts := tt.opts
			opts.Now, opts.Metrics = func() time.Time { return now }, m
			r := New(clients(t, s), handled, opts)
			res, err := r.Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, re := range log.Redelivered() {
				if !re.DeliveredAt.Before(now) { // made by this pass
					got = append(got, re.GUID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("redelivered %v, want %v", got, tt.want)
			}
			var posted []string
			for _, req := range s.Requests() {
				if req.Pattern == githubtest.PatternRedeliverHookDelivery {
					posted = append(posted, req.Path)
				}
			}
			for i, g := range tt.want {
				if want := fmt.Sprintf("/app/hook/deliveries/%d/attempts", latest[g]); posted[i] != want {
					t.Errorf("redelivery %d asked %s, want the latest attempt %s", i, posted[i], want)
				}
			}
			if res.Requested != len(tt.want) || res.GivenUp != tt.givenUp {
				t.Errorf("result %+v, want %d requested, %d given up", res, len(tt.want), tt.givenUp)
			}
			if got := testutil.ToFloat64(m.RedeliveriesRequested); got != float64(len(tt.want)) {
				t.Errorf("requested metric %v, want %d", got, len(tt.want))
			}
			if got := testutil.ToFloat64(m.RedeliveriesGivenUp); got != float64(tt.givenUp) {
				t.Errorf("given-up metric %v, want %d", got, tt.givenUp)
			}
		})
	}
}

// A pass pages through the Link header's cursor to reach failures behind 250
// successes, and stops at the first page that reaches past the window.
func TestPassPagesBackToTheWindow(t *testing.T) {
	s := githubtest.New(t)
	log := s.HookDeliveries()
	log.Add(attempt("too-old", 30*time.Hour, 500, "issues", false))
	for i := range 150 {
		log.Add(attempt(fmt.Sprintf("older-%d", i), 25*time.Hour, 200, "issues", false))
	}
	log.Add(attempt("failed", 23*time.Hour, 500, "issues", false))
	for i := range 250 {
		log.Add(attempt(fmt.Sprintf("ok-%d", i), time.Hour, 200, "issues", false))
	}
	r := New(clients(t, s), handled, Options{Now: func() time.Time { return now }})
	res, err := r.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Requested != 1 || res.Listed != 251 {
		t.Fatalf("result %+v; want the one failure among 251 deliveries in the window", res)
	}
	// 251 in the window and the next page begins past it: 3 pages, not the 5 of the log.
	if n := s.Count(githubtest.PatternListHookDeliveries); n != 3 || res.Pages != 3 {
		t.Fatalf("%d list requests (%d pages), want 3", n, res.Pages)
	}
	for _, req := range s.Requests() {
		if req.Pattern == githubtest.PatternListHookDeliveries && req.Installation != 0 {
			t.Fatalf("listing used installation %d's token, not the App's JWT", req.Installation)
		}
	}
}

// Two passes converge: the first redelivers, GitHub records a successful
// attempt, and the second finds nothing to do; a delivery that keeps failing
// is given up at the limit and counted once.
func TestPassesConverge(t *testing.T) {
	s := githubtest.New(t)
	log := s.HookDeliveries()
	clock := now
	log.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock })
	log.Add(attempt("heals", time.Hour, 500, "issues", false))
	log.Add(attempt("stuck", time.Hour, 500, "issues", false))
	log.SetRedeliveryOutcome(func(d githubtest.HookDelivery) (string, int) {
		if d.GUID == "heals" {
			return "OK", 200
		}
		return githubtest.StatusText(500), 500
	})
	m := metrics.New()
	r := New(clients(t, s), handled, Options{Now: func() time.Time { return clock }, Metrics: m})
	var requested, givenUp []int
	for range 4 {
		res, err := r.Pass(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		requested = append(requested, res.Requested)
		givenUp = append(givenUp, res.GivenUp)
	}
	// heals: 1 redelivery. stuck: 2 redeliveries (3 attempts), then given up once.
	if !slices.Equal(requested, []int{2, 1, 0, 0}) || !slices.Equal(givenUp, []int{0, 0, 1, 0}) {
		t.Fatalf("requested per pass %v, given up %v; want [2 1 0 0], [0 0 1 0]", requested, givenUp)
	}
	if got := testutil.ToFloat64(m.RedeliveriesGivenUp); got != 1 {
		t.Errorf("given-up metric %v, want 1", got)
	}
	if age := testutil.ToFloat64(m.OldestFailedDelivery); age < time.Hour.Seconds() {
		t.Errorf("oldest failed delivery age %vs, want at least an hour (stuck is still failed)", age)
	}
}

func TestOldestFailedAgeIsZeroWithoutFailures(t *testing.T) {
	s := githubtest.New(t)
	s.HookDeliveries().Add(attempt("ok", time.Hour, 200, "issues", false))
	m := metrics.New()
	m.OldestFailedDelivery.Set(42)
	if _, err := New(clients(t, s), handled, Options{Now: func() time.Time { return now }, Metrics: m}).Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if age := testutil.ToFloat64(m.OldestFailedDelivery); age != 0 {
		t.Fatalf("age %v with no failed delivery, want 0", age)
	}
}

// A rate-limit answer ends the pass at once, with an error, and no more
// requests; a refused redelivery (422) is counted and the pass goes on.
func TestPassStopsAtTheRateLimit(t *testing.T) {
	tests := []struct {
		name   string
		answer githubtest.Response
		posts  int
		err    bool
	}{
		{"secondary rate limit stops the pass", githubtest.SecondaryRateLimit(time.Minute), 1, true},
		{"refused redelivery is skipped", githubtest.Response{Status: 422, Body: map[string]string{"message": "Validation Failed",
			"documentation_url": "https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook"}}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := githubtest.New(t)
			log := s.HookDeliveries()
			for _, g := range []string{"a", "b", "c"} {
				log.Add(attempt(g, time.Hour, 500, "issues", false))
			}
			s.Handle(githubtest.PatternRedeliverHookDelivery, tt.answer.ServeHTTP)
			res, err := New(clients(t, s), handled, Options{Now: func() time.Time { return now }}).Pass(context.Background())
			if (err != nil) != tt.err {
				t.Fatalf("Pass error = %v, want error %v", err, tt.err)
			}
			if n := s.Count(githubtest.PatternRedeliverHookDelivery); n != tt.posts {
				t.Fatalf("%d redelivery requests, want %d", n, tt.posts)
			}
			if !tt.err && res.Errors != 3 {
				t.Fatalf("result %+v, want 3 errors", res)
			}
		})
	}
}

// When GitHub reports the App's rate limit down to the reserve, the pass stops
// requesting and leaves the rest for later, without an error.
func TestPassLeavesTheRateLimitReserve(t *testing.T) {
	s := githubtest.New(t)
	log := s.HookDeliveries()
	for _, g := range []string{"a", "b", "c"} {
		log.Add(attempt(g, time.Hour, 500, "issues", false))
	}
	s.Handle(githubtest.PatternRedeliverHookDelivery, githubtest.Response{
		Status: 202, Body: map[string]any{},
		Header: map[string][]string{"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"100"}, "X-Ratelimit-Reset": {"1900000000"}},
	}.ServeHTTP)
	res, err := New(clients(t, s), handled, Options{Now: func() time.Time { return now }}).Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Count(githubtest.PatternRedeliverHookDelivery); n != 1 || res.Requested != 1 || res.Deferred != 2 {
		t.Fatalf("%d redelivery requests, result %+v; want 1 requested and 2 deferred", n, res)
	}
}

func TestListingRefusedIsAnError(t *testing.T) {
	s := githubtest.New(t)
	s.ReplyJSON(githubtest.PatternListHookDeliveries, 400, map[string]string{"message": "Bad request"})
	if _, err := New(clients(t, s), handled, Options{}).Pass(context.Background()); err == nil {
		t.Fatal("a refused listing was not an error")
	}
}

func TestRunPassesAtStartAndEveryIntervalUntilCancelled(t *testing.T) {
	s := githubtest.New(t)
	s.HookDeliveries()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	r := New(clients(t, s), handled, Options{})
	go func() { done <- r.Run(ctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Count(githubtest.PatternListHookDeliveries) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not keep passing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

// A listing cut at MaxPages before the window's start is reported and warned
// about, and a failure whose first delivery lies beyond the pages listed is
// not redelivered on the attempts it shows.
func TestPassReportsAListingCutAtMaxPages(t *testing.T) {
	tests := []struct {
		maxPages  int
		truncated bool
		want      []string
	}{
		{maxPages: 2, truncated: true},
		{maxPages: 3, truncated: false, want: []string{"cut"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxPages), func(t *testing.T) {
			s := githubtest.New(t)
			log := s.HookDeliveries()
			log.Add(attempt("too-old", 30*time.Hour, 200, "issues", false))
			log.Add(attempt("cut", 23*time.Hour, 500, "issues", false)) // on the third page
			for i := range 150 {
				log.Add(attempt(fmt.Sprintf("ok-%d", i), 2*time.Hour, 200, "issues", false))
			}
			log.Add(attempt("cut", time.Hour, 500, "issues", true))
			for i := range 99 {
				log.Add(attempt(fmt.Sprintf("new-%d", i), time.Minute, 200, "issues", false))
			}
			var logs bytes.Buffer
			r := New(clients(t, s), handled, Options{Now: func() time.Time { return now }, MaxPages: tt.maxPages, Logger: zerolog.New(&logs)})
			res, err := r.Pass(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, re := range log.Redelivered() {
				if !re.DeliveredAt.Before(now) {
					got = append(got, re.GUID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("redelivered %v, want %v", got, tt.want)
			}
			warned := strings.Contains(logs.String(), `"level":"warn"`) && strings.Contains(logs.String(), "page limit")
			if res.Truncated != tt.truncated || warned != tt.truncated {
				t.Errorf("truncated %v, warned %v; want %v. Logs:\n%s", res.Truncated, warned, tt.truncated, logs.String())
			}
		})
	}
}

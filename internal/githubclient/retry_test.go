package githubclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// script answers each attempt with the next canned response.
type script struct {
	answers []func() (*http.Response, error)
	bodies  []string
	calls   int
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		s.bodies = append(s.bodies, string(b))
	}
	i := min(s.calls, len(s.answers)-1)
	s.calls++
	return s.answers[i]()
}

func answer(status int, body string, header ...string) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		h := http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

func failure() (*http.Response, error) { return nil, errors.New("connection reset") }

type clock struct {
	now   time.Time
	waits []time.Duration
}

func (c *clock) policy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MaxElapsed: 90 * time.Second, BaseDelay: time.Second, MaxDelay: 8 * time.Second,
		now: func() time.Time { return c.now },
		sleep: func(_ context.Context, d time.Duration) error {
			c.waits = append(c.waits, d)
			c.now = c.now.Add(d)
			return nil
		}}
}

func TestRetryRepeatsTransientFailuresThenSucceeds(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	secondary := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`
	tests := []struct {
		name      string
		method    string
		answers   []func() (*http.Response, error)
		wantCalls int
		wantCode  int
		wantWaits []time.Duration // nil: only check count; exact values where the server named them
	}{
		{"500 then ok", "GET", []func() (*http.Response, error){answer(500, ""), answer(200, "{}")}, 2, 200, nil},
		{"502 twice then ok", "PATCH", []func() (*http.Response, error){answer(502, ""), answer(502, ""), answer(200, "{}")}, 3, 200, nil},
		{"secondary limit without Retry-After waits a minute", "POST", []func() (*http.Response, error){answer(403, secondary), answer(201, "{}")}, 2, 201,
			[]time.Duration{time.Minute}},
		{"429 without Retry-After waits a minute", "GET", []func() (*http.Response, error){answer(429, ""), answer(200, "{}")}, 2, 200,
			[]time.Duration{time.Minute}},
		{"429 honours Retry-After", "GET", []func() (*http.Response, error){answer(429, "", "Retry-After", "7"), answer(200, "{}")}, 2, 200,
			[]time.Duration{7 * time.Second}},
		{"secondary limit 403", "PATCH", []func() (*http.Response, error){answer(403, secondary), answer(201, "{}")}, 2, 201, []time.Duration{time.Minute}},
		{"secondary limit with Retry-After", "POST", []func() (*http.Response, error){answer(403, secondary, "Retry-After", "3"), answer(201, "{}")}, 2, 201,
			[]time.Duration{3 * time.Second}},
		{"primary limit waits for reset", "GET", []func() (*http.Response, error){
			answer(403, `{"message":"API rate limit exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(start.Add(20*time.Second).Unix(), 10)),
			answer(200, "{}")}, 2, 200, []time.Duration{21 * time.Second}},
		{"transport error on GET", "GET", []func() (*http.Response, error){failure, answer(200, "{}")}, 2, 200, nil},
		{"gives up after max attempts", "GET", []func() (*http.Response, error){answer(503, "")}, 4, 503, nil},
		{"permission 403 is final", "GET", []func() (*http.Response, error){answer(403, `{"message":"Resource not accessible by integration"}`)}, 1, 403, nil},
		{"404 is final", "GET", []func() (*http.Response, error){answer(404, "")}, 1, 404, nil},
		{"422 is final", "POST", []func() (*http.Response, error){answer(422, "")}, 1, 422, nil},
		{"501 is final", "GET", []func() (*http.Response, error){answer(501, "")}, 1, 501, nil},
		{"reset beyond budget is not awaited", "GET", []func() (*http.Response, error){
			answer(429, "", "Retry-After", "3600"), answer(200, "{}")}, 1, 429, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: start}
			s := &script{answers: tt.answers}
			req, _ := http.NewRequest(tt.method, "https://api.github.test/x", strings.NewReader(`{"a":1}`))
			res, err := Retry(c.policy())(s).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantCode || s.calls != tt.wantCalls {
				t.Errorf("status %d after %d calls; want %d after %d", res.StatusCode, s.calls, tt.wantCode, tt.wantCalls)
			}
			if len(c.waits) != tt.wantCalls-1 {
				t.Errorf("waited %d times, want %d", len(c.waits), tt.wantCalls-1)
			}
			if tt.wantWaits != nil && !equalDurations(c.waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", c.waits, tt.wantWaits)
			}
			for i, b := range s.bodies {
				if b != `{"a":1}` {
					t.Errorf("attempt %d sent body %q", i+1, b)
				}
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryDoesNotRepeatUnsafeRequestsAfterTransportErrors(t *testing.T) {
	c := &clock{now: time.Unix(0, 0)}
	s := &script{answers: []func() (*http.Response, error){failure, answer(201, "{}")}}
	req, _ := http.NewRequest("POST", "https://api.github.test/issues", strings.NewReader("{}"))
	if _, err := Retry(c.policy())(s).RoundTrip(req); err == nil || s.calls != 1 {
		t.Errorf("err = %v after %d calls; want the error after 1", err, s.calls)
	}
}

func TestRetryBackoffGrowsAndStaysBounded(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 8 * time.Second}
	for attempt := 1; attempt <= 40; attempt++ {
		limit := min(time.Second<<(attempt-1), 8*time.Second)
		if attempt > 30 {
			limit = 8 * time.Second
		}
		for range 50 {
			if d := p.backoff(attempt); d <= 0 || d > limit {
				t.Fatalf("backoff(%d) = %v, want within (0, %v]", attempt, d, limit)
			}
		}
	}
}

func TestRetryStopsAtTheJobDeadline(t *testing.T) {
	c := &clock{now: time.Now()}
	s := &script{answers: []func() (*http.Response, error){answer(502, "", "Retry-After", "5"), answer(200, "")}}
	ctx, cancel := context.WithDeadline(context.Background(), c.now.Add(2*time.Second))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.github.test/x", nil)
	res, err := Retry(c.policy())(s).RoundTrip(req)
	if err != nil || res.StatusCode != 502 || s.calls != 1 {
		t.Errorf("got %v, %v after %d calls; want the 502 at once", res, err, s.calls)
	}
}

func TestSecondaryLimitPastTheDeadlineFailsInsteadOfRetryingEarly(t *testing.T) {
	secondary := `{"message":"You have exceeded a secondary rate limit."}`
	start := time.Unix(1_700_000_000, 0)
	c := &clock{now: start}
	s := &script{answers: []func() (*http.Response, error){answer(403, secondary), answer(201, "{}")}}
	// 30 s left of the job: a one-minute wait does not fit.
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(30*time.Second))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "https://api.github.test/repos/o/r/issues/1/comments", strings.NewReader(`{}`))
	res, err := Retry(c.policy())(s).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 403 || s.calls != 1 || len(c.waits) != 0 {
		t.Errorf("status %d after %d calls and waits %v; want the 403 at once", res.StatusCode, s.calls, c.waits)
	}
}

func TestWritesAreRetriedOn5xxOnlyWhereRepeatingIsSafe(t *testing.T) {
	tests := []struct {
		method, path, body string
		retried            bool
	}{
		{"GET", "/repos/o/r/issues", "", true},
		{"PUT", "/repos/o/r/contents/x", `{}`, true},
		{"DELETE", "/repos/o/r/issues/1/labels/x", "", true},
		{"PATCH", "/repos/o/r/check-runs/1", `{"status":"completed"}`, true},
		{"POST", "/repos/o/r/issues/1/reactions", `{"content":"+1"}`, true},
		{"POST", "/graphql", `{"query":"query($o:String!){repository(owner:$o){id}}"}`, true},
		{"POST", "/graphql", `{"query":"{ viewer { login } }"}`, true},
		{"POST", "/graphql", `{"query":"mutation { addComment(input:{}) { clientMutationId } }"}`, false},
		{"POST", "/repos/o/r/issues/1/comments", `{"body":"hi"}`, false},
		{"POST", "/repos/o/r/check-runs", `{"name":"x"}`, false},
		{"POST", "/repos/o/r/issues", `{"title":"t"}`, false},
		{"POST", "/repos/o/r/pulls", `{"title":"t"}`, false},
	}
	for _, tt := range tests {
		for _, withGetBody := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s %s %s GetBody=%v", tt.method, tt.path, tt.body, withGetBody), func(t *testing.T) {
				c := &clock{now: time.Unix(1_700_000_000, 0)}
				s := &script{answers: []func() (*http.Response, error){answer(502, ""), answer(200, "{}")}}
				var rd io.Reader
				if tt.body != "" {
					rd = strings.NewReader(tt.body)
				}
				req, _ := http.NewRequest(tt.method, "https://api.github.test"+tt.path, rd)
				if !withGetBody {
					req.GetBody = nil
				}
				res, err := Retry(c.policy())(s).RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				if retried := s.calls == 2; retried != tt.retried {
					t.Errorf("retried = %v (status %d), want %v", retried, res.StatusCode, tt.retried)
				}
				// Whatever the 5xx, a rate limit never hides a write: any method is retried then.
				c2 := &clock{now: time.Unix(1_700_000_000, 0)}
				s2 := &script{answers: []func() (*http.Response, error){answer(429, "", "Retry-After", "1"), answer(200, "{}")}}
				req2, _ := http.NewRequest(tt.method, "https://api.github.test"+tt.path, strings.NewReader(tt.body))
				if _, err := Retry(c2.policy())(s2).RoundTrip(req2); err != nil || s2.calls != 2 {
					t.Errorf("rate-limited %s not retried: %d calls, %v", tt.method, s2.calls, err)
				}
			})
		}
	}
}

// stall answers the first attempt only when its context ends, as a hung GitHub would.
type stall struct{ calls int }

func (s *stall) RoundTrip(r *http.Request) (*http.Response, error) {
	s.calls++
	if s.calls == 1 {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return answer(200, "{}")()
}

func TestEachAttemptHasItsOwnTimeout(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	p := c.policy().withAttemptTimeout(20 * time.Millisecond)
	s := &stall{}
	req, _ := http.NewRequest("GET", "https://api.github.test/x", nil)
	res, err := Retry(p)(s).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || s.calls != 2 {
		t.Errorf("status %d after %d calls; want a second attempt after the first timed out", res.StatusCode, s.calls)
	}
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Errorf("reading the answer: %v", err)
	}
	res.Body.Close()
}

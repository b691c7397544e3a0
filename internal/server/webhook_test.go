package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secwg/secwg/internal/githubtest"
)

const labeled = `{"action":"labeled","issue":{"number":7},"repository":{"full_name":"nodejs/node"},"installation":{"id":42}}`

func TestWebhookAnswers(t *testing.T) {
	sign := func(b string) string { return githubtest.Sign([]byte(testSecret), []byte(b)) }
	tests := []struct {
		name     string
		header   map[string]string // overrides of a valid delivery's headers; "" deletes
		body     string
		want     int
		outcome  string
		event    string // metrics label
		wantRuns int
	}{
		{"accepted", nil, labeled, 200, outcomeAccepted, "issues", 1},
		{"no installation", nil, `{"action":"labeled","issue":{"number":7}}`, 202, outcomeIgnored, "issues", 0},
		{"missing signature", map[string]string{"X-Hub-Signature-256": ""}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"sha1 only", map[string]string{"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=0123"}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"sha1 prefix in sha256 header", map[string]string{"X-Hub-Signature-256": strings.Replace(sign(labeled), "sha256=", "sha1=", 1)}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"not hex", map[string]string{"X-Hub-Signature-256": "sha256=zz"}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"wrong secret", map[string]string{"X-Hub-Signature-256": githubtest.Sign([]byte("other"), []byte(labeled))}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"signature of another body", map[string]string{"X-Hub-Signature-256": sign(`{}`)}, labeled, 401, outcomeBadSignature, "unverified", 0},
		{"missing event", map[string]string{"X-GitHub-Event": ""}, labeled, 400, outcomeBadRequest, "unverified", 0},
		{"missing delivery", map[string]string{"X-GitHub-Delivery": ""}, labeled, 400, outcomeBadRequest, "unverified", 0},
		{"hostile event name", map[string]string{"X-GitHub-Event": "Issues!"}, labeled, 400, outcomeBadRequest, "unverified", 0},
		{"not json", nil, `labeled=yes`, 400, outcomeBadRequest, "issues", 0},
		{"json but not an object", nil, `[1,2]`, 400, outcomeBadRequest, "issues", 0},
		{"form encoded", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, labeled, 400, outcomeBadRequest, "issues", 0},
		{"unhandled event", map[string]string{"X-GitHub-Event": "star"}, `{"action":"created"}`, 202, outcomeIgnored, "star", 0},
		{"unhandled action", nil, `{"action":"pinned","issue":{"number":1}}`, 202, outcomeIgnored, "issues", 0},
		{"ping", map[string]string{"X-GitHub-Event": "ping"}, `{"zen":"Keep it simple."}`, 202, outcomeIgnored, "ping", 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{events: []string{"issues"}, actions: map[string]bool{"labeled": true}}
			a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
			req, _ := http.NewRequest("POST", a.url+WebhookRoute, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "issues")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("delivery-%d", i))
			req.Header.Set("X-Hub-Signature-256", sign(tt.body))
			for k, v := range tt.header {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header[k] = []string{v}
				}
			}
			status, body := a.do(req)
			if status != tt.want {
				t.Fatalf("status %d (%q), want %d", status, body, tt.want)
			}
			if strings.TrimSpace(body) == "" {
				t.Error("answer has no explanation")
			}
			if err := a.stop(); err != nil {
				t.Fatal(err)
			}
			if h.count() != tt.wantRuns {
				t.Errorf("handler ran %d times, want %d", h.count(), tt.wantRuns)
			}
			action := ""
			if tt.outcome != outcomeBadRequest && tt.outcome != outcomeBadSignature {
				action = actionOf(tt.body)
			}
			if got := a.delivered(tt.event, action, tt.outcome); got != 1 {
				t.Errorf("deliveries{%s,%s,%s} = %v, want 1", tt.event, action, tt.outcome, got)
			}
			if n := a.apiCalls(); n != 0 {
				t.Errorf("%d GitHub requests, want none", n)
			}
		})
	}
}

func actionOf(body string) string {
	var v struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal([]byte(body), &v)
	return v.Action
}

// countingReader counts the bytes the server pulled from the client.
type countingReader struct {
	n, limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, io.EOF
	}
	k := min(int64(len(p)), c.limit-c.n)
	for i := range p[:k] {
		p[i] = ' '
	}
	c.n += k
	return int(k), nil
}

func TestWebhookRefusesOversizedBodiesWithoutReadingThem(t *testing.T) {
	a := startApp(t, appOptions{})
	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("content-length declared %v", declared), func(t *testing.T) {
			body := &countingReader{limit: MaxPayloadBytes + 1<<20}
			req := httptest.NewRequest("POST", WebhookRoute, body)
			req.ContentLength = -1
			if declared {
				req.ContentLength = body.limit
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "issues")
			req.Header.Set("X-GitHub-Delivery", "big")
			req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32))
			rec := httptest.NewRecorder()
			a.server.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", rec.Code)
			}
			if declared && body.n != 0 {
				t.Errorf("read %d bytes of a body declared too large", body.n)
			}
			if !declared && body.n > MaxPayloadBytes+64<<10 {
				t.Errorf("read %d bytes, more than the cap", body.n)
			}
		})
	}
}

func TestWebhookAcceptsAPayloadAtTheCap(t *testing.T) {
	h := &recorder{events: []string{"issues"}}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	body := `{"action":"opened","installation":{"id":1},"pad":"` + strings.Repeat("x", MaxPayloadBytes-70) + `"}`
	if status, msg := a.deliver("issues", "at-cap", body); status != 200 {
		t.Fatalf("status %d: %s", status, msg)
	}
	eventually(t, "the job", func() bool { return h.count() == 1 })
}

func TestRedeliveryIsAcknowledgedButNotProcessedAgain(t *testing.T) {
	h := &recorder{events: []string{"issues"}}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	for i := range 3 {
		want := 202
		if i == 0 {
			want = 200
		}
		if status, body := a.deliver("issues", "same-id", labeled); status != want {
			t.Fatalf("status %d: %s", status, body)
		}
		eventually(t, "the first job", func() bool { return h.count() == 1 })
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 {
		t.Errorf("handler ran %d times", h.count())
	}
	if got := a.delivered("issues", "labeled", outcomeDuplicate); got != 2 {
		t.Errorf("duplicates counted %v, want 2", got)
	}
}

func TestFailedJobsCanBeRedelivered(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	h := &recorder{events: []string{"issues"}, do: func(context.Context, string) error {
		if fail.Load() {
			return fmt.Errorf("GitHub was down")
		}
		return nil
	}}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	a.deliver("issues", "flaky", labeled)
	eventually(t, "the failure to be logged", func() bool { return strings.Contains(a.logs.String(), "GitHub was down") })
	fail.Store(false)
	a.deliver("issues", "flaky", labeled)
	eventually(t, "the redelivery to run", func() bool { return h.count() == 2 })
}

func TestFullQueueAnswers503AndCountsTheDrop(t *testing.T) {
	release := make(chan struct{})
	h := &recorder{events: []string{"issues"}, do: func(ctx context.Context, _ string) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}}
	a := startApp(t, appOptions{
		configure: func(c *configT) { c.Server.Workers, c.Server.QueueSize, c.Server.AckTimeout = 1, 1, time.Millisecond },
		opts:      []Option{WithHandlers(h)},
	})
	// One job runs, one waits, the third finds the queue full.
	a.deliver("issues", "d1", labeledAs("d1"))
	eventually(t, "the worker to take d1", func() bool { return h.count() == 1 })
	if s, _ := a.deliver("issues", "d2", labeledAs("d2")); s != 202 {
		t.Fatalf("d2: %d", s)
	}
	status, body := a.deliver("issues", "d3", labeledAs("d3"))
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "capacity") {
		t.Fatalf("d3: %d %q", status, body)
	}
	if got := testutil.ToFloat64(a.server.metrics.QueueDropped); got != 1 {
		t.Errorf("dropped = %v", got)
	}
	if got := a.delivered("issues", "labeled", outcomeQueueFull); got != 1 {
		t.Errorf("queue_full deliveries = %v", got)
	}
	close(release)
	// The refused delivery was forgotten, so GitHub's redelivery is processed.
	eventually(t, "the queue to empty", func() bool { return h.count() == 2 && a.server.queue.Len() == 0 })
	if s, _ := a.deliver("issues", "d3", labeledAs("d3")); s != 202 && s != 200 {
		t.Fatalf("redelivered d3: %d", s)
	}
	eventually(t, "d3 to run", func() bool { return h.count() == 3 })
}

func TestSetupModeWebhookAnswers503(t *testing.T) {
	a := startApp(t, appOptions{configure: func(c *configT) { c.GitHub.App = appT{} }})
	status, body := a.deliver("issues", "x", labeled)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "not configured") {
		t.Fatalf("%d %q", status, body)
	}
}

func TestUnverifiedHeadersStayOutOfTheLog(t *testing.T) {
	a := startApp(t, appOptions{})
	req, _ := http.NewRequest("POST", a.url+WebhookRoute, strings.NewReader(labeled))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "forged-"+strings.Repeat("x", 1000))
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte("not the secret"), []byte(labeled)))
	if status, _ := a.do(req); status != http.StatusUnauthorized {
		t.Fatalf("status %d", status)
	}
	if strings.Contains(a.logs.String(), "forged-") {
		t.Error("an unverified delivery ID reached the log")
	}
}

func TestHandledDeliveriesAreAnsweredAfterTheirJob(t *testing.T) {
	release := make(chan struct{})
	tests := []struct {
		name       string
		do         func(context.Context, string) error
		wantStatus int
		wantBody   string
		// after the answer, a redelivery of the same ID is processed again (failed)
		// or answered as a duplicate (done, or still running)
		redeliveryRuns bool
	}{
		{"succeeded", nil, 200, "processed", false},
		{"failed", func(context.Context, string) error { return fmt.Errorf("GitHub said 502") }, 500, "redelivered", true},
		{"panicked", func(context.Context, string) error { panic("bad payload") }, 500, "redelivered", true},
		{"past the acknowledgement timeout", func(ctx context.Context, _ string) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}, 202, "still processing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{events: []string{"issues"}, do: tt.do}
			a := startApp(t, appOptions{
				configure: func(c *configT) { c.Server.AckTimeout = 200 * time.Millisecond },
				opts:      []Option{WithHandlers(h)},
			})
			status, body := a.deliver("issues", "answer", labeled)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("status %d %q, want %d %q", status, body, tt.wantStatus, tt.wantBody)
			}
			h.setDo(nil)
			status, _ = a.deliver("issues", "answer", labeled)
			if ran := h.count() == 2; ran != tt.redeliveryRuns {
				t.Errorf("redelivery: status %d, handler ran %d times", status, h.count())
			}
		})
	}
	close(release)
}

func TestSignedBodyReplayedUnderANewDeliveryIDDoesNoWork(t *testing.T) {
	h := &recorder{events: []string{"issues"}}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	for i, id := range []string{"original", "replay-1", "replay-2"} {
		want := 202
		if i == 0 {
			want = 200
		}
		if status, body := a.deliver("issues", id, labeled); status != want {
			t.Fatalf("%s: %d %s", id, status, body)
		}
	}
	if h.count() != 1 {
		t.Errorf("handler ran %d times for one body", h.count())
	}
	if got := a.delivered("issues", "labeled", outcomeDuplicate); got != 2 {
		t.Errorf("duplicates = %v, want 2", got)
	}
}

func TestScanActionReadsOnlyTheTopLevelAction(t *testing.T) {
	tests := []struct {
		body   string
		action string
		ok     bool
	}{
		{`{"action":"created","starred_at":"x"}`, "created", true},
		{`{"zen":"x","hook":{"action":"nested"},"action":"later"}`, "later", true},
		{`{"sender":{"login":"a"},"list":[1,{"action":"no"}],"n":1.5,"b":true,"z":null}`, "", true},
		{`{"action":42}`, "", true},
		{`{}`, "", true},
		{`[1,2]`, "", false},
		{`labeled=yes`, "", false},
		{``, "", false},
		{`{"a":}`, "", false},
	}
	for _, tt := range tests {
		action, ok := scanAction([]byte(tt.body))
		if action != tt.action || ok != tt.ok {
			t.Errorf("scanAction(%s) = %q, %v; want %q, %v", tt.body, action, ok, tt.action, tt.ok)
		}
	}
}

func TestNameChecksMatchGitHubsShapes(t *testing.T) {
	for _, tt := range []struct {
		s          string
		name, guid bool
	}{
		{"pull_request", true, true},
		{"Issues!", false, false},
		{"", false, false},
		{strings.Repeat("a", 65), false, true},
		{"72d3162e-cc78-11e3-81ab-4c9367dc0958", false, true},
		{"a b", false, false},
		{strings.Repeat("x", 129), false, false},
	} {
		if got := validName(tt.s); got != tt.name {
			t.Errorf("validName(%q) = %v", tt.s, got)
		}
		if got := validDeliveryID(tt.s); got != tt.guid {
			t.Errorf("validDeliveryID(%q) = %v", tt.s, got)
		}
	}
}

// FuzzScanAction holds the hand-written scan to encoding/json: for every JSON
// object, it finds the same top-level action, and it never panics.
func FuzzScanAction(f *testing.F) {
	for _, seed := range []string{`{"action":"created","starred_at":"x"}`, `{"zen":"x","hook":{"action":"nested"},"action":"later"}`,
		`{"sender":{"login":"a"},"list":[1,{"action":"no"}],"n":-1.5e3,"b":true,"z":null}`, `{"a":"\"}","action":"q"}`, `[1]`, `{`, `{"a":[[[`, "{\"action\":\"\x86\"}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		action, ok := scanAction(body)
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return
		}
		if !ok {
			t.Fatalf("a JSON object was not recognised: %q", body)
		}
		var want string
		if raw, found := m["action"]; found && json.Unmarshal(raw, &want) == nil && !strings.Contains(string(raw), `\`) {
			if action != want && !hasDuplicateKey(body) {
				t.Fatalf("action %q, encoding/json reads %q in %q", action, want, body)
			}
		}
	})
}

// hasDuplicateKey: encoding/json keeps the last of repeated keys, the scan the
// first; GitHub never repeats a key.
func hasDuplicateKey(body []byte) bool {
	return strings.Count(string(body), `"action"`) > 1
}

// A redelivery that arrives while the original's job runs gets the original's
// outcome instead of an OK that would close it in GitHub's log: it runs once
// the original fails, is a duplicate once it succeeds, and is answered as not
// done (so redelivered later) while the original outlives the acknowledgement.
func TestRedeliveryRacingItsOriginalWaitsForTheOutcome(t *testing.T) {
	tests := []struct {
		name         string
		outcome      error // what the original's job returns once released
		release      bool
		wantStatus   int
		wantRuns     int
		wantOriginal int
	}{
		{"original fails: the redelivery runs it", fmt.Errorf("GitHub said 502"), true, 200, 2, 500},
		{"original succeeds: a duplicate", nil, true, 202, 1, 200},
		{"original still running: not OK yet", nil, false, 503, 1, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := make(chan struct{})
			first := true
			var mu sync.Mutex
			h := &recorder{events: []string{"issues"}, do: func(ctx context.Context, _ string) error {
				mu.Lock()
				isFirst := first
				first = false
				mu.Unlock()
				if !isFirst {
					return nil
				}
				select {
				case <-gate:
				case <-ctx.Done():
				}
				return tt.outcome
			}}
			a := startApp(t, appOptions{
				configure: func(c *configT) { c.Server.AckTimeout = 2 * time.Second },
				opts:      []Option{WithHandlers(h)},
			})
			original := make(chan int, 1)
			go func() {
				status, _ := a.deliver("issues", "raced", labeled)
				original <- status
			}()
			eventually(t, "the original's job", func() bool { return h.count() == 1 })
			redelivered := make(chan int, 1)
			go func() {
				status, _ := a.deliver("issues", "raced", labeled)
				redelivered <- status
			}()
			if tt.release {
				// Give the redelivery time to find the original in progress; its
				// answer is the same if it comes later.
				time.Sleep(100 * time.Millisecond)
				close(gate)
			}
			if got := <-redelivered; got != tt.wantStatus {
				t.Errorf("redelivery answered %d, want %d", got, tt.wantStatus)
			}
			if got := <-original; got != tt.wantOriginal {
				t.Errorf("original answered %d, want %d", got, tt.wantOriginal)
			}
			if !tt.release {
				close(gate)
			}
			eventually(t, "the jobs", func() bool { return h.count() == tt.wantRuns })
			if err := a.stop(); err != nil {
				t.Fatal(err)
			}
			if h.count() != tt.wantRuns {
				t.Errorf("handler ran %d times, want %d", h.count(), tt.wantRuns)
			}
		})
	}
}

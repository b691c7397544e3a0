package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secwg/secwg/internal/coord"
)

func TestHandlerPanicIsRecoveredLoggedAndCounted(t *testing.T) {
	h := &recorder{events: []string{"issues"}, do: func(context.Context, string) error { panic("boom in handler") }}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	// The failure shows in GitHub's delivery log, so the delivery is redelivered.
	if s, _ := a.deliver("issues", "p1", labeled); s != 500 {
		t.Fatalf("status %d, want 500", s)
	}
	// The count and the log line are written one after the other; wait for both.
	eventually(t, "the panic to be counted and logged", func() bool {
		return testutil.ToFloat64(a.server.metrics.HandlerPanics.WithLabelValues("issues")) == 1 &&
			strings.Contains(a.logs.String(), "webhook handler panicked")
	})
	logs := a.logs.String()
	for _, want := range []string{"webhook handler panicked", "boom in handler", "queue_test.go", `"github_delivery_id":"p1"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	// The worker survived: the next delivery runs, and the server stays healthy.
	h.setDo(nil)
	a.deliver("issues", "p2", labeled)
	eventually(t, "the next job", func() bool { return h.count() == 2 })
	if s, _ := a.get(HealthRoute); s != 200 {
		t.Errorf("healthz %d", s)
	}
}

func TestJobsGetTheirOwnDeadline(t *testing.T) {
	got := make(chan time.Duration, 1)
	h := &recorder{events: []string{"issues"}, do: func(ctx context.Context, _ string) error {
		d, ok := ctx.Deadline()
		if !ok {
			got <- 0
			return nil
		}
		got <- time.Until(d)
		<-ctx.Done()
		return ctx.Err()
	}}
	a := startApp(t, appOptions{
		configure: func(c *configT) { c.Server.JobTimeout = 300 * time.Millisecond },
		opts:      []Option{WithHandlers(h)},
	})
	a.deliver("issues", "slow", labeled)
	if left := <-got; left <= 0 || left > 300*time.Millisecond {
		t.Fatalf("job deadline %v away, want within the 300ms job timeout", left)
	}
	eventually(t, "the timeout to be recorded", func() bool {
		return testutil.CollectAndCount(a.server.metrics.HandlerDuration) == 1 &&
			strings.Contains(a.logs.String(), "context deadline exceeded")
	})
}

func TestJobLoggerCarriesTheDeliveryFields(t *testing.T) {
	h := &recorder{events: []string{"issues"}, do: func(ctx context.Context, _ string) error {
		return errors.New("marker-error")
	}}
	a := startApp(t, appOptions{opts: []Option{WithHandlers(h)}})
	a.deliver("issues", "fields-1", labeled)
	eventually(t, "the error line", func() bool { return strings.Contains(a.logs.String(), "marker-error") })
	var line string
	for _, l := range strings.Split(a.logs.String(), "\n") {
		if strings.Contains(l, "marker-error") {
			line = l
		}
	}
	for _, want := range []string{`"github_event_type":"issues"`, `"github_delivery_id":"fields-1"`, `"github_event_action":"labeled"`,
		`"github_installation_id":42`, `"github_repository":"nodejs/node"`, `"github_number":7`} {
		if !strings.Contains(line, want) {
			t.Errorf("job log line lacks %s: %s", want, line)
		}
	}
}

func TestShutdownDrainsQueuedAndRunningJobs(t *testing.T) {
	started := make(chan struct{}, 8)
	h := &recorder{events: []string{"issues"}, do: func(context.Context, string) error {
		started <- struct{}{}
		time.Sleep(200 * time.Millisecond)
		return nil
	}}
	a := startApp(t, appOptions{
		// A short acknowledgement timeout leaves the jobs queued when the answers go.
		configure: func(c *configT) { c.Server.Workers, c.Server.AckTimeout = 1, time.Millisecond },
		opts:      []Option{WithHandlers(h)},
	})
	for _, id := range []string{"s1", "s2", "s3"} {
		if s, body := a.deliver("issues", id, labeledAs(id)); s != 202 || !strings.Contains(body, "still processing") {
			t.Fatalf("%s: %d %s", id, s, body)
		}
	}
	<-started
	if err := a.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if h.count() != 3 {
		t.Errorf("%d of 3 jobs finished before shutdown returned", h.count())
	}
	if !strings.Contains(a.logs.String(), "shutdown complete") {
		t.Error("no shutdown line")
	}
}

func TestShutdownLogsWhatCouldNotFinish(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	h := &recorder{events: []string{"issues"}, do: func(ctx context.Context, _ string) error {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return ctx.Err()
	}}
	a := startApp(t, appOptions{
		configure: func(c *configT) {
			c.Server.Workers, c.Server.ShutdownTimeout, c.Server.AckTimeout = 1, 200*time.Millisecond, time.Millisecond
		},
		opts: []Option{WithHandlers(h)},
	})
	a.deliver("issues", "stuck-running", labeledAs("stuck-running"))
	eventually(t, "the job to start", func() bool { return h.count() == 1 })
	a.deliver("issues", "stuck-queued", labeledAs("stuck-queued"))
	err := a.stop()
	if err == nil || !strings.Contains(err.Error(), "2 webhook jobs") {
		t.Fatalf("shutdown error = %v", err)
	}
	logs := a.logs.String()
	for _, want := range []string{`"github_delivery_id":"stuck-running","github_event_type":"issues","state":"running"`,
		`"github_delivery_id":"stuck-queued","github_event_type":"issues","state":"queued"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	// The listener is closed: nothing new is accepted.
	if _, err := httpGet(a.url + HealthRoute); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestNewDeliveriesAfterDrainBeginsAreRefused(t *testing.T) {
	q := NewQueue(4, 1, time.Second, newTestMetrics(), nopLogger())
	if err := q.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Submit(testJob("late")); err == nil {
		t.Error("a drained queue accepted a job")
	}
}

func TestSameBodyUnderANewDeliveryIDIsADuplicate(t *testing.T) {
	m := coord.NewMemory(coord.Options{})
	ctx := context.Background()
	body := sha256.Sum256([]byte(labeled))
	if ok, _ := m.Begin(ctx, "first", body); !ok {
		t.Fatal("first delivery refused")
	}
	if ok, _ := m.Begin(ctx, "replayed-with-a-new-id", body); ok {
		t.Error("the same body under a new ID was taken as new")
	}
	if ok, _ := m.Begin(ctx, "first", sha256.Sum256([]byte("other"))); ok {
		t.Error("the same ID with another body was taken as new")
	}
}

package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/redistest"
)

// sideEffects is a handler whose every run is a side effect, counted per delivery.
type sideEffects struct {
	mu   sync.Mutex
	runs map[string]int
	fail func(id string) error // nil: every run succeeds
}

func (s *sideEffects) Handles() []string { return []string{"issues"} }

func (s *sideEffects) Handle(_ context.Context, _, id string, _ []byte) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(id); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[id]++
	return nil
}

func (s *sideEffects) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.runs))
	for k, v := range s.runs {
		out[k] = v
	}
	return out
}

func TestThreeReplicasOnOneRedisRunEachDeliveryOnce(t *testing.T) {
	redis := redistest.Start(t)
	effects := &sideEffects{runs: map[string]int{}}
	var replicas []*app
	for range 3 {
		replicas = append(replicas, startApp(t, appOptions{
			opts:      []Option{WithHandlers(effects)},
			configure: func(c *configT) { c.Redis.URL = redis.URL(); c.Server.Workers = 4 },
		}))
	}
	type send struct{ replica, n int }
	var sends []send
	for n := range 100 {
		for range 2 {
			sends = append(sends, send{rand.IntN(3), n})
		}
	}
	rand.Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })
	var next atomic.Int64
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(sends); i = int(next.Add(1)) - 1 {
				s := sends[i]
				id := fmt.Sprintf("replicated-%03d", s.n)
				if status, body := replicas[s.replica].deliver("issues", id, labeledAs(id)); status != 200 && status != 202 {
					t.Errorf("%s on replica %d: %d %s", id, s.replica, status, body)
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	runs := effects.snapshot()
	if len(runs) != 100 {
		t.Errorf("%d of 100 deliveries ran", len(runs))
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times", id, n)
		}
	}
	var duplicates float64
	for _, r := range replicas {
		duplicates += r.delivered("issues", "labeled", outcomeDuplicate)
	}
	if duplicates != 100 {
		t.Errorf("%v duplicates answered, want 100", duplicates)
	}
}

// redeliveringApp is one replica whose fake GitHub keeps the App's delivery log
// and delivers as GitHub does, with the redelivery loop running often.
func redeliveringApp(t *testing.T, effects *sideEffects, configure func(*configT)) (*app, *githubtest.Sender) {
	t.Helper()
	var sender *githubtest.Sender
	var url atomic.Pointer[string]
	a := startApp(t, appOptions{
		opts: []Option{WithHandlers(effects)},
		github: func(gh *githubtest.Server) {
			sender = gh.Sender([]byte(testSecret), func() string { return *url.Load() + WebhookRoute })
			installationsReply(gh)
		},
		configure: func(c *configT) {
			c.Redelivery.Interval, c.Redelivery.Window, c.Redelivery.MaxAttempts = 100*time.Millisecond, time.Hour, 10
			if configure != nil {
				configure(c)
			}
		},
	})
	url.Store(&a.url)
	return a, sender
}

// allDelivered waits until every GUID's latest attempt in the App's delivery
// log is OK, as GitHub's would show.
func allDelivered(t *testing.T, sender *githubtest.Sender, want int) {
	t.Helper()
	eventually(t, "every delivery to end OK in the delivery log", func() bool {
		latest := sender.Latest()
		if len(latest) != want {
			return false
		}
		for _, d := range latest {
			if d.Status != "OK" {
				return false
			}
		}
		return true
	})
}

func TestFailedDeliveriesAreRedeliveredUntilTheyAreProcessed(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	effects := &sideEffects{runs: map[string]int{}, fail: func(string) error {
		if down.Load() {
			return fmt.Errorf("GitHub is down")
		}
		return nil
	}}
	a, sender := redeliveringApp(t, effects, nil)
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	for i := range 10 {
		id := fmt.Sprintf("outage-%d", i)
		if code := sender.Deliver("issues", id, []byte(labeledAs(id))); code != 500 {
			t.Fatalf("%s answered %d during the outage, want 500", id, code)
		}
	}
	// Ignored events are never redelivered, failed or not.
	sender.Deliver("star", "ignored-star", []byte(`{"action":"created","installation":{"id":1}}`))
	down.Store(false)
	allDelivered(t, sender, 11)
	runs := effects.snapshot()
	for i := range 10 {
		if n := runs[fmt.Sprintf("outage-%d", i)]; n != 1 {
			t.Errorf("outage-%d processed %d times", i, n)
		}
	}
	for _, d := range sender.Log().Redelivered() {
		if d.Event == "star" {
			t.Error("an ignored delivery was redelivered")
		}
	}
	_, page := a.getAdmin("/")
	if !strings.Contains(page, "redeliveries asked") {
		t.Error("the status page does not show the redelivery loop")
	}
}

func TestRedisRestartedMidRunLosesNothingAndRepeatsNothing(t *testing.T) {
	redis := redistest.Start(t, redistest.AppendOnly())
	effects := &sideEffects{runs: map[string]int{}}
	a, sender := redeliveringApp(t, effects, func(c *configT) { c.Redis.URL = redis.URL() })
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	deliver := func(from, to int) {
		for i := from; i < to; i++ {
			id := fmt.Sprintf("restart-%02d", i)
			sender.Deliver("issues", id, []byte(labeledAs(id)))
			// Every delivery is also repeated, as a redelivery by hand would be.
			sender.Deliver("issues", id, []byte(labeledAs(id)))
		}
	}
	deliver(0, 20)
	restarted := make(chan struct{})
	go func() { redis.Restart(); close(restarted) }()
	deliver(20, 40)
	<-restarted
	deliver(40, 60)
	allDelivered(t, sender, 60)
	runs := effects.snapshot()
	for i := range 60 {
		if n := runs[fmt.Sprintf("restart-%02d", i)]; n != 1 {
			t.Errorf("restart-%02d processed %d times", i, n)
		}
	}
	eventually(t, "readiness after the restart", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
}

func TestUnreachableRedisMeansNotReadyAndNoProcessing(t *testing.T) {
	redis := redistest.Start(t)
	effects := &sideEffects{runs: map[string]int{}}
	a := startApp(t, appOptions{
		opts:      []Option{WithHandlers(effects)},
		configure: func(c *configT) { c.Redis.URL = redis.URL() },
	})
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	redis.Stop()
	eventually(t, "/readyz to say Redis does not answer", func() bool {
		s, body := a.get(ReadyRoute)
		return s == 503 && strings.Contains(body, "Redis")
	})
	status, body := a.deliver("issues", "no-redis", labeledAs("no-redis"))
	if status != 503 || !strings.Contains(body, "redelivered") {
		t.Errorf("delivery without Redis: %d %q", status, body)
	}
	if len(effects.snapshot()) != 0 {
		t.Error("a delivery ran without dedup")
	}
	if got := a.delivered("issues", "labeled", outcomeUnavailable); got != 1 {
		t.Errorf("store_unavailable counted %v times", got)
	}
}

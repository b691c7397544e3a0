package coord

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// step is one call in a dedup scenario: begin/done/fail a delivery (id, body),
// or expire to let time pass. want is Begin's result.
type step struct {
	op       string
	id, body string
	want     bool
}

func TestDeliveryDedup(t *testing.T) {
	// Long enough that no step of a loaded machine outlasts it, except in the
	// scenario that waits for it.
	const processing, short = 10 * time.Second, 100 * time.Millisecond
	tests := []struct {
		name  string
		steps []step
		ttl   time.Duration // ProcessingTTL when not processing
	}{
		{"new delivery starts", []step{{"begin", "a", "A", true}}, 0},
		{"delivery processing is refused", []step{{"begin", "a", "A", true}, {"begin", "a", "A", false}}, 0},
		{"same id other body is refused", []step{{"begin", "a", "A", true}, {"begin", "a", "B", false}}, 0},
		{"same body other id is refused", []step{{"begin", "a", "A", true}, {"begin", "b", "A", false}}, 0},
		{"other delivery starts", []step{{"begin", "a", "A", true}, {"begin", "b", "B", true}}, 0},
		{"done delivery is refused", []step{{"begin", "a", "A", true}, {"done", "a", "A", false}, {"begin", "a", "A", false}}, 0},
		{"done body under a new id is refused", []step{{"begin", "a", "A", true}, {"done", "a", "A", false}, {"begin", "b", "A", false}}, 0},
		{"failed delivery runs again", []step{{"begin", "a", "A", true}, {"fail", "a", "A", false}, {"begin", "a", "A", true}}, 0},
		{"fail does not forget a done delivery", []step{{"begin", "a", "A", true}, {"done", "a", "A", false}, {"fail", "a", "A", false}, {"begin", "a", "A", false}}, 0},
		{"processing expires so a redelivery runs after a crash", []step{{"begin", "a", "A", true}, {"expire", "", "", false}, {"begin", "a", "A", true}}, short},
		{"empty id dedups by body", []step{{"begin", "", "A", true}, {"begin", "", "A", false}, {"begin", "c", "A", false}}, 0},
	}
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ttl := cmp.Or(tt.ttl, processing)
				s := env.replica(t, Options{ProcessingTTL: ttl, Prefix: fmt.Sprintf("t%d:", i)})
				ctx := ctxT(t)
				for n, st := range tt.steps {
					id, body := st.id, hash(st.body)
					switch st.op {
					case "begin":
						if st.want {
							// After an expiry the key may take a moment to go in real time.
							eventually(t, fmt.Sprintf("step %d: Begin(%q) starts", n, st.id), func() bool {
								ok, err := s.Begin(ctx, id, body)
								if err != nil {
									t.Fatal(err)
								}
								return ok
							})
							continue
						}
						ok, err := s.Begin(ctx, id, body)
						if err != nil || ok {
							t.Fatalf("step %d: Begin(%q) = %v, %v; want false", n, st.id, ok, err)
						}
					case "done":
						if err := s.Done(ctx, id, body); err != nil {
							t.Fatal(err)
						}
					case "fail":
						if err := s.Fail(ctx, id, body); err != nil {
							t.Fatal(err)
						}
					case "expire":
						env.pass(ttl)
					}
				}
			})
		}
	})
}

// A done delivery stays refused for the whole DoneTTL, well past ProcessingTTL,
// and only then is forgotten.
func TestDoneLastsDoneTTL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		const processing, done = 50 * time.Millisecond, 2 * time.Second
		s := env.replica(t, Options{ProcessingTTL: processing, DoneTTL: done})
		ctx := ctxT(t)
		start := time.Now()
		if ok, err := s.Begin(ctx, "d", hash("D")); !ok || err != nil {
			t.Fatalf("Begin = %v, %v", ok, err)
		}
		if err := s.Done(ctx, "d", hash("D")); err != nil {
			t.Fatal(err)
		}
		env.pass(4 * processing)
		if !env.realTTL {
			env.pass(done)
		}
		for {
			ok, err := s.Begin(ctx, "d", hash("D"))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if env.realTTL && time.Since(start) < done {
			t.Fatalf("done delivery forgotten after %s, before DoneTTL %s", time.Since(start), done)
		}
	})
}

// Three replicas receive the same 100 deliveries twice each, in random order:
// each delivery starts exactly once.
func TestReplicasStartEachDeliveryOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		ctx := ctxT(t)
		replicas := []*Store{env.replica(t, Options{}), env.replica(t, Options{}), env.replica(t, Options{})}
		type delivery struct{ id, body string }
		var all []delivery
		for i := range 100 {
			d := delivery{fmt.Sprintf("guid-%d", i), fmt.Sprintf(`{"n":%d}`, i)}
			all = append(all, d, d)
		}
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		var started [100]atomic.Int32
		var wg sync.WaitGroup
		for i, d := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := replicas[i%3].Begin(ctx, d.id, hash(d.body))
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					var n int
					fmt.Sscanf(strings.TrimPrefix(d.id, "guid-"), "%d", &n)
					started[n].Add(1)
				}
			}()
		}
		wg.Wait()
		for i := range started {
			if got := started[i].Load(); got != 1 {
				t.Errorf("delivery %d started %d times, want 1", i, got)
			}
		}
	})
}

func TestPingAnswers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		if err := env.replica(t, Options{}).Ping(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
}

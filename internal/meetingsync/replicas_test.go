package meetingsync

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secwg/secwg/internal/coord"
	"github.com/secwg/secwg/internal/redistest"
)

// Three replicas run the sync of one group at the same moment: with a shared
// lock they create one meeting issue, not three.
func TestReplicasSharingALockCreateOneMeetingIssue(t *testing.T) {
	tests := []struct {
		name  string
		store func(t *testing.T) func() *coord.Store // a Store per replica
	}{
		{"memory", func(t *testing.T) func() *coord.Store {
			s := coord.NewMemory(coord.Options{})
			return func() *coord.Store { return s }
		}},
		{"redis", func(t *testing.T) func() *coord.Store {
			srv := redistest.Start(t)
			return func() *coord.Store {
				s := coord.NewRedis(redis.NewClient(&redis.Options{Addr: srv.Addr()}), coord.Options{})
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, leadTimeAt)
			replica := tt.store(t)
			var svcs []*Service
			for range 3 {
				svcs = append(svcs, e.newService(WithLocker(replica())))
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, s := range svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if err := s.Sync(ctx(), e.clock.Now(), false, nil); err != nil {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			e.onlyMeetingIssue()
		})
	}
}

// sync_interval: 0 turns the in-server loop off: Run returns at once, having
// made no pass.
func TestRunWithZeroIntervalMakesNoPass(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.cfg.SyncOff = true
	ctx, cancel := context.WithCancel(ctx())
	defer cancel()
	if n := e.calls(func() {
		if err := e.svc.Run(ctx); err != nil {
			t.Fatalf("Run = %v, want nil at once", err)
		}
	}); n != 0 {
		t.Fatalf("Run made %d API calls with the loop off", n)
	}
}

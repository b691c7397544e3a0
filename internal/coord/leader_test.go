package coord

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Three replicas contend for one lease: exactly one runs at a time, and when the
// leader stops another takes over, until each has led.
func TestExactlyOneLeaderAtATime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		// Long enough that a loaded machine does not starve a renewal past it.
		const ttl = 900 * time.Millisecond
		var running, most atomic.Int32
		var leader atomic.Int32 // index+1 of the replica running fn, 0 when none
		cancels := make([]context.CancelFunc, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			s := env.replica(t, Options{})
			ctx, cancel := context.WithCancel(ctxT(t))
			cancels[i] = cancel
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.RunAsLeader(ctx, "sync", ttl, func(ctx context.Context) error {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					leader.Store(int32(i + 1))
					<-ctx.Done()
					leader.CompareAndSwap(int32(i+1), 0)
					running.Add(-1)
					return ctx.Err()
				})
			}()
		}
		led := map[int32]bool{}
		for range 3 {
			eventually(t, "a replica leads", func() bool { return leader.Load() != 0 })
			l := leader.Load()
			if led[l] {
				t.Fatalf("replica %d led twice", l)
			}
			led[l] = true
			cancels[l-1]()
			eventually(t, "the leader stops", func() bool { return leader.Load() != l })
		}
		wg.Wait()
		if most.Load() != 1 {
			t.Fatalf("%d leaders ran at once", most.Load())
		}
	})
}

// A lease taken away cancels the leader's function with ErrLockLost; the
// replica then contends again and leads anew.
func TestLostLeaseCancelsAndRecontends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		const ttl = 150 * time.Millisecond
		s := env.replica(t, Options{})
		ctx, cancel := context.WithCancel(ctxT(t))
		var starts atomic.Int32
		causes := make(chan error, 4)
		result := make(chan error, 1)
		go func() {
			result <- s.RunAsLeader(ctx, "sync", ttl, func(ctx context.Context) error {
				starts.Add(1)
				<-ctx.Done()
				causes <- context.Cause(ctx)
				return nil
			})
		}()
		eventually(t, "the replica leads", func() bool { return starts.Load() == 1 })
		env.steal(t, s.opts.Prefix+"leader:sync")
		if cause := <-causes; !errors.Is(cause, ErrLockLost) {
			t.Fatalf("leader's context ended with %v, want ErrLockLost", cause)
		}
		eventually(t, "the replica leads again", func() bool { return starts.Load() == 2 })
		cancel()
		if err := <-result; !errors.Is(err, context.Canceled) {
			t.Fatalf("RunAsLeader = %v, want context.Canceled", err)
		}
	})
}

// A leader whose function returns by itself gives the lease up at once and
// RunAsLeader returns the function's error.
func TestLeaderReturningReleasesLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		ctx := ctxT(t)
		a, b := env.replica(t, Options{}), env.replica(t, Options{})
		boom := errors.New("boom")
		if err := a.RunAsLeader(ctx, "sync", time.Minute, func(context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("RunAsLeader = %v, want the function's error", err)
		}
		ran := false
		if err := b.RunAsLeader(ctx, "sync", time.Minute, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("second leader: ran %v, err %v", ran, err)
		}
	})
}

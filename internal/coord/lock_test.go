package coord

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockIsHeldByOneAndReleasedOnlyByItsHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		ctx := ctxT(t)
		a, b := env.replica(t, Options{}), env.replica(t, Options{})
		_, unlock, ok, err := a.TryLock(ctx, "group")
		if err != nil || !ok {
			t.Fatalf("first TryLock = %v, %v", ok, err)
		}
		if _, _, ok, err := b.TryLock(ctx, "group"); err != nil || ok {
			t.Fatalf("second TryLock while held = %v, %v; want false", ok, err)
		}
		// A release with another token (a holder whose lock expired and passed on)
		// leaves the lock alone.
		if err := b.b.release(ctx, b.opts.Prefix+"lock:group", newToken()); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := b.TryLock(ctx, "group"); ok {
			t.Fatal("a release by a non-holder freed the lock")
		}
		if _, _, ok, _ := b.TryLock(ctx, "other"); !ok {
			t.Fatal("a lock on another name was refused")
		}
		unlock()
		unlock() // idempotent
		_, unlockB, ok, err := b.TryLock(ctx, "group")
		if err != nil || !ok {
			t.Fatalf("TryLock after unlock = %v, %v", ok, err)
		}
		unlockB()
	})
}

func TestLockWaitsForTheHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		ctx := ctxT(t)
		a, b := env.replica(t, Options{}), env.replica(t, Options{})
		_, unlock, err := a.Lock(ctx, "group")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		var acquired atomic.Bool
		go func() {
			_, unlockB, err := b.Lock(ctx, "group")
			if err == nil {
				acquired.Store(true)
				unlockB()
			}
			got <- err
		}()
		// Give the waiter a few polls; it must not get the lock while a holds it.
		time.Sleep(50 * time.Millisecond)
		if acquired.Load() {
			t.Fatal("Lock returned while another holder had the lock")
		}
		unlock()
		if err := <-got; err != nil {
			t.Fatalf("waiting Lock: %v", err)
		}
	})
}

func TestLockWaitEndsWithContext(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		a, b := env.replica(t, Options{}), env.replica(t, Options{})
		_, unlock, err := a.Lock(ctxT(t), "group")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		ctx, cancel := context.WithTimeout(ctxT(t), 30*time.Millisecond)
		defer cancel()
		if _, _, err := b.Lock(ctx, "group"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock on a held name with an ending context = %v, want DeadlineExceeded", err)
		}
	})
}

// Many goroutines on several replicas increment a counter under the lock; none
// ever sees another inside.
func TestLockExcludesAcrossReplicas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		ctx := ctxT(t)
		replicas := []*Store{env.replica(t, Options{}), env.replica(t, Options{}), env.replica(t, Options{})}
		var inside, most, total atomic.Int32
		var wg sync.WaitGroup
		for i := range 9 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					_, unlock, err := replicas[i%3].Lock(ctx, "counter")
					if err != nil {
						t.Error(err)
						return
					}
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(time.Millisecond)
					total.Add(1)
					inside.Add(-1)
					unlock()
				}
			}()
		}
		wg.Wait()
		if most.Load() != 1 || total.Load() != 45 {
			t.Fatalf("at most %d holders at once over %d sections; want 1 over 45", most.Load(), total.Load())
		}
	})
}

// A holder keeps its lock past LockTTL by renewing it.
func TestLockIsRenewedWhileHeld(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		if !env.realTTL {
			t.Skip("keys expire only through FastForward here")
		}
		// Renewals every ttl/3 must be starved for ttl/3 before the key expires.
		const ttl = 600 * time.Millisecond
		ctx := ctxT(t)
		a, b := env.replica(t, Options{LockTTL: ttl}), env.replica(t, Options{LockTTL: ttl})
		held, unlock, err := a.Lock(ctx, "group")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		time.Sleep(3 * ttl) // an unrenewed key would have expired three times over
		if _, _, ok, _ := b.TryLock(ctx, "group"); ok {
			t.Fatal("another replica took a lock that its holder was renewing")
		}
		if held.Err() != nil {
			t.Fatalf("held context ended: %v", context.Cause(held))
		}
	})
}

// A holder that stops renewing (it crashed) gives the lock up after LockTTL.
func TestAbandonedLockExpires(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		const ttl = 100 * time.Millisecond
		ctx := ctxT(t)
		s := env.replica(t, Options{LockTTL: ttl})
		if ok, err := s.b.acquire(ctx, s.opts.Prefix+"lock:group", "crashed", ttl); !ok || err != nil {
			t.Fatalf("acquire = %v, %v", ok, err)
		}
		env.pass(ttl)
		_, unlock, err := s.Lock(ctx, "group")
		if err != nil {
			t.Fatal(err)
		}
		unlock()
	})
}

// When the lock is taken away (Redis restarted, key deleted), the holder's
// context is cancelled with ErrLockLost at its next renewal.
func TestLostLockCancelsHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env backendEnv) {
		const ttl = 150 * time.Millisecond
		s := env.replica(t, Options{LockTTL: ttl})
		held, unlock, err := s.Lock(ctxT(t), "group")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		env.steal(t, s.opts.Prefix+"lock:group")
		waitLost(t, held)
	})
}

// waitLost waits until held ends, and fails unless it ended with ErrLockLost.
func waitLost(t *testing.T, held context.Context) {
	t.Helper()
	select {
	case <-held.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("holder not told that its lock was lost")
	}
	if !errors.Is(context.Cause(held), ErrLockLost) {
		t.Fatalf("cause = %v, want ErrLockLost", context.Cause(held))
	}
}

// scriptedExtends is a memory backend whose extends answer by a script: "ok"
// extends, "fail" errs at once, "hang" answers only when its context ends. It
// records when each acquire and extend was called and each extend's deadline.
type scriptedExtends struct {
	*memory
	script []string

	mu        sync.Mutex
	calls     []time.Time // acquire first, then every extend
	deadlines []time.Time // of the extends, zero when none
}

var errStoreDown = errors.New("store down")

func (b *scriptedExtends) acquire(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	b.mu.Lock()
	b.calls = append(b.calls, time.Now())
	b.mu.Unlock()
	return b.memory.acquire(ctx, key, token, ttl)
}

func (b *scriptedExtends) extend(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	deadline, _ := ctx.Deadline()
	b.mu.Lock()
	b.calls = append(b.calls, time.Now())
	b.deadlines = append(b.deadlines, deadline)
	step := "hang"
	if n := len(b.deadlines); n <= len(b.script) {
		step = b.script[n-1]
	}
	b.mu.Unlock()
	switch step {
	case "ok":
		return b.memory.extend(ctx, key, token, ttl)
	case "fail":
		return false, errStoreDown
	}
	<-ctx.Done()
	return false, ctx.Err()
}

// A holder whose store stops answering is told its lock is lost within 2/3 ttl
// of when the last successful command was sent, when the store started the
// key's ttl: every extend must answer by then, and a failed one is tried again
// before then.
func TestLockLossIsDeclaredBeforeTheKeyExpires(t *testing.T) {
	const ttl = 300 * time.Millisecond
	tests := []struct {
		name   string
		script []string // the extends' answers; the last one hangs
	}{
		{"fails once then hangs", []string{"fail", "hang"}},
		{"renews, fails once, then hangs", []string{"ok", "fail", "hang"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &scriptedExtends{memory: newMemory(DefaultMemoryBudget, time.Now), script: tt.script}
			s := &Store{b: b, opts: Options{LockTTL: ttl}.withDefaults(), kind: "scripted"}
			held, unlock, err := s.Lock(ctxT(t), "group")
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			waitLost(t, held)
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.deadlines) != len(tt.script) {
				t.Fatalf("%d extends, want %d: the failed one tried again before the loss", len(b.deadlines), len(tt.script))
			}
			lastOK := b.calls[countOK(tt.script)] // the acquire, or the last successful extend
			expires := lastOK.Add(2 * ttl / 3)
			for i, d := range b.deadlines {
				if d.IsZero() || d.After(expires) {
					t.Errorf("extend %d (%s) may answer until %v after the last success was sent, want at most 2/3 ttl %v",
						i+1, tt.script[i], d.Sub(lastOK), 2*ttl/3)
				}
			}
		})
	}
}

// countOK is how many extends of script succeed; they lead it.
func countOK(script []string) int {
	n := 0
	for n < len(script) && script[n] == "ok" {
		n++
	}
	return n
}

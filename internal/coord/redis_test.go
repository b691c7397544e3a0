package coord

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/redistest"
)

// Redis restarted mid-run: the lock holder learns its lock is gone, and the
// store works again once Redis is back, without a new client.
func TestRedisRestartLosesLockThenRecovers(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv.Addr(), Options{LockTTL: 150 * time.Millisecond})
	ctx := ctxT(t)
	held, unlock, err := s.Lock(ctx, "group")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	srv.Restart()
	select {
	case <-held.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("holder not told that a restart lost its lock")
	}
	if !errors.Is(context.Cause(held), ErrLockLost) {
		t.Fatalf("cause = %v, want ErrLockLost", context.Cause(held))
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	if ok, err := s.Begin(ctx, "a", hash("A")); !ok || err != nil {
		t.Fatalf("Begin after restart = %v, %v", ok, err)
	}
}

// An unreachable Redis is an error, never a delivery reported as new.
func TestUnreachableRedisIsAnError(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv.Addr(), Options{})
	srv.Stop()
	ctx, cancel := context.WithTimeout(ctxT(t), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with Redis stopped")
	}
	if ok, err := s.Begin(ctx, "a", hash("A")); ok || err == nil {
		t.Fatalf("Begin with Redis stopped = %v, %v; want false and an error", ok, err)
	}
	if _, _, err := s.Lock(ctx, "group"); err == nil {
		t.Fatal("Lock succeeded with Redis stopped")
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		url, kind, err string
	}{
		{"", "memory", ""},
		{"redis://127.0.0.1:6379/0", "redis", ""},
		{"rediss://user:secret@redis.example:6380/1", "redis", ""},
		{"http://user:secret@redis.example", "", "SECWG_REDIS_URL"},
		{"redis://user:secret@[::1", "", "malformed URL"},
	}
	for _, tt := range tests {
		s, err := Open(tt.url, Options{})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("Open(%q) error = %v; want one naming %q without the password", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || s.Kind() != tt.kind {
			t.Errorf("Open(%q) = %v, %v; want a %s store", tt.url, s, err, tt.kind)
			continue
		}
		_ = s.Close()
	}
}

// Redis restarted under a leader: the leader stops (its lease is gone) and
// leads again once Redis is back; it never runs twice at once.
func TestRedisRestartStopsThenRestoresTheLeader(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv.Addr(), Options{})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var starts, running atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- s.RunAsLeader(ctx, "redeliver", 300*time.Millisecond, func(ctx context.Context) error {
			starts.Add(1)
			if running.Add(1) > 1 {
				t.Error("two runs at once")
			}
			<-ctx.Done()
			running.Add(-1)
			return nil
		})
	}()
	eventually(t, "the replica leads", func() bool { return starts.Load() == 1 })
	srv.Restart()
	eventually(t, "the replica leads again after the restart", func() bool { return starts.Load() == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunAsLeader = %v", err)
	}
}

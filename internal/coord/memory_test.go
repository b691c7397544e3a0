package coord

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secwg/secwg/internal/redistest"
)

// guid is a delivery ID shaped like GitHub's (36 characters).
func guid(i int) string { return fmt.Sprintf("%08x-0000-11eb-836d-0e4f3503ccbe", i) }

// The memory store stays within its byte budget by forgetting the oldest
// deliveries first; the newest are still refused.
func TestMemoryStoreKeepsToItsByteBudget(t *testing.T) {
	tests := []struct {
		name   string
		finish func(s *Store, id string, h [32]byte) error
	}{
		{"done deliveries", func(s *Store, id string, h [32]byte) error { return s.Done(context.Background(), id, h) }},
		{"processing deliveries", func(*Store, string, [32]byte) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perDelivery := 2*entryOverhead + int64(len("secwg:delivery:id:")+36+len("secwg:delivery:body:")+64)
			s := NewMemory(Options{MemoryBudget: 10 * perDelivery})
			ctx := context.Background()
			for i := range 100 {
				if ok, err := s.Begin(ctx, guid(i), hash(guid(i))); !ok || err != nil {
					t.Fatalf("Begin(%d) = %v, %v", i, ok, err)
				}
				if err := tt.finish(s, guid(i), hash(guid(i))); err != nil {
					t.Fatal(err)
				}
				if _, b := s.b.(*memory).size(); b > 10*perDelivery {
					t.Fatalf("after %d deliveries %d bytes held, budget %d", i+1, b, 10*perDelivery)
				}
			}
			if n, _ := s.b.(*memory).size(); n != 20 {
				t.Errorf("%d entries kept, want 20 (10 deliveries)", n)
			}
			if ok, _ := s.Begin(ctx, guid(99), hash(guid(99))); ok {
				t.Error("the newest delivery was forgotten")
			}
			if ok, _ := s.Begin(ctx, guid(0), hash(guid(0))); !ok {
				t.Error("the oldest delivery is still remembered past the budget")
			}
		})
	}
}

// Expired entries are dropped as new ones arrive, not kept until the budget fills.
func TestMemoryStoreDropsExpiredEntries(t *testing.T) {
	now := time.Unix(0, 0)
	m := newMemory(DefaultMemoryBudget, func() time.Time { return now })
	s := &Store{b: m, opts: Options{ProcessingTTL: time.Minute, DoneTTL: time.Hour}.withDefaults()}
	ctx := context.Background()
	for i := range 10 {
		_, _ = s.Begin(ctx, guid(i), hash(guid(i)))
	}
	now = now.Add(2 * time.Minute)
	_, _ = s.Begin(ctx, "new", hash("new"))
	if n, _ := m.size(); n != 2 {
		t.Fatalf("%d entries after the others expired, want 2", n)
	}
}

// BenchmarkMemoryBytesPerDelivery measures the heap one remembered delivery
// (ID and body hash, done) costs, against what the budget charges for it.
func BenchmarkMemoryBytesPerDelivery(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	ids := make([]string, n)
	hashes := make([][32]byte, n)
	for i := range n {
		ids[i], hashes[i] = guid(i), hash(guid(i))
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := NewMemory(Options{MemoryBudget: 1 << 40})
		for i := range n {
			_, _ = s.Begin(ctx, ids[i], hashes[i])
			_ = s.Done(ctx, ids[i], hashes[i])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		_, charged := s.b.(*memory).size()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/delivery")
		b.ReportMetric(float64(charged)/n, "charged-bytes/delivery")
		runtime.KeepAlive(s)
	}
}

// BenchmarkMemoryBeginDone is the cost of deduplicating one delivery in memory,
// with the budget full so that every delivery also evicts the oldest.
func BenchmarkMemoryBeginDone(b *testing.B) {
	s := NewMemory(Options{MemoryBudget: 1 << 20})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := guid(i)
		h := hash(id)
		_, _ = s.Begin(ctx, id, h)
		_ = s.Done(ctx, id, h)
		i++
	}
}

// BenchmarkRedisBeginDone is the same against a private redis-server on loopback:
// two round trips (two scripts) per delivery.
func BenchmarkRedisBeginDone(b *testing.B) {
	srv := redistest.Start(b)
	s := NewRedis(redis.NewClient(&redis.Options{Addr: srv.Addr()}), Options{})
	defer s.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := guid(i)
		h := hash(id)
		if _, err := s.Begin(ctx, id, h); err != nil {
			b.Fatal(err)
		}
		if err := s.Done(ctx, id, h); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLockUnlock is the cost a meeting-group update pays for the shared
// lock: take it (SET NX PX), start its renewal, release it (compare and delete).
func BenchmarkLockUnlock(b *testing.B) {
	stores := map[string]func(b *testing.B) *Store{
		"memory": func(*testing.B) *Store { return NewMemory(Options{}) },
		"redis": func(b *testing.B) *Store {
			srv := redistest.Start(b)
			s := NewRedis(redis.NewClient(&redis.Options{Addr: srv.Addr()}), Options{})
			b.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			s := stores[name](b)
			ctx := context.Background()
			for b.Loop() {
				_, unlock, err := s.Lock(ctx, "group")
				if err != nil {
					b.Fatal(err)
				}
				unlock()
			}
		})
	}
}

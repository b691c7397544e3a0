package coord

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/secwg/secwg/internal/redistest"
)

// backendEnv is one store implementation under the shared suite.
type backendEnv struct {
	name string
	// replica returns a Store as another replica would open it: for Redis a new
	// client on the same server, for memory the same process state.
	replica func(t *testing.T, opts Options) *Store
	// pass makes d pass for TTLs where the store's clock is not the real one.
	pass func(d time.Duration)
	// steal deletes a key behind every holder's back, as a Redis restart does.
	steal func(t *testing.T, key string)
	// realTTL is false where keys expire only through pass (miniredis), so
	// tests of renewal in real time would prove nothing.
	realTTL bool
}

func backends(t *testing.T) []backendEnv {
	t.Helper()
	var envs []backendEnv

	// memory: every replica is the same process, so they share one state.
	var mem *memory
	envs = append(envs, backendEnv{
		name: "memory",
		replica: func(t *testing.T, opts Options) *Store {
			s := NewMemory(opts)
			if mem == nil {
				mem = s.b.(*memory)
			}
			s.b = mem
			return s
		},
		pass: func(time.Duration) {},
		steal: func(t *testing.T, key string) {
			mem.mu.Lock()
			delete(mem.locks, key)
			mem.mu.Unlock()
		},
		realTTL: true,
	})

	mr := miniredis.RunT(t)
	envs = append(envs, backendEnv{
		name:    "miniredis",
		replica: func(t *testing.T, opts Options) *Store { return redisStore(t, mr.Addr(), opts) },
		pass:    mr.FastForward,
		steal:   func(t *testing.T, key string) { mr.Del(key) },
	})

	if !redistest.Available(t) {
		t.Log("redis-server is not installed: the real Redis backend is not tested")
		return envs
	}
	srv := redistest.Start(t)
	envs = append(envs, backendEnv{
		name:    "redis",
		replica: func(t *testing.T, opts Options) *Store { return redisStore(t, srv.Addr(), opts) },
		pass:    func(time.Duration) {},
		steal: func(t *testing.T, key string) {
			c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer c.Close()
			if err := c.Del(context.Background(), key).Err(); err != nil {
				t.Fatal(err)
			}
		},
		realTTL: true,
	})
	return envs
}

func redisStore(t *testing.T, addr string, opts Options) *Store {
	s := NewRedis(redis.NewClient(&redis.Options{Addr: addr}), opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// forEachBackend runs f against memory, miniredis and a real redis-server, each
// with fresh state.
func forEachBackend(t *testing.T, f func(t *testing.T, env backendEnv)) {
	for _, env := range backends(t) {
		t.Run(env.name, func(t *testing.T) { f(t, env) })
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

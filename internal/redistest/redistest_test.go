package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestServerAnswersAndForgetsKeysOnRestart(t *testing.T) {
	s := Start(t)
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if opt.Addr != s.Addr() {
		t.Fatalf("URL %s names %s, Addr is %s", s.URL(), opt.Addr, s.Addr())
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	// The client reconnects by itself; the key is gone, as after a real restart
	// without persistence.
	got, err := c.Get(ctx, "k").Result()
	if err != redis.Nil {
		t.Fatalf("after restart GET k = %q, %v; want redis.Nil", got, err)
	}
}

func TestStoppedServerRefusesConnections(t *testing.T) {
	s := Start(t)
	s.Stop()
	if err := ping(s.Addr()); err == nil {
		t.Fatal("a stopped server still answers PING")
	}
	s.Restart()
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
}

func TestServersAreIsolated(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr() == b.Addr() {
		t.Fatalf("two servers share %s", a.Addr())
	}
}

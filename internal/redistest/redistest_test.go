package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRestartKeepsKeysOnlyWithAppendOnly(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string // "" when the key is gone
	}{
		{"without persistence keys are lost", nil, ""},
		{"append-only keeps keys", []Option{AppendOnly()}, "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, tt.opts...)
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
			// The client reconnects by itself.
			got, err := c.Get(ctx, "k").Result()
			if err == redis.Nil {
				err = nil
			}
			if got != tt.want || err != nil {
				t.Fatalf("after restart GET k = %q, %v; want %q", got, err, tt.want)
			}
		})
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

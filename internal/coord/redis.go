package coord

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Each script runs atomically on the server, so no other client sees a half step.
var (
	// KEYS: the delivery's keys. ARGV[1]: processing ttl in ms.
	// Returns 0 claimed, 1 in progress, 2 done (the values of Claim).
	beginScript = redis.NewScript(`
local busy = false
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v == 'done' then return 2 end
  if v then busy = true end
end
if busy then return 1 end
for _, k in ipairs(KEYS) do
  redis.call('SET', k, 'processing', 'PX', ARGV[1])
end
return 0`)
	// KEYS: the delivery's keys. ARGV[1]: done ttl in ms.
	doneScript = redis.NewScript(`
for _, k in ipairs(KEYS) do
  redis.call('SET', k, 'done', 'PX', ARGV[1])
end
return 1`)
	// KEYS: the delivery's keys.
	failScript = redis.NewScript(`
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == 'processing' then redis.call('DEL', k) end
end
return 1`)
	// KEYS[1]: the lock. ARGV[1]: token, ARGV[2]: ttl in ms.
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	// KEYS[1]: the lock. ARGV[1]: token.
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

type redisBackend struct{ c redis.UniversalClient }

func (r *redisBackend) begin(ctx context.Context, keys []string, ttl time.Duration) (Claim, error) {
	n, err := beginScript.Run(ctx, r.c, keys, ttl.Milliseconds()).Int()
	if err != nil {
		return InProgress, err
	}
	return Claim(n), nil
}

func (r *redisBackend) done(ctx context.Context, keys []string, ttl time.Duration) error {
	return doneScript.Run(ctx, r.c, keys, ttl.Milliseconds()).Err()
}

func (r *redisBackend) fail(ctx context.Context, keys []string) error {
	return failScript.Run(ctx, r.c, keys).Err()
}

func (r *redisBackend) ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

func (r *redisBackend) acquire(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	// SET key token PX ttl NX
	return r.c.SetNX(ctx, key, token, ttl).Result()
}

func (r *redisBackend) extend(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	n, err := extendScript.Run(ctx, r.c, []string{key}, token, ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r *redisBackend) release(ctx context.Context, key, token string) error {
	return releaseScript.Run(ctx, r.c, []string{key}, token).Err()
}

func (r *redisBackend) close() error { return r.c.Close() }

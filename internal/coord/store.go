// Package coord is what several secwg replicas must agree on: which webhook
// deliveries are being or have been processed, a lock per name, and a leader lease.
//
// A Store keeps that state in Redis when replicas share one (NewRedis, Open with a
// URL) and in memory otherwise (NewMemory), with the same semantics either way:
//
//   - Delivery dedup. Begin marks a delivery's ID and body hash processing for
//     ProcessingTTL and reports false when either is already processing or done;
//     Done marks both done for DoneTTL; Fail forgets both, so a redelivery of the
//     same delivery runs again. A replica that dies mid-job leaves its keys to
//     expire after ProcessingTTL, after which a redelivery runs again.
//   - Locks. Lock holds a name until unlocked, renewing it every LockTTL/3; only
//     the holder can release it (a random token, compared and deleted atomically).
//   - Leader lease. RunAsLeader runs a function only while this process holds the
//     lease, cancelling its context when the lease is lost.
//
// In Redis every multi-key step is one Lua script, so two replicas can never both
// see a delivery as new. Keys are plain (no hash tags): one Redis, not a cluster.
package coord

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Defaults for Options.
const (
	// DefaultProcessingTTL covers the default job timeout (2m) plus a margin: a
	// delivery whose replica died is free to run again once it passes.
	DefaultProcessingTTL = 3 * time.Minute
	// DefaultDoneTTL is how long a processed delivery is remembered; GitHub
	// redelivers only on request, and the redelivery loop looks back 24h.
	DefaultDoneTTL = 24 * time.Hour
	// DefaultLockTTL is how long a lock outlives a holder that stopped renewing it.
	DefaultLockTTL = 30 * time.Second
	// DefaultMemoryBudget bounds the in-memory dedup entries.
	DefaultMemoryBudget = 16 << 20
	// DefaultPrefix starts every Redis key secwg writes.
	DefaultPrefix = "secwg:"
)

// Options tunes a Store; zero fields take the defaults above.
type Options struct {
	ProcessingTTL time.Duration
	DoneTTL       time.Duration
	LockTTL       time.Duration
	// MemoryBudget bounds the bytes the memory store spends on dedup entries;
	// past it the oldest entries are forgotten first. Ignored by Redis, whose
	// own maxmemory applies.
	MemoryBudget int64
	// Prefix starts every Redis key, so several deployments can share one Redis.
	Prefix string
	// Logger hears when this process gains or loses a leader lease, and when
	// the store stops or starts answering a contender; silent when unset.
	Logger zerolog.Logger
}

func (o Options) withDefaults() Options {
	if o.ProcessingTTL <= 0 {
		o.ProcessingTTL = DefaultProcessingTTL
	}
	if o.DoneTTL <= 0 {
		o.DoneTTL = DefaultDoneTTL
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = DefaultMemoryBudget
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	return o
}

// backend is what differs between memory and Redis: a few atomic steps on keys.
type backend interface {
	// begin sets every key to processing for ttl unless any of them exists,
	// and says which: Claimed, InProgress (some key processing, none done) or Done.
	begin(ctx context.Context, keys []string, ttl time.Duration) (Claim, error)
	// done sets every key to done for ttl.
	done(ctx context.Context, keys []string, ttl time.Duration) error
	// fail deletes the keys that are processing; a done key stays.
	fail(ctx context.Context, keys []string) error
	ping(ctx context.Context) error
	// acquire sets key to token for ttl unless it exists.
	acquire(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	// extend resets key's ttl when it still holds token.
	extend(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	// release deletes key when it still holds token.
	release(ctx context.Context, key, token string) error
	close() error
}

// Store coordinates replicas. Its methods are safe for concurrent use.
type Store struct {
	b    backend
	opts Options
	kind string
}

// NewMemory returns a Store for a single process.
func NewMemory(opts Options) *Store {
	opts = opts.withDefaults()
	return &Store{b: newMemory(opts.MemoryBudget, time.Now), opts: opts, kind: "memory"}
}

// NewRedis returns a Store on client, which it closes on Close.
func NewRedis(client redis.UniversalClient, opts Options) *Store {
	return &Store{b: &redisBackend{c: client}, opts: opts.withDefaults(), kind: "redis"}
}

// Open returns a Redis Store for a redis:// or rediss:// URL, or a memory Store
// when url is empty. It does not wait for Redis: call Ping to know it answers.
func Open(redisURL string, opts Options) (*Store, error) {
	if redisURL == "" {
		return NewMemory(opts), nil
	}
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		// The URL may carry a password: name the problem, not the URL.
		return nil, fmt.Errorf("SECWG_REDIS_URL: not a redis:// URL: %w", redactErr(err))
	}
	// go-redis writes its own plain-text lines on the standard logger; secwg's
	// JSON log says the same once, when readiness changes.
	quietRedis.Do(func() { redis.SetLogger(discardRedisLog{}) })
	return NewRedis(redis.NewClient(o), opts), nil
}

var quietRedis sync.Once

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// Kind is "memory" or "redis", for logs and the status page.
func (s *Store) Kind() string { return s.kind }

// Close releases the Redis connections; a memory Store has nothing to close.
func (s *Store) Close() error { return s.b.close() }

// Ping reports whether the store answers; memory always does.
func (s *Store) Ping(ctx context.Context) error { return s.b.ping(ctx) }

// Claim is what Store.Claim found of a delivery.
type Claim int

const (
	// Claimed: neither the ID nor the body hash was known; both are now
	// processing, and the caller runs the delivery.
	Claimed Claim = iota
	// InProgress: another job is processing the delivery. It may yet fail (or
	// its process may have died), so the delivery is not done.
	InProgress
	// Done: the delivery was processed.
	Done
)

// Claim claims a delivery for processing: Claimed when neither its ID nor its
// body hash is processing or done (both are then processing for
// ProcessingTTL), else InProgress or Done. An empty id is deduplicated by body
// hash alone.
func (s *Store) Claim(ctx context.Context, id string, bodyHash [32]byte) (Claim, error) {
	c, err := s.b.begin(ctx, s.deliveryKeys(id, bodyHash), s.opts.ProcessingTTL)
	if err != nil {
		return InProgress, fmt.Errorf("claiming delivery %s: %w", id, err)
	}
	return c, nil
}

// Begin is Claim for callers that only ask whether to run the delivery.
func (s *Store) Begin(ctx context.Context, id string, bodyHash [32]byte) (bool, error) {
	c, err := s.Claim(ctx, id, bodyHash)
	return c == Claimed && err == nil, err
}

// Done records a delivery as processed: its ID and body hash are refused by
// Begin for DoneTTL.
func (s *Store) Done(ctx context.Context, id string, bodyHash [32]byte) error {
	if err := s.b.done(ctx, s.deliveryKeys(id, bodyHash), s.opts.DoneTTL); err != nil {
		return fmt.Errorf("recording delivery %s as done: %w", id, err)
	}
	return nil
}

// Fail forgets a delivery that is still processing, so that its redelivery
// runs again. A delivery already done stays done.
func (s *Store) Fail(ctx context.Context, id string, bodyHash [32]byte) error {
	if err := s.b.fail(ctx, s.deliveryKeys(id, bodyHash)); err != nil {
		return fmt.Errorf("forgetting delivery %s: %w", id, err)
	}
	return nil
}

func (s *Store) deliveryKeys(id string, bodyHash [32]byte) []string {
	keys := make([]string, 0, 2)
	if id != "" {
		keys = append(keys, s.opts.Prefix+"delivery:id:"+id)
	}
	return append(keys, s.opts.Prefix+"delivery:body:"+hex.EncodeToString(bodyHash[:]))
}

// Values of dedup keys.
const (
	stateProcessing = "processing"
	stateDone       = "done"
)

// redactErr drops a URL parse error's text, which echoes the URL and so its password.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("malformed URL")
	}
	return err
}

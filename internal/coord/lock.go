package coord

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrLockLost is the cause of a held context cancelled because its lock or lease
// could not be renewed (taken over, expired, or the store unreachable for too long).
var ErrLockLost = errors.New("coord: lock lost")

// Waiting for a busy lock polls with a growing, jittered pause between these bounds.
const (
	minLockPoll = 5 * time.Millisecond
	maxLockPoll = 250 * time.Millisecond
)

// Lock blocks until this process holds name, or ctx ends. The lock is renewed
// every LockTTL/3 while held; held is ctx, also cancelled (cause ErrLockLost) if
// a renewal fails for longer than 2/3 of LockTTL, before the lock can pass to
// another holder. unlock releases the lock and cancels held; it is idempotent.
func (s *Store) Lock(ctx context.Context, name string) (held context.Context, unlock func(), err error) {
	key := s.opts.Prefix + "lock:" + name
	pause := minLockPoll
	for {
		h, ok, err := s.tryHold(ctx, key, s.opts.LockTTL)
		if err != nil {
			return nil, nil, fmt.Errorf("taking lock %s: %w", name, err)
		}
		if ok {
			return h.ctx, h.stop, nil
		}
		jittered := pause/2 + rand.N(pause/2+1)
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("waiting for lock %s: %w", name, context.Cause(ctx))
		case <-time.After(jittered):
		}
		pause = min(2*pause, maxLockPoll)
	}
}

// TryLock is Lock without waiting: ok is false when another holder has name.
func (s *Store) TryLock(ctx context.Context, name string) (held context.Context, unlock func(), ok bool, err error) {
	h, ok, err := s.tryHold(ctx, s.opts.Prefix+"lock:"+name, s.opts.LockTTL)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	return h.ctx, h.stop, true, nil
}

// RunAsLeader runs fn while this process holds the lease name, and only then.
// It contends for the lease every ttl/3; once it holds it, it renews it every
// ttl/3 and runs fn. When the lease is lost fn's context is cancelled (cause
// ErrLockLost) and, once fn has returned, RunAsLeader contends again. When fn
// returns by itself, the lease is released and fn's error returned. RunAsLeader
// returns ctx's error when ctx ends. ttl 0 means LockTTL.
//
// fn must return promptly once its context ends: the lease is declared lost
// 1/3 ttl before another process can take it.
func (s *Store) RunAsLeader(ctx context.Context, name string, ttl time.Duration, fn func(context.Context) error) error {
	if ttl <= 0 {
		ttl = s.opts.LockTTL
	}
	key := s.opts.Prefix + "leader:" + name
	log := s.opts.Logger.With().Str("lease", name).Logger()
	retry := time.NewTicker(ttl / 3)
	defer retry.Stop()
	failing := false
	for {
		h, ok, err := s.tryHold(ctx, key, ttl)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			log.Warn().Err(err).Msg("cannot contend for the leader lease; retrying")
		case err == nil && failing:
			log.Info().Msg("contending for the leader lease again")
		}
		failing = err != nil
		if err == nil && ok {
			log.Info().Msg("leader lease acquired")
			err := fn(h.ctx)
			cause := context.Cause(h.ctx)
			h.stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(cause, ErrLockLost) {
				return err
			}
			log.Warn().AnErr("cause", cause).Msg("leader lease lost; stopped and contending again")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-retry.C:
		}
	}
}

// hold is a held lock or lease, renewed until stop.
type hold struct {
	ctx  context.Context
	stop func()
}

// tryHold takes key once and, when it gets it, starts renewing it.
func (s *Store) tryHold(ctx context.Context, key string, ttl time.Duration) (*hold, bool, error) {
	token := newToken()
	// The store starts the key's ttl when it runs the command, after this.
	asked := time.Now()
	ok, err := s.b.acquire(ctx, key, token, ttl)
	if err != nil || !ok {
		return nil, false, err
	}
	held, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.renew(held, done, cancel, key, token, ttl, asked)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			cancel(context.Canceled)
			// Release even when ctx has ended, so the next holder need not wait for the ttl.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), ttl/3)
			defer rcancel()
			_ = s.b.release(rctx, key, token)
		})
	}
	return &hold{ctx: held, stop: stop}, true, nil
}

// renew extends key every ttl/3. A refusal (someone else holds it) loses it at
// once; errors lose it when no renewal has succeeded for 2/3 ttl, which leaves
// 1/3 ttl for the holder to stop before the key expires. Times count from when
// the last successful command was sent (asked, for the acquire), since the
// store starts the ttl when it runs the command: each extend must answer by
// that time plus 2/3 ttl, and a failed one is retried after ttl/6, so a second
// attempt fits before the lock is lost.
func (s *Store) renew(held context.Context, done <-chan struct{}, lose context.CancelCauseFunc, key, token string, ttl time.Duration, asked time.Time) {
	next := time.NewTimer(ttl / 3)
	defer next.Stop()
	lastOK := asked
	for {
		select {
		case <-done:
			return
		case <-held.Done():
			return
		case <-next.C:
		}
		lostAt := lastOK.Add(2 * ttl / 3)
		start := time.Now()
		rctx, cancel := context.WithDeadline(held, lostAt)
		ok, err := s.b.extend(rctx, key, token, ttl)
		cancel()
		switch {
		case err == nil && ok:
			lastOK = start
			next.Reset(time.Until(start.Add(ttl / 3)))
		case err == nil && !ok:
			lose(ErrLockLost)
			return
		case !time.Now().Before(lostAt):
			lose(fmt.Errorf("%w: %v", ErrLockLost, err))
			return
		default:
			next.Reset(min(ttl/6, time.Until(lostAt)))
		}
	}
}

func newToken() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return hex.EncodeToString(b[:])
}

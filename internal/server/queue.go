package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/metrics"
)

// ActionFilter is implemented by handlers that act on some actions of an event
// only; the queue drops the others before they take a slot or a worker.
type ActionFilter interface {
	HandlesAction(event, action string) bool
}

// Queue is a bounded webhook job queue with a fixed worker pool. It implements
// go-githubapp's Scheduler, adding what that one lacks: a deadline per job, a
// drain on shutdown that names what it could not finish, and dedup release on failure.
type Queue struct {
	jobs       chan job
	jobTimeout time.Duration
	metrics    *metrics.Metrics
	deliveries DeliveryStore
	logger     zerolog.Logger

	// base outlives requests; cancelling it aborts running jobs at shutdown.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending map[string]*job

	workers sync.WaitGroup
}

type job struct {
	ctx      context.Context
	dispatch githubapp.Dispatch
	delivery delivery
	queued   time.Time
	running  bool
}

var _ githubapp.Scheduler = (*Queue)(nil)

// NewQueue starts workers that take jobs from a queue of size slots.
func NewQueue(size, workers int, jobTimeout time.Duration, m *metrics.Metrics, store DeliveryStore, logger zerolog.Logger) *Queue {
	base, cancel := context.WithCancel(context.Background())
	q := &Queue{
		jobs:       make(chan job, size),
		jobTimeout: jobTimeout,
		metrics:    m,
		deliveries: store,
		logger:     logger,
		base:       base,
		cancel:     cancel,
		pending:    map[string]*job{},
	}
	for range workers {
		q.workers.Add(1)
		go q.work()
	}
	return q
}

// Schedule queues a dispatch or refuses it at once: it never blocks the listener.
func (q *Queue) Schedule(ctx context.Context, d githubapp.Dispatch) error {
	del := deliveryFrom(ctx)
	if f, ok := d.Handler.(ActionFilter); ok && !f.HandlesAction(d.EventType, del.Action) {
		del.setOutcome(outcomeIgnored)
		return nil
	}
	// Every API call secwg makes is an installation's; GitHub puts the
	// installation in every delivery to an App, so a payload without one (a
	// repository webhook pointed here by mistake) has nothing to act for.
	if del.ID != "" && del.Installation == 0 {
		zerolog.Ctx(ctx).Info().Msg("delivery names no installation; ignored")
		del.setOutcome(outcomeIgnored)
		return nil
	}
	logger := zerolog.Ctx(ctx).With().Logger()
	if del.logger != nil {
		logger = *del.logger
	}
	jobCtx := githubapp.InitializeResponder(logger.WithContext(q.base))
	j := job{ctx: jobCtx, dispatch: d, delivery: *del, queued: time.Now()}

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return q.refuse(del)
	}
	select {
	case q.jobs <- j:
		q.pending[d.DeliveryID] = &j
		q.metrics.QueueDepth.Inc()
		del.setOutcome(outcomeAccepted)
		return nil
	default:
		return q.refuse(del)
	}
}

func (q *Queue) refuse(del *delivery) error {
	q.metrics.QueueDropped.Inc()
	del.setOutcome(outcomeQueueFull)
	// Forget the delivery so that GitHub's or an operator's redelivery is processed.
	q.deliveries.Release(del.ID)
	return githubapp.ErrCapacityExceeded
}

func (q *Queue) work() {
	defer q.workers.Done()
	for j := range q.jobs {
		q.metrics.QueueDepth.Dec()
		q.mu.Lock()
		if p := q.pending[j.dispatch.DeliveryID]; p != nil {
			p.running = true
		}
		q.mu.Unlock()
		if q.base.Err() == nil {
			q.run(j)
		} else {
			q.deliveries.Release(j.dispatch.DeliveryID)
		}
		q.mu.Lock()
		delete(q.pending, j.dispatch.DeliveryID)
		q.mu.Unlock()
	}
}

// run executes one job under its own deadline, recovering a panic so that one
// bad payload cannot take the worker, or the server, down.
func (q *Queue) run(j job) {
	ctx, cancel := context.WithTimeout(j.ctx, q.jobTimeout)
	defer cancel()
	logger := zerolog.Ctx(ctx)
	start := time.Now()
	outcome := "ok"
	defer func() {
		if r := recover(); r != nil {
			outcome = "panic"
			// Forget the delivery before saying so, so that whoever reads the
			// log and redelivers finds it processed again.
			q.deliveries.Release(j.dispatch.DeliveryID)
			logger.Error().Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).Msg("webhook handler panicked")
			q.metrics.HandlerPanics.WithLabelValues(j.dispatch.EventType).Inc()
		}
		q.metrics.HandlerDuration.WithLabelValues(j.dispatch.EventType, outcome).Observe(time.Since(start).Seconds())
	}()
	err := j.dispatch.Execute(ctx)
	switch {
	case err == nil:
		logger.Debug().Dur("elapsed", time.Since(start)).Dur("waited", start.Sub(j.queued)).Msg("webhook handled")
		return
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		outcome = "timeout"
	default:
		outcome = "error"
	}
	q.deliveries.Release(j.dispatch.DeliveryID)
	logger.Error().Err(err).Dur("elapsed", time.Since(start)).Msg("webhook handler failed")
}

// Idle reports whether no job is queued or running.
func (q *Queue) Idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) == 0
}

// Len reports the jobs waiting for a worker.
func (q *Queue) Len() int { return len(q.jobs) }

// Drain stops taking jobs and waits for queued and running ones until ctx ends.
// What is left then is logged by delivery ID and its context is cancelled.
func (q *Queue) Drain(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()

	done := make(chan struct{})
	go func() {
		q.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		q.cancel()
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	unfinished := len(q.pending)
	for id, j := range q.pending {
		state := "queued"
		if j.running {
			state = "running"
		}
		q.logger.Warn().Str(githubapp.LogKeyDeliveryID, id).Str(githubapp.LogKeyEventType, j.dispatch.EventType).
			Str("state", state).Msg("webhook job not finished before shutdown; redeliver it from the App's advanced settings")
	}
	q.mu.Unlock()
	q.cancel()
	return fmt.Errorf("%d webhook jobs did not finish within the shutdown timeout", unfinished)
}

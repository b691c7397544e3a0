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

	"github.com/secwg/secwg/internal/handler"

	"github.com/secwg/secwg/internal/metrics"
)

// ActionFilter is implemented by handlers that act on some actions of an event
// only; the others are answered at once and never take a queue slot.
type ActionFilter interface {
	HandlesAction(event, action string) bool
}

// Queue is a bounded webhook job queue with a fixed worker pool: a deadline per
// job, a recovered panic per job, and a drain on shutdown that names what it
// could not finish. Whoever submits a job learns how it ended through its finish.
type Queue struct {
	jobs       chan *job
	jobTimeout time.Duration
	metrics    *metrics.Metrics
	logger     zerolog.Logger

	// base outlives requests; cancelling it aborts running jobs at shutdown.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending map[*job]struct{}

	workers sync.WaitGroup
}

// job is one delivery's work.
type job struct {
	logger  zerolog.Logger
	handler githubapp.EventHandler
	event   string
	action  string
	id      string
	payload []byte
	queued  time.Time
	running bool
	// finish is called exactly once with the job's result, whether it ran or not.
	finish func(error)
}

// errNotRun is the result of a job the queue dropped at shutdown.
var errNotRun = errors.New("shut down before the job ran")

// errQueueFull refuses a job when every slot is taken or the queue is closed.
var errQueueFull = errors.New("the work queue is full")

// NewQueue starts workers that take jobs from a queue of size slots.
func NewQueue(size, workers int, jobTimeout time.Duration, m *metrics.Metrics, logger zerolog.Logger) *Queue {
	base, cancel := context.WithCancel(context.Background())
	q := &Queue{
		jobs:       make(chan *job, size),
		jobTimeout: jobTimeout,
		metrics:    m,
		logger:     logger,
		base:       base,
		cancel:     cancel,
		pending:    map[*job]struct{}{},
	}
	for range workers {
		q.workers.Add(1)
		go q.work()
	}
	return q
}

// Submit queues a job or refuses it at once: it never blocks the listener.
func (q *Queue) Submit(j *job) error {
	j.queued = time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.metrics.QueueDropped.Inc()
		return errQueueFull
	}
	select {
	case q.jobs <- j:
		q.pending[j] = struct{}{}
		q.metrics.QueueDepth.Inc()
		return nil
	default:
		q.metrics.QueueDropped.Inc()
		return errQueueFull
	}
}

func (q *Queue) work() {
	defer q.workers.Done()
	for j := range q.jobs {
		q.metrics.QueueDepth.Dec()
		q.mu.Lock()
		j.running = true
		q.mu.Unlock()
		var err error
		if q.base.Err() == nil {
			err = q.run(j)
		} else {
			err = errNotRun
		}
		q.mu.Lock()
		delete(q.pending, j)
		q.mu.Unlock()
		j.finish(err)
	}
}

// run executes one job under its own deadline, recovering a panic so that one
// bad payload cannot take the worker, or the server, down.
func (q *Queue) run(j *job) (err error) {
	ctx, cancel := context.WithTimeout(githubapp.InitializeResponder(j.logger.WithContext(q.base)), q.jobTimeout)
	defer cancel()
	logger := zerolog.Ctx(ctx)
	start := time.Now()
	outcome := "ok"
	defer func() {
		if r := recover(); r != nil {
			outcome = "panic"
			err = fmt.Errorf("handler panicked: %v", r)
			logger.Error().Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).Msg("webhook handler panicked")
			q.metrics.HandlerPanics.WithLabelValues(j.event).Inc()
		}
		q.metrics.HandlerDuration.WithLabelValues(j.event, outcome).Observe(time.Since(start).Seconds())
	}()
	err = j.handler.Handle(handler.WithAction(ctx, j.action), j.event, j.id, j.payload)
	switch {
	case err == nil:
		logger.Debug().Dur("elapsed", time.Since(start)).Dur("waited", start.Sub(j.queued)).Msg("webhook handled")
		return nil
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		outcome = "timeout"
	default:
		outcome = "error"
	}
	logger.Error().Err(err).Dur("elapsed", time.Since(start)).Msg("webhook handler failed")
	return err
}

// Len reports the jobs waiting for a worker.
func (q *Queue) Len() int { return len(q.jobs) }

// drainGrace bounds the wait for cancelled jobs to record their failure.
const drainGrace = 2 * time.Second

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
	for j := range q.pending {
		l := q.logger.Warn().Str(githubapp.LogKeyDeliveryID, j.id).Str(githubapp.LogKeyEventType, j.event)
		state := "queued"
		if j.running {
			state = "running"
		}
		// One answered 202 (past the acknowledgement timeout) shows as delivered
		// in GitHub's log and is not redelivered.
		l.Str("state", state).Msg("webhook job not finished before shutdown; it is left to redelivery unless it was already acknowledged")
	}
	q.mu.Unlock()
	q.cancel()
	// The cancelled jobs still record their failure in the delivery store.
	select {
	case <-done:
	case <-time.After(drainGrace):
	}
	return fmt.Errorf("%d webhook jobs did not finish within the shutdown timeout", unfinished)
}

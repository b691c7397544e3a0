// Package metrics defines every Prometheus metric secwg exports, in one place so
// that operators can read the list and dashboards can rely on the names.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds secwg's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	Deliveries        *prometheus.CounterVec   // event, action, outcome
	QueueDepth        prometheus.Gauge         //
	QueueDropped      prometheus.Counter       //
	HandlerDuration   *prometheus.HistogramVec // event, outcome
	HandlerPanics     *prometheus.CounterVec   // event
	GitHubRequests    *prometheus.CounterVec   // method, status, cached
	InstallationEvent *prometheus.CounterVec   // event, action

	RedeliveriesRequested prometheus.Counter //
	RedeliveriesGivenUp   prometheus.Counter //
	OldestFailedDelivery  prometheus.Gauge   // seconds
}

// New registers every metric in a fresh registry, with Go and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secwg_webhook_deliveries_total",
			Help: "Webhook deliveries by event, action and outcome (accepted, ignored, duplicate, in_progress, queue_full, bad_signature, bad_request, too_large, not_configured, over_budget, store_unavailable).",
		}, []string{"event", "action", "outcome"}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "secwg_queue_depth",
			Help: "Webhook jobs waiting for a worker.",
		}),
		QueueDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "secwg_queue_dropped_total",
			Help: "Webhook deliveries refused with 503 because the queue was full or shutting down.",
		}),
		HandlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "secwg_handler_duration_seconds",
			Help:    "Time a worker spent on a webhook job, by event and outcome (ok, error, panic, timeout).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"event", "outcome"}),
		HandlerPanics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secwg_handler_panics_total",
			Help: "Webhook handler panics that were recovered.",
		}, []string{"event"}),
		GitHubRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secwg_github_requests_total",
			Help: "Requests to the GitHub API by method, status code and whether the HTTP cache answered (a revalidated 304 counts as cached).",
		}, []string{"method", "status", "cached"}),
		InstallationEvent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secwg_installation_events_total",
			Help: "installation and installation_repositories events handled, by event and action.",
		}, []string{"event", "action"}),
		RedeliveriesRequested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "secwg_redeliveries_requested_total",
			Help: "Failed webhook deliveries that secwg asked GitHub to deliver again.",
		}),
		RedeliveriesGivenUp: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "secwg_redeliveries_given_up_total",
			Help: "Failed webhook deliveries left failed because they reached the attempt limit.",
		}),
		OldestFailedDelivery: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "secwg_oldest_failed_delivery_age_seconds",
			Help: "Age of the oldest handled delivery whose latest attempt failed, at the last redelivery pass; 0 when none.",
		}),
	}
	reg.MustRegister(m.Deliveries, m.QueueDepth, m.QueueDropped, m.HandlerDuration, m.HandlerPanics,
		m.GitHubRequests, m.InstallationEvent,
		m.RedeliveriesRequested, m.RedeliveriesGivenUp, m.OldestFailedDelivery,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

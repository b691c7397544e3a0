package githubclient

import (
	"strings"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	gometrics "github.com/rcrowley/go-metrics"
)

// rateLimitCollector exports the per-installation rate-limit gauges that
// go-githubapp's ClientMetrics keeps: only that middleware sees which installation
// a request belongs to, so secwg reads its registry rather than guessing.
type rateLimitCollector struct {
	registry gometrics.Registry
	desc     *prometheus.Desc
}

func newRateLimitCollector(r gometrics.Registry) *rateLimitCollector {
	return &rateLimitCollector{registry: r, desc: prometheus.NewDesc(
		"secwg_github_rate_limit_remaining",
		"Requests left in the current GitHub rate-limit window, per installation (0 is the App itself).",
		[]string{"installation"}, nil)}
}

func (c *rateLimitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *rateLimitCollector) Collect(ch chan<- prometheus.Metric) {
	prefix := githubapp.MetricsKeyRateLimitRemaining + "[installation:"
	c.registry.Each(func(name string, m any) {
		id, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return
		}
		g, ok := m.(gometrics.Gauge)
		if !ok {
			return
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(g.Value()), strings.TrimSuffix(id, "]"))
	})
}

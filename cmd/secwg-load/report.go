package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the outcome of a run; its JSON form is for machines.
type report struct {
	Machine   machine      `json:"machine"`
	Rate      int          `json:"rate_per_second"`
	Duration  float64      `json:"duration_seconds"`
	Warmup    float64      `json:"warmup_seconds"`
	Rounds    int          `json:"rounds"`
	Order     string       `json:"order"`
	LogLevel  string       `json:"secwg_log_level"`
	QueueSize int          `json:"secwg_queue_size"`
	Workers   int          `json:"secwg_workers"`
	Bare      targetReport `json:"bare"`
	Secwg     targetReport `json:"secwg"`
	P99Ratio  float64      `json:"p99_ratio"`
	Goal      float64      `json:"goal_p99_ratio"`
	GoalHolds bool         `json:"goal_holds"`
	Failures  []string     `json:"failures,omitempty"`
}

type machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
}

type targetReport struct {
	Sent            int     `json:"sent"`
	Answered        int     `json:"answered"`
	Throughput      float64 `json:"throughput_per_second"`
	P50             float64 `json:"p50_ms"`
	P90             float64 `json:"p90_ms"`
	P99             float64 `json:"p99_ms"`
	Max             float64 `json:"max_ms"`
	Non202          int     `json:"non_202"`
	TransportErrors int     `json:"transport_errors"`
	// How late the sender itself was; a large value means the load generator,
	// not the target, was short of CPU.
	SendLagP99 float64 `json:"send_lag_p99_ms"`
	// Connections the load generator opened, warmup included.
	Dials int64 `json:"connections_opened"`
	// secwg's process CPU per request, warmup included. On a machine whose
	// CPUs are shared it is inflated by contention, but less noisy than latency.
	CPUPerRequest float64 `json:"cpu_us_per_request,omitempty"`
	// secwg only, read from its /metrics after the run (warmup included).
	QueueDropped *float64          `json:"queue_dropped,omitempty"`
	QueueFull    *float64          `json:"queue_full,omitempty"`
	Outcomes     map[string]uint64 `json:"outcomes,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func targetReportOf(r result) targetReport {
	q := quantilesOf(r.latencies)
	return targetReport{
		Sent:            r.sent,
		Answered:        len(r.latencies),
		Throughput:      r.throughput(),
		P50:             ms(q.p50),
		P90:             ms(q.p90),
		P99:             ms(q.p99),
		Max:             ms(q.max),
		Non202:          r.non202,
		TransportErrors: r.errors,
		SendLagP99:      ms(quantilesOf(r.lags).p99),
		Dials:           r.dials,
	}
}

func buildReport(o options, bare, sw result, m serverMetrics, swCPU cpuMeter) *report {
	rep := &report{
		Machine:   currentMachine(),
		Rate:      o.rate,
		Duration:  o.duration.Seconds(),
		Warmup:    o.warmup.Seconds(),
		Rounds:    o.rounds,
		Order:     "one after the other: bare server, then secwg",
		LogLevel:  o.logLevel,
		QueueSize: o.queueSize,
		Workers:   o.workers,
		Bare:      targetReportOf(bare),
		Secwg:     targetReportOf(sw),
		Goal:      o.goal,
	}
	if o.rounds > 1 {
		rep.Order = fmt.Sprintf("alternately in %d rounds of %gs per target (bare secwg, secwg bare, ...), samples pooled",
			o.rounds, (o.duration / time.Duration(o.rounds)).Seconds())
	}
	dropped, full := m.queueDropped, m.outcomes["queue_full"]
	rep.Secwg.QueueDropped, rep.Secwg.QueueFull = &dropped, &full
	rep.Secwg.Outcomes = map[string]uint64{}
	for k, v := range m.outcomes {
		rep.Secwg.Outcomes[k] = uint64(v)
	}
	if swCPU.ok {
		rep.Secwg.CPUPerRequest = perRequest(swCPU.used, swCPU.requests)
	}
	rep.judge()
	return rep
}

// judge decides the goal: secwg's p99 within Goal times the bare server's, and
// nothing lost on either side.
func (r *report) judge() {
	var f []string
	if r.Bare.P99 > 0 {
		r.P99Ratio = r.Secwg.P99 / r.Bare.P99
		if r.P99Ratio > r.Goal {
			f = append(f, fmt.Sprintf("secwg p99 is %.2fx the bare server's (goal %.2gx)", r.P99Ratio, r.Goal))
		}
	} else {
		f = append(f, "the bare server answered nothing, so there is no baseline")
	}
	for _, t := range []struct {
		name string
		r    targetReport
	}{{"bare", r.Bare}, {"secwg", r.Secwg}} {
		if t.r.Non202 > 0 {
			f = append(f, fmt.Sprintf("%s answered %d requests with a status other than 202", t.name, t.r.Non202))
		}
		if t.r.TransportErrors > 0 {
			f = append(f, fmt.Sprintf("%s: %d transport errors", t.name, t.r.TransportErrors))
		}
	}
	if d := r.Secwg.QueueDropped; d != nil && *d > 0 {
		f = append(f, fmt.Sprintf("secwg dropped %.0f deliveries (secwg_queue_dropped_total)", *d))
	}
	if q := r.Secwg.QueueFull; q != nil && *q > 0 {
		f = append(f, fmt.Sprintf("secwg counted %.0f queue_full outcomes", *q))
	}
	r.Failures = f
	r.GoalHolds = len(f) == 0
}

// formatText renders the report as a plain table for people.
func formatText(r *report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "secwg-load: %d req/s open loop, %gs measured per target after a %gs warmup; %d round(s): %s\n",
		r.Rate, r.Duration, r.Warmup, r.Rounds, r.Order)
	m := r.Machine
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(&b, ", %s; secwg log level %s, queue %d, workers %d\n\n", m.GoVersion, r.LogLevel, r.QueueSize, r.Workers)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tsent\treq/s\tp50\tp90\tp99\tmax\tnon-202\terrors\tdrops\tqueue_full\tsend lag p99\tcpu/req\tconns\t")
	for _, t := range []struct {
		name string
		r    targetReport
	}{{"bare", r.Bare}, {"secwg", r.Secwg}} {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t\n",
			t.name, t.r.Sent, t.r.Throughput, fmtMs(t.r.P50), fmtMs(t.r.P90), fmtMs(t.r.P99), fmtMs(t.r.Max),
			t.r.Non202, t.r.TransportErrors, fmtCount(t.r.QueueDropped), fmtCount(t.r.QueueFull), fmtMs(t.r.SendLagP99), fmtUs(t.r.CPUPerRequest), t.r.Dials)
	}
	tw.Flush()
	if len(r.Secwg.Outcomes) > 0 {
		keys := slices.Sorted(maps.Keys(r.Secwg.Outcomes))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", k, r.Secwg.Outcomes[k])
		}
		fmt.Fprintf(&b, "secwg deliveries by outcome, warmup included: %s\n", strings.Join(parts, " "))
	}

	fmt.Fprintf(&b, "\np99 secwg/bare: %s (goal <= %g, no errors, no drops)\n", fmtRatio(r.P99Ratio), r.Goal)
	if r.GoalHolds {
		b.WriteString("goal: holds\n")
		return b.String()
	}
	b.WriteString("goal: fails\n")
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	return b.String()
}

// fmtRatio keeps two decimals, and the first digits of a ratio that small
// decimals would round to 0.00.
func fmtRatio(v float64) string {
	if v != 0 && v < 0.1 {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtMs(v float64) string { return fmt.Sprintf("%.3fms", v) }

func fmtUs(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fus", v)
}

func fmtCount(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *v)
}

func currentMachine() machine {
	return machine{
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		CPUModel:  cpuModel(),
		GoVersion: runtime.Version(),
	}
}

// cpuModel is the first "model name" in /proc/cpuinfo, where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

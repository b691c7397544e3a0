package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// maxLagShare is how large the generator's own send lag p99 may be beside the
// fastest target's p99 for a ratio to mean anything: a late sender adds the
// same delay to every target and so pulls every ratio toward 1.
const maxLagShare = 0.10

// report is the outcome of a run; its JSON form is for machines.
type report struct {
	Machine   machine  `json:"machine"`
	Settings  settings `json:"settings"`
	Cells     []cell   `json:"cells"`
	GoalHolds bool     `json:"goal_holds"`
	Failures  []string `json:"failures,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

type machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
}

type settings struct {
	Duration    float64 `json:"duration_seconds"`
	Warmup      float64 `json:"warmup_seconds"`
	Rounds      int     `json:"rounds"`
	Spin        float64 `json:"spin_us"`
	Realtime    bool    `json:"sender_realtime_requested"`
	MaxLagShare float64 `json:"max_lag_share"`
	Goal        float64 `json:"goal_p99_ratio"`
	CPUGoal     float64 `json:"goal_cpu_us_per_delivery"`
	LogLevel    string  `json:"secwg_log_level"`
	QueueSize   int     `json:"secwg_queue_size"`
	Workers     int     `json:"secwg_workers"`
}

// cell is every target measured at one rate with one scenario.
type cell struct {
	Scenario string         `json:"scenario"`
	About    string         `json:"about"`
	Rate     int            `json:"rate_per_second"`
	Targets  []targetReport `json:"targets"`
	// The generator's own lateness over all targets' requests in the cell.
	LagP99 float64 `json:"generator_lag_p99_ms"`
	LagMax float64 `json:"generator_lag_max_ms"`
	// How long the write calls took, p99: kernel time, not counted as lag.
	WriteP99 float64 `json:"write_p99_ms"`
	// Whether every send in the cell went out from a real-time thread.
	SenderRealtime bool    `json:"sender_realtime"`
	FastestP99     float64 `json:"fastest_p99_ms"`
	// Ratios of secwg's p99 to each other target's, absent when refused.
	Ratios  map[string]float64 `json:"p99_ratios,omitempty"`
	Refused string             `json:"ratios_refused,omitempty"`
	// secwg's deliveries by outcome during the cell, warmup included.
	SecwgOutcomes map[string]uint64 `json:"secwg_outcomes,omitempty"`
	SecwgDropped  float64           `json:"secwg_queue_dropped"`
}

type targetReport struct {
	Name            string         `json:"name"`
	Sent            int            `json:"sent"`
	Answered        int            `json:"answered"`
	Throughput      float64        `json:"throughput_per_second"`
	P50             float64        `json:"p50_ms"`
	P90             float64        `json:"p90_ms"`
	P99             float64        `json:"p99_ms"`
	Max             float64        `json:"max_ms"`
	Errors          int            `json:"errors"` // transport errors and answers outside 2xx
	TransportErrors int            `json:"transport_errors"`
	Statuses        map[string]int `json:"statuses"`
	SendLagP99      float64        `json:"send_lag_p99_ms"`
	WriteP99        float64        `json:"write_p99_ms"`
	// The target process's CPU (user and system, from /proc/<pid>/task/*/schedstat,
	// or /proc/<pid>/stat when a thread ended) over the measured rounds, less
	// its idle use, per request sent; absent where it cannot be read.
	// Contention on shared CPUs inflates it, but less than it does latency.
	CPUPerDelivery *float64 `json:"cpu_us_per_delivery,omitempty"`
	// The process's CPU per second while idle, taken away from the above.
	IdleCPU *float64 `json:"idle_cpu_us_per_second,omitempty"`
	Dials   int64    `json:"connections_opened"` // warmup included
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func targetReportOf(t runningTarget, r result) targetReport {
	name := t.name
	q := quantilesOf(r.latencies)
	tr := targetReport{
		Name:            name,
		Sent:            r.sent,
		Answered:        len(r.latencies),
		Throughput:      r.throughput(),
		P50:             ms(q.p50),
		P90:             ms(q.p90),
		P99:             ms(q.p99),
		Max:             ms(q.max),
		Errors:          r.errors + r.non2xx,
		TransportErrors: r.errors,
		Statuses:        map[string]int{},
		SendLagP99:      ms(quantilesOf(r.lags).p99),
		WriteP99:        ms(quantilesOf(r.writes).p99),
		Dials:           r.dials,
	}
	for k, v := range r.statuses {
		tr.Statuses[strconv.Itoa(k)] = v
	}
	if r.cpuOK && r.sent > 0 {
		c := perRequest(r.cpu, r.sent)
		tr.CPUPerDelivery = &c
	}
	if t.idleCPUOK {
		idle := float64(t.idleCPU) / float64(time.Microsecond)
		tr.IdleCPU = &idle
	}
	return tr
}

func buildCell(sc scenario, rate int, targets []runningTarget, results []result, m serverMetrics) cell {
	c := cell{Scenario: sc.name, About: sc.about, Rate: rate, SecwgDropped: m.queueDropped, SecwgOutcomes: map[string]uint64{}}
	var lags, writes []time.Duration
	for i, t := range targets {
		c.Targets = append(c.Targets, targetReportOf(t, results[i]))
		lags = append(lags, results[i].lags...)
		writes = append(writes, results[i].writes...)
	}
	q := quantilesOf(lags)
	c.LagP99, c.LagMax = ms(q.p99), ms(q.max)
	c.WriteP99 = ms(quantilesOf(writes).p99)
	for k, v := range m.outcomes {
		c.SecwgOutcomes[k] = uint64(v)
	}
	c.compare()
	return c
}

func (c *cell) target(name string) *targetReport {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i]
		}
	}
	return nil
}

// compare sets the ratios of secwg's p99 to the others', or refuses them
// when the generator's lag is too large beside the fastest target's p99.
func (c *cell) compare() {
	c.Ratios, c.Refused = nil, ""
	c.FastestP99 = 0
	for _, t := range c.Targets {
		if t.Answered > 0 && (c.FastestP99 == 0 || t.P99 < c.FastestP99) {
			c.FastestP99 = t.P99
		}
	}
	if c.FastestP99 <= 0 {
		c.Refused = "no target answered"
		return
	}
	if c.LagP99 >= maxLagShare*c.FastestP99 {
		c.Refused = fmt.Sprintf("generator lag p99 %s is %.0f%% of the fastest target's p99 %s; it must be under %.0f%%",
			fmtMs(c.LagP99), 100*c.LagP99/c.FastestP99, fmtMs(c.FastestP99), 100*maxLagShare)
		return
	}
	sw := c.target("secwg")
	if sw == nil || sw.Answered == 0 {
		c.Refused = "secwg answered nothing"
		return
	}
	c.Ratios = map[string]float64{}
	for _, t := range c.Targets {
		if t.Name != "secwg" && t.Answered > 0 && t.P99 > 0 {
			c.Ratios["secwg/"+t.Name] = sw.P99 / t.P99
		}
	}
}

func buildReport(o options, cells []cell, notes []string) *report {
	rep := &report{
		Machine: currentMachine(),
		Settings: settings{
			Duration:    o.duration.Seconds(),
			Warmup:      o.warmup.Seconds(),
			Rounds:      o.rounds,
			Spin:        float64(o.spin) / float64(time.Microsecond),
			Realtime:    o.realtime,
			MaxLagShare: maxLagShare,
			Goal:        o.goal,
			CPUGoal:     o.cpuGoal,
			LogLevel:    o.logLevel,
			QueueSize:   o.queueSize,
			Workers:     o.workers,
		},
		Cells: cells,
		Notes: notes,
	}
	rep.judge()
	return rep
}

// judge decides the goals: no errors anywhere, no deliveries dropped and, for
// ignored deliveries, secwg's p99 within Goal times the bare server's and no
// worse than @octokit/webhooks', and its CPU per delivery within CPUGoal.
// A ratio the generator's lag makes meaningless fails the goal: it cannot be
// shown to hold.
func (r *report) judge() {
	var f []string
	for _, c := range r.Cells {
		where := fmt.Sprintf("%s at %d/s", c.Scenario, c.Rate)
		for _, t := range c.Targets {
			if t.Errors > 0 {
				f = append(f, fmt.Sprintf("%s: %s had %d errors (%d transport, the rest answers outside 2xx)", where, t.Name, t.Errors, t.TransportErrors))
			}
		}
		if c.SecwgDropped > 0 {
			f = append(f, fmt.Sprintf("%s: secwg dropped %.0f deliveries (secwg_queue_dropped_total)", where, c.SecwgDropped))
		}
		if c.Scenario != "ignored" {
			continue
		}
		if c.Refused != "" {
			f = append(f, fmt.Sprintf("%s: no ratio: %s", where, c.Refused))
		}
		if v, ok := c.Ratios["secwg/bare"]; ok && v > r.Settings.Goal {
			f = append(f, fmt.Sprintf("%s: secwg p99 is %sx the bare server's (goal %gx)", where, fmtRatio(v), r.Settings.Goal))
		}
		if v, ok := c.Ratios["secwg/octokit"]; ok && v > 1 {
			f = append(f, fmt.Sprintf("%s: secwg p99 is %sx @octokit/webhooks' (goal 1x)", where, fmtRatio(v)))
		}
		if sw := c.target("secwg"); sw != nil && sw.CPUPerDelivery != nil && *sw.CPUPerDelivery > r.Settings.CPUGoal {
			f = append(f, fmt.Sprintf("%s: secwg used %.0fus of CPU per delivery (goal %gus)", where, *sw.CPUPerDelivery, r.Settings.CPUGoal))
		}
	}
	if len(r.Cells) == 0 {
		f = append(f, "nothing was measured")
	}
	r.Failures = f
	r.GoalHolds = len(f) == 0
}

// formatText renders the report as plain tables for people.
func formatText(r *report) string {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "secwg-load: open loop; per target and cell, %gs measured in %d interleaved rounds after a %gs warmup\n",
		s.Duration, s.Rounds, s.Warmup)
	m := r.Machine
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(&b, ", %s; secwg log level %s, queue %d, workers %d\n", m.GoVersion, s.LogLevel, s.QueueSize, s.Workers)
	fmt.Fprintf(&b, "ratios are printed only when the generator's send lag p99 (due time to write call) is under %.0f%% of the fastest target's p99\n",
		100*s.MaxLagShare)
	if len(r.Cells) > 0 {
		var idle []string
		for _, t := range r.Cells[0].Targets {
			if t.IdleCPU != nil {
				idle = append(idle, fmt.Sprintf("%s %.0fus/s", t.Name, *t.IdleCPU))
			}
		}
		if len(idle) > 0 {
			fmt.Fprintf(&b, "cpu/delivery leaves out each target's idle CPU use: %s\n", strings.Join(idle, ", "))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}

	for _, c := range r.Cells {
		fmt.Fprintf(&b, "\n%s at %d/s (%s)\n", c.Scenario, c.Rate, c.About)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tsent\treq/s\tp50\tp90\tp99\tmax\terrors\tcpu/delivery\tsend lag p99\tconns\t")
		for _, t := range c.Targets {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t\n",
				t.Name, t.Sent, t.Throughput, fmtMs(t.P50), fmtMs(t.P90), fmtMs(t.P99), fmtMs(t.Max),
				t.Errors, fmtUs(t.CPUPerDelivery), fmtMs(t.SendLagP99), t.Dials)
		}
		tw.Flush()
		prio := "normal priority"
		if c.SenderRealtime {
			prio = "real-time priority"
		}
		fmt.Fprintf(&b, "generator lag p99 %s, max %s (sender at %s); write calls p99 %s\n", fmtMs(c.LagP99), fmtMs(c.LagMax), prio, fmtMs(c.WriteP99))
		if c.Refused != "" {
			fmt.Fprintf(&b, "p99 ratios: refused: %s\n", c.Refused)
		} else {
			fmt.Fprintf(&b, "p99 ratios: %s\n", fmtRatios(c.Ratios))
		}
		if len(c.SecwgOutcomes) > 0 {
			keys := slices.Sorted(maps.Keys(c.SecwgOutcomes))
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s=%d", k, c.SecwgOutcomes[k])
			}
			fmt.Fprintf(&b, "secwg outcomes, warmup included: %s\n", strings.Join(parts, " "))
		}
	}

	b.WriteString("\nsummary (p99; cpu is secwg's per delivery)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trate\tgen lag p99\tbare\tsecwg\toctokit\tsecwg/bare\tsecwg/octokit\tsecwg cpu\t")
	for _, c := range r.Cells {
		p99 := func(name string) string {
			if t := c.target(name); t != nil {
				return fmtMs(t.P99)
			}
			return "-"
		}
		ratio := func(k string) string {
			if c.Refused != "" {
				return "refused"
			}
			if v, ok := c.Ratios[k]; ok {
				return fmtRatio(v)
			}
			return "-"
		}
		cpu := "-"
		if t := c.target("secwg"); t != nil {
			cpu = fmtUs(t.CPUPerDelivery)
		}
		fmt.Fprintf(tw, "%s\t%d/s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.Scenario, c.Rate, fmtMs(c.LagP99),
			p99("bare"), p99("secwg"), p99("octokit"), ratio("secwg/bare"), ratio("secwg/octokit"), cpu)
	}
	tw.Flush()

	fmt.Fprintf(&b, "\ngoals (ignored deliveries): secwg p99 <= %gx bare and <= octokit, cpu <= %gus; everywhere: no errors, no drops\n", s.Goal, s.CPUGoal)
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

func fmtRatios(r map[string]float64) string {
	if len(r) == 0 {
		return "-"
	}
	keys := slices.Sorted(maps.Keys(r))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + fmtRatio(r[k])
	}
	return strings.Join(parts, ", ")
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

func fmtUs(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1fus", *v)
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

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

// testCell is an ignored-deliveries cell at 1000/s with the given p99s (ms)
// for bare, secwg and octokit (0 leaves the target out) and generator lag.
func testCell(lag, bare, secwg, octokit float64, mutate func(*cell)) cell {
	c := cell{Scenario: "ignored", About: "star", Rate: 1000, LagP99: lag, LagMax: 2 * lag, WriteP99: 0.03, SenderRealtime: true}
	for _, t := range []struct {
		name string
		p99  float64
	}{{"bare", bare}, {"secwg", secwg}, {"octokit", octokit}} {
		if t.p99 == 0 {
			continue
		}
		c.Targets = append(c.Targets, targetReport{Name: t.name, Sent: 3000, Answered: 3000, Throughput: 1000,
			P50: t.p99 / 2, P90: t.p99 * 0.8, P99: t.p99, Max: t.p99 * 3, Statuses: map[string]int{"202": 3000},
			CPUPerDelivery: ptr(20), SendLagP99: lag, IdleCPU: ptr(150)})
		if t.name == "bare" {
			c.Targets[len(c.Targets)-1].IdleCPU = ptr(0)
		}
	}
	if mutate != nil {
		mutate(&c)
	}
	c.compare()
	return c
}

func testReport(cells ...cell) *report {
	r := &report{
		Machine:  machine{OS: "linux", Arch: "amd64", CPUs: 2, GoVersion: "go1.26"},
		Settings: settings{Duration: 3, Warmup: 1, Rounds: 3, Spin: 100, MaxLagShare: maxLagShare, Goal: 1.25, CPUGoal: 50, LogLevel: "info", QueueSize: 1000, Workers: 4},
		Cells:    cells,
	}
	r.judge()
	return r
}

func TestCellRefusesRatiosWhenTheGeneratorLags(t *testing.T) {
	tests := []struct {
		name    string
		c       cell
		ratios  map[string]float64
		refused string
	}{
		{"lag well under a tenth", testCell(0.01, 0.3, 0.6, 0.9, nil),
			map[string]float64{"secwg/bare": 2, "secwg/octokit": 0.6 / 0.9}, ""},
		{"lag just under a tenth", testCell(0.0299, 0.3, 0.3, 0, nil), map[string]float64{"secwg/bare": 1}, ""},
		{"lag at a tenth", testCell(0.03, 0.3, 0.3, 0, nil), nil, "generator lag p99 0.030ms is 10% of the fastest target's p99 0.300ms; it must be under 10%"},
		{"lag as large as the latency", testCell(1.1, 1.2, 1.4, 1.3, nil), nil, "is 92% of the fastest target's p99 1.200ms"},
		{"the fastest target sets the bar, whichever it is", testCell(0.05, 0.9, 0.4, 0.8, nil), nil, "fastest target's p99 0.400ms"},
		{"without octokit", testCell(0.01, 0.2, 0.5, 0, nil), map[string]float64{"secwg/bare": 2.5}, ""},
		{"nothing answered", testCell(0.01, 0.3, 0.3, 0, func(c *cell) {
			for i := range c.Targets {
				c.Targets[i].Answered = 0
			}
		}), nil, "no target answered"},
		{"secwg silent", testCell(0.01, 0.3, 0.3, 0, func(c *cell) { c.Targets[1].Answered = 0 }), nil, "secwg answered nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.refused == "" && tt.c.Refused != "" {
				t.Fatalf("refused: %s", tt.c.Refused)
			}
			if !strings.Contains(tt.c.Refused, tt.refused) {
				t.Errorf("refusal %q, want it to contain %q", tt.c.Refused, tt.refused)
			}
			if tt.refused != "" && tt.c.Ratios != nil {
				t.Errorf("ratios %v given although refused", tt.c.Ratios)
			}
			if len(tt.c.Ratios) != len(tt.ratios) {
				t.Errorf("ratios %v, want %v", tt.c.Ratios, tt.ratios)
			}
			for k, v := range tt.ratios {
				if d := tt.c.Ratios[k] - v; d > 1e-9 || d < -1e-9 {
					t.Errorf("ratio %s = %v, want %v", k, tt.c.Ratios[k], v)
				}
			}
		})
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name  string
		cells []cell
		holds bool
		want  []string
	}{
		{"all goals met", []cell{testCell(0.01, 0.3, 0.35, 0.5, nil)}, true, nil},
		{"too slow beside bare", []cell{testCell(0.01, 0.3, 0.6, 0.9, nil)}, false,
			[]string{"ignored at 1000/s: secwg p99 is 2.00x the bare server's (goal 1.25x)"}},
		{"behind octokit", []cell{testCell(0.01, 0.3, 0.36, 0.33, nil)}, false,
			[]string{"secwg p99 is 1.09x @octokit/webhooks' (goal 1x)"}},
		{"a refused ratio cannot hold", []cell{testCell(1, 0.3, 0.3, 0.3, nil)}, false,
			[]string{"ignored at 1000/s: no ratio: generator lag p99 1.000ms"}},
		{"too much cpu", []cell{testCell(0.01, 0.3, 0.3, 0, func(c *cell) { c.Targets[1].CPUPerDelivery = ptr(140) })}, false,
			[]string{"secwg used 140us of CPU per delivery (goal 50us)"}},
		{"unknown cpu is not judged", []cell{testCell(0.01, 0.3, 0.3, 0, func(c *cell) { c.Targets[1].CPUPerDelivery = nil })}, true, nil},
		{"other scenarios are not held to the latency goals", []cell{testCell(1, 0.3, 0.9, 0.3, func(c *cell) {
			c.Scenario = "handled"
			c.Targets[1].CPUPerDelivery = ptr(300)
		})}, true, nil},
		{"errors fail any scenario", []cell{testCell(0.01, 0.3, 0.3, 0, func(c *cell) {
			c.Scenario = "duplicate"
			c.Targets[0].Errors, c.Targets[0].TransportErrors = 3, 1
		})}, false, []string{"duplicate at 1000/s: bare had 3 errors (1 transport, the rest answers outside 2xx)"}},
		{"drops fail", []cell{testCell(0.01, 0.3, 0.3, 0, func(c *cell) { c.SecwgDropped = 4 })}, false,
			[]string{"secwg dropped 4 deliveries"}},
		{"nothing measured", nil, false, []string{"nothing was measured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testReport(tt.cells...)
			if r.GoalHolds != tt.holds {
				t.Errorf("GoalHolds = %v, want %v (failures %q)", r.GoalHolds, tt.holds, r.Failures)
			}
			all := strings.Join(r.Failures, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("failures lack %q:\n%s", w, all)
				}
			}
		})
	}
}

// rowOf finds the table row that starts with first and second.
func rowOf(out, first, second string) []string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == first && (second == "" || f[1] == second) {
			return f
		}
	}
	return nil
}

func TestFormatText(t *testing.T) {
	ok := testCell(0.012, 0.3, 0.6, 0.9, nil)
	refused := testCell(1.1, 1.2, 1.4, 0, func(c *cell) { c.Rate = 5000; c.SecwgOutcomes = map[string]uint64{"ignored": 6000} })
	r := testReport(ok, refused)
	r.Notes = []string{"@octokit/webhooks not measured: --octokit=false"}
	out := formatText(r)
	for _, w := range []string{
		"3s measured in 3 interleaved rounds after a 1s warmup",
		"machine: linux/amd64, 2 CPUs, go1.26; secwg log level info, queue 1000, workers 4",
		"under 10% of the fastest target's p99",
		"note: @octokit/webhooks not measured: --octokit=false",
		"ignored at 1000/s (star)",
		"generator lag p99 0.012ms, max 0.024ms (sender at real-time priority); write calls p99 0.030ms",
		"cpu/delivery leaves out each target's idle CPU use: bare 0us/s, secwg 150us/s, octokit 150us/s",
		"p99 ratios: secwg/bare 2.00, secwg/octokit 0.67",
		"ignored at 5000/s (star)",
		"p99 ratios: refused: generator lag p99 1.100ms is 92% of the fastest target's p99 1.200ms",
		"secwg outcomes, warmup included: ignored=6000",
		"goal: fails",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	for _, tt := range []struct {
		first, second string
		want          string
	}{
		{"secwg", "3000", "secwg 3000 1000.0 0.300ms 0.480ms 0.600ms 1.800ms 0 20.0us 0.012ms 0"},
		{"ignored", "1000/s", "ignored 1000/s 0.012ms 0.300ms 0.600ms 0.900ms 2.00 0.67 20.0us"},
		{"ignored", "5000/s", "ignored 5000/s 1.100ms 1.200ms 1.400ms - refused refused 20.0us"},
	} {
		if got := strings.Join(rowOf(out, tt.first, tt.second), " "); got != tt.want {
			t.Errorf("row %q, want %q", got, tt.want)
		}
	}
	// Every table's columns line up.
	var widths []int
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 5 && (f[0] == "target" || f[0] == "bare" || f[0] == "secwg" || f[0] == "octokit") {
			widths = append(widths, len(l))
		}
	}
	if len(widths) != 7 || widths[0] != widths[1] || widths[0] != widths[2] || widths[0] != widths[3] || widths[4] != widths[5] || widths[4] != widths[6] {
		t.Errorf("ragged tables (row widths %v):\n%s", widths, out)
	}
}

func TestJSONReport(t *testing.T) {
	r := testReport(testCell(0.012, 0.3, 0.6, 0.9, nil), testCell(1.1, 1.2, 1.4, 0, func(c *cell) { c.Targets[0].CPUPerDelivery = nil }))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		GoalHolds bool     `json:"goal_holds"`
		Failures  []string `json:"failures"`
		Settings  map[string]any
		Cells     []map[string]any `json:"cells"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.GoalHolds || len(got.Failures) == 0 || got.Settings["max_lag_share"] != 0.1 || len(got.Cells) != 2 {
		t.Fatalf("decoded %+v from %s", got, b)
	}
	ok, refused := got.Cells[0], got.Cells[1]
	if ok["generator_lag_p99_ms"] != 0.012 || ok["fastest_p99_ms"] != 0.3 || ok["write_p99_ms"] != 0.03 || ok["sender_realtime"] != true {
		t.Errorf("cell lag fields: %v", ok)
	}
	if ratios, _ := ok["p99_ratios"].(map[string]any); ratios["secwg/bare"] != 2.0 {
		t.Errorf("p99_ratios = %v, want secwg/bare 2", ok["p99_ratios"])
	}
	if _, has := ok["ratios_refused"]; has {
		t.Error("an accepted cell says ratios_refused")
	}
	if _, has := refused["p99_ratios"]; has {
		t.Error("a refused cell carries p99_ratios")
	}
	if s, _ := refused["ratios_refused"].(string); !strings.Contains(s, "generator lag p99 1.100ms") {
		t.Errorf("ratios_refused = %q", s)
	}
	targets, _ := refused["targets"].([]any)
	bare, _ := targets[0].(map[string]any)
	if _, has := bare["cpu_us_per_delivery"]; has {
		t.Error("an unknown CPU figure is written as a number")
	}
	for _, k := range []string{"name", "p50_ms", "p99_ms", "max_ms", "errors", "statuses", "send_lag_p99_ms", "write_p99_ms", "idle_cpu_us_per_second"} {
		if _, has := bare[k]; !has {
			t.Errorf("target lacks %q: %v", k, bare)
		}
	}
}

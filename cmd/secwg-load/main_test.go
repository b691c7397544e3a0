package main

import (
	"encoding/hex"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func seq(n int) []time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = time.Duration(i+1) * time.Millisecond
	}
	return d
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one sample", seq(1), 0.5, time.Millisecond},
		{"one sample max", seq(1), 1, time.Millisecond},
		{"p50 of 100", seq(100), 0.50, 50 * time.Millisecond},
		{"p90 of 100", seq(100), 0.90, 90 * time.Millisecond},
		{"p99 of 100 does not round up", seq(100), 0.99, 99 * time.Millisecond},
		{"max of 100", seq(100), 1, 100 * time.Millisecond},
		{"p99 of 10 is the max", seq(10), 0.99, 10 * time.Millisecond},
		{"p50 of 10", seq(10), 0.50, 5 * time.Millisecond},
		{"p50 of 3 is the middle", seq(3), 0.50, 2 * time.Millisecond},
		{"p99 of 1000", seq(1000), 0.99, 990 * time.Millisecond},
		{"tiny q takes the first", seq(1000), 0.0001, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tt.sorted), tt.q, got, tt.want)
			}
		})
	}
}

func TestQuantilesOfSortsACopy(t *testing.T) {
	in := []time.Duration{5, 1, 4, 2, 3}
	q := quantilesOf(in)
	if q.p50 != 3 || q.max != 5 || q.p99 != 5 {
		t.Errorf("quantilesOf = %+v, want p50 3, p99 5, max 5", q)
	}
	if in[0] != 5 {
		t.Errorf("quantilesOf sorted its argument: %v", in)
	}
}

func TestSigner(t *testing.T) {
	tests := []struct {
		name, secret, body, want string
	}{
		// The example in GitHub's "Validating webhook deliveries".
		{"github example", "It's a Secret to Everybody", "Hello, World!", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		// echo -n '' | openssl dgst -sha256 -hmac key
		{"empty body", "key", "", "sha256=5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSigner([]byte(tt.secret))
			got := s.sign([]byte(tt.body))
			if got != tt.want {
				t.Fatalf("sign = %s, want %s", got, tt.want)
			}
			mac, _ := hex.DecodeString(strings.TrimPrefix(got, "sha256="))
			if !s.verify([]byte(tt.body), mac) {
				t.Error("verify rejects its own signature")
			}
			if s.verify([]byte(tt.body+"x"), mac) {
				t.Error("verify accepts a changed body")
			}
			if newSigner([]byte(tt.secret+"x")).verify([]byte(tt.body), mac) {
				t.Error("verify accepts another secret's signature")
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	tests := []struct {
		name      string
		rate      int
		i         int
		offset    time.Duration
		elapsed   time.Duration
		due       int
		within    time.Duration
		countWant int
	}{
		{"start", 1000, 0, 0, 0, 1, 0, 0},
		{"before start", 1000, 1, time.Millisecond, -1, 0, time.Nanosecond, 1},
		{"just before the second", 1000, 1, time.Millisecond, time.Millisecond - 1, 1, time.Millisecond, 1},
		{"on the second", 1000, 2, 2 * time.Millisecond, time.Millisecond, 2, time.Millisecond + 1, 2},
		{"ten seconds at 1000/s", 1000, 10000, 10 * time.Second, 10 * time.Second, 10001, 10 * time.Second, 10000},
		{"warmup at 1000/s", 1000, 2000, 2 * time.Second, 2*time.Second - 1, 2000, 2 * time.Second, 2000},
		{"a third of a second", 3, 1, 333333333 * time.Nanosecond, 333333333 * time.Nanosecond, 2, time.Second, 3},
		{"no drift at 3/s", 3, 3000, 1000 * time.Second, 1000*time.Second - 1, 3000, 1000 * time.Second, 3000},
		{"odd rate", 7, 7, time.Second, 999999999, 7, 2 * time.Second, 14},
		{"high rate", 1_000_000, 5, 5 * time.Microsecond, 5 * time.Microsecond, 6, time.Second, 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := offset(tt.i, tt.rate); got != tt.offset {
				t.Errorf("offset(%d, %d) = %v, want %v", tt.i, tt.rate, got, tt.offset)
			}
			if got := dueBy(tt.elapsed, tt.rate); got != tt.due {
				t.Errorf("dueBy(%v, %d) = %d, want %d", tt.elapsed, tt.rate, got, tt.due)
			}
			if got := countWithin(tt.within, tt.rate); got != tt.countWant {
				t.Errorf("countWithin(%v, %d) = %d, want %d", tt.within, tt.rate, got, tt.countWant)
			}
		})
	}
}

// dueBy must be the exact inverse of offset, or the sender skips or repeats requests.
func TestDueByInvertsOffset(t *testing.T) {
	for _, rate := range []int{1, 3, 7, 999, 1000, 1234, 250_000} {
		for i := range 5000 {
			o := offset(i, rate)
			if got := dueBy(o, rate); got != i+1 {
				t.Fatalf("rate %d: dueBy(offset(%d)) = %d, want %d", rate, i, got, i+1)
			}
			if got := dueBy(o-1, rate); got != i {
				t.Fatalf("rate %d: dueBy(offset(%d)-1) = %d, want %d", rate, i, got, i)
			}
		}
	}
}

func TestDeliveryIDs(t *testing.T) {
	// secwg's own pattern for X-GitHub-Delivery.
	valid := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	a, b := newDeliveryIDs(time.Unix(1, 0)), newDeliveryIDs(time.Unix(2, 0))
	seen := map[string]bool{}
	for _, d := range []*deliveryIDs{a, b, a} {
		for range 100 {
			id := d.next()
			if !valid.MatchString(id) {
				t.Fatalf("delivery ID %q does not match secwg's pattern", id)
			}
			if seen[id] {
				t.Fatalf("delivery ID %q repeated", id)
			}
			seen[id] = true
		}
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name             string
		samples          []sample
		from             time.Duration
		sent, answered   int
		non202, errors   int
		span             time.Duration
		throughputApprox float64
	}{
		{"empty", nil, 0, 0, 0, 0, 0, 0, 0},
		{
			"all accepted", []sample{
				{latency: 1, end: 2 * time.Second, status: 202},
				{latency: 2, end: 3 * time.Second, status: 202},
			}, time.Second, 2, 2, 0, 0, 2 * time.Second, 1,
		},
		{
			"error and refusal", []sample{
				{latency: 1, end: 1500 * time.Millisecond, status: 202},
				{latency: 1, end: 1500 * time.Millisecond, status: 503},
				{err: true, end: 9 * time.Second},
			}, time.Second, 3, 2, 1, 1, 500 * time.Millisecond, 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := summarize(tt.samples, tt.from)
			if r.sent != tt.sent || len(r.latencies) != tt.answered || r.non2xx != tt.non202 || r.errors != tt.errors || r.span != tt.span {
				t.Errorf("summarize = sent %d answered %d non202 %d errors %d span %v, want %d %d %d %d %v",
					r.sent, len(r.latencies), r.non2xx, r.errors, r.span, tt.sent, tt.answered, tt.non202, tt.errors, tt.span)
			}
			if got := r.throughput(); got != tt.throughputApprox {
				t.Errorf("throughput = %v, want %v", got, tt.throughputApprox)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	const text = `# HELP secwg_queue_dropped_total Webhook deliveries refused.
# TYPE secwg_queue_dropped_total counter
secwg_queue_dropped_total 7
secwg_queue_depth 0
secwg_webhook_deliveries_total{action="added",event="installation_repositories",outcome="accepted"} 11993
secwg_webhook_deliveries_total{action="added",event="installation_repositories",outcome="queue_full"} 5
secwg_webhook_deliveries_total{action="",event="unverified",outcome="queue_full"} 2 1700000000000
secwg_webhook_deliveries_total{action="",event="unverified",outcome="bad_signature"} 1e+00
malformed_line
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m.queueDropped != 7 {
		t.Errorf("queueDropped = %v, want 7", m.queueDropped)
	}
	want := map[string]float64{"accepted": 11993, "queue_full": 7, "bad_signature": 1}
	for k, v := range want {
		if m.outcomes[k] != v {
			t.Errorf("outcomes[%q] = %v, want %v", k, m.outcomes[k], v)
		}
	}
	if len(m.outcomes) != len(want) {
		t.Errorf("outcomes = %v, want %v", m.outcomes, want)
	}
}

func testBare(t *testing.T, secret []byte) *loopServer {
	t.Helper()
	bare, err := startBare(secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bare.Close)
	return bare
}

// The bare server is the baseline: it must accept exactly what secwg accepts
// on the signature, so the two targets do the same work up to secwg's extras.
func TestBareServer(t *testing.T) {
	secret := []byte("s3cret")
	bare := testBare(t, secret)
	body := starPayload
	good := newSigner(secret).sign(body)
	tests := []struct {
		name, sig string
		want      int
	}{
		{"signed", good, http.StatusAccepted},
		{"no signature", "", http.StatusUnauthorized},
		{"sha1 prefix", strings.Replace(good, "sha256=", "sha1=", 1), http.StatusUnauthorized},
		{"wrong mac", newSigner([]byte("other")).sign(body), http.StatusUnauthorized},
		{"short mac", good[:20], http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, bare.URL+webhookPath, strings.NewReader(string(body)))
			if tt.sig != "" {
				req.Header.Set("X-Hub-Signature-256", tt.sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want time.Duration
		ok   bool
	}{
		{"plain", "4242 (secwg) S 1 4242 4242 0 -1 4194560 1021 0 0 0 150 37 0 0 20 0 7 0 1234 0 0", 1870 * time.Millisecond, true},
		{"command with spaces and parens", "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0", 70 * time.Millisecond, true},
		{"truncated", "7 (x) R 1 7 7", 0, false},
		{"no command", "garbage", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u s 0 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStatCPU(tt.stat)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseStatCPU = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := cpuTime(os.Getpid()); !ok && runtime.GOOS == "linux" {
		t.Error("cpuTime cannot read this process's CPU time on Linux")
	}
}

func TestPerRequest(t *testing.T) {
	tests := []struct {
		cpu      time.Duration
		requests int
		want     float64
	}{
		{0, 0, 0},
		{time.Second, 0, 0},
		{time.Second, 1000, 1000},
		{2800 * time.Millisecond, 12000, 2800.0 / 12},
	}
	for _, tt := range tests {
		if got := perRequest(tt.cpu, tt.requests); got-tt.want > 1e-9 || tt.want-got > 1e-9 {
			t.Errorf("perRequest(%v, %d) = %v, want %v", tt.cpu, tt.requests, got, tt.want)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"245964397 84298161 733\n", 245964397, true},
		{"0 0 0", 0, true},
		{"", 0, false},
		{"x 1 2", 0, false},
		{"-5 1 2", 0, false},
	} {
		got, ok := parseSchedstat(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSchedstat(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCPUBetween(t *testing.T) {
	ms := time.Millisecond
	a := cpuReading{ok: true, stat: 100 * ms, threads: map[int]time.Duration{1: 50 * ms, 2: 30 * ms}}
	for _, tt := range []struct {
		name string
		b    cpuReading
		want time.Duration
		ok   bool
	}{
		{"every thread still there: to the nanosecond", cpuReading{ok: true, stat: 110 * ms, threads: map[int]time.Duration{1: 52 * ms, 2: 31*ms + 7}}, 3*ms + 7, true},
		{"a new thread counts whole", cpuReading{ok: true, stat: 110 * ms, threads: map[int]time.Duration{1: 51 * ms, 2: 30 * ms, 3: 4 * ms}}, 5 * ms, true},
		{"a thread ended: the whole process in ticks", cpuReading{ok: true, stat: 120 * ms, threads: map[int]time.Duration{1: 60 * ms}}, 20 * ms, true},
		{"no schedstat: ticks", cpuReading{ok: true, stat: 130 * ms}, 30 * ms, true},
		{"unreadable", cpuReading{}, 0, false},
	} {
		got, ok := cpuBetween(a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBusyCPULeavesOutIdleUse(t *testing.T) {
	ms := time.Millisecond
	if got := busyCPU(100*ms, 2*time.Second, 10*ms); got != 80*ms {
		t.Errorf("busyCPU = %v, want 80ms", got)
	}
	if got := busyCPU(5*ms, 2*time.Second, 10*ms); got != 0 {
		t.Errorf("busyCPU = %v, want 0, never negative", got)
	}
}

func TestReadCPUOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("no /proc")
	}
	a := readCPU(os.Getpid())
	if !a.ok || len(a.threads) == 0 {
		t.Fatalf("readCPU: ok %v, %d threads", a.ok, len(a.threads))
	}
	// Spin until the kernel has charged 30ms of CPU, not for 30ms of wall
	// time, which a busy machine may give to other processes.
	used := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for start := used(); used()-start < 30*time.Millisecond; {
	}
	d, ok := cpuBetween(a, readCPU(os.Getpid()))
	if !ok || d < 20*time.Millisecond {
		t.Errorf("30ms of CPU measured as %v, %v", d, ok)
	}
}

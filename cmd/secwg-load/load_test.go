package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary play the serve-bare child, as the real one does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveBareCommand {
		if err := serveBare(os.Stdin, os.Stdout); err != nil {
			os.Exit(exitSetup)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// recordingServer is the bare server that also keeps the delivery IDs it saw.
type recordingServer struct {
	*httptest.Server
	mu     sync.Mutex
	ids    []string
	bodies map[string]bool
}

func newRecordingServer(t *testing.T, secret []byte) *recordingServer {
	t.Helper()
	rs := &recordingServer{bodies: map[string]bool{}}
	bare := bareHandler(secret)
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.ids = append(rs.ids, r.Header.Get("X-GitHub-Delivery"))
		rs.bodies[string(body)] = true
		rs.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		bare.ServeHTTP(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// distinct counts the different delivery IDs and bodies received.
func (rs *recordingServer) distinct() (ids, bodies int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	seen := map[string]bool{}
	for _, id := range rs.ids {
		seen[id] = true
	}
	return len(seen), len(rs.bodies)
}

// A short open-loop run against the bare server: every request is sent,
// signed so that it is accepted, and carries the IDs and bodies its scenario
// asks for.
func TestDriveSendsEveryRequestSignedWithItsScenariosIDsAndBodies(t *testing.T) {
	secret := []byte("s3cret")
	for _, tt := range []struct {
		name     string
		ids      idSource
		distinct int
	}{
		{"new deliveries", newDeliveryIDs(time.Now()), 50},
		{"one delivery repeated", repeatID("same"), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRecordingServer(t, secret)
			pool, err := newConnPool(rs.URL+webhookPath, 100, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			p, err := newPacer(50*time.Microsecond, true)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			sh := shot{url: rs.URL + webhookPath, event: "star", body: starPayload, signer: newSigner(secret), ids: tt.ids}
			start := time.Now()
			samples := drive(context.Background(), pool, p, sh, 200, 50)
			for i, s := range samples {
				// The lag ends when the request is written, before its answer.
				if s.lag < 0 || s.lag > s.latency {
					t.Errorf("request %d: lag %v, latency %v", i, s.lag, s.latency)
				}
			}
			r := summarize(samples, 0)
			if r.sent != 50 || len(r.latencies) != 50 || r.non2xx != 0 || r.errors != 0 || r.statuses[202] != 50 {
				t.Errorf("sent %d answered %d non-2xx %d errors %d statuses %v, want 50 50 0 0 202:50", r.sent, len(r.latencies), r.non2xx, r.errors, r.statuses)
			}
			// Open loop at 200/s: the 50th request is not due before 245ms.
			if el := time.Since(start); el < 245*time.Millisecond {
				t.Errorf("50 requests at 200/s took %v; the schedule was not kept", el)
			}
			if ids, bodies := rs.distinct(); ids != tt.distinct || bodies != tt.distinct {
				t.Errorf("%d distinct delivery IDs and %d distinct bodies, want %d", ids, bodies, tt.distinct)
			}
			// How many depends on how fast the server answers; that they are counted does not.
			if n := pool.dials.Load(); n < 1 || n > 50 {
				t.Errorf("%d connections counted for 50 requests", n)
			}
		})
	}
}

func TestDriveCountsUnsentRequestsAsErrorsAfterTheDeadline(t *testing.T) {
	rs := newRecordingServer(t, []byte("s"))
	pool, err := newConnPool(rs.URL, 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p, err := newPacer(0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := summarize(drive(ctx, pool, p, shot{url: rs.URL, event: "star", body: starPayload, ids: repeatID("x")}, 1000, 20), 0)
	if r.sent != 20 || r.errors != 20 {
		t.Errorf("sent %d errors %d, want 20 20", r.sent, r.errors)
	}
}

// The pacer may be late but never early: an early send would raise the rate.
func TestPacerNeverReturnsBeforeTheDueTime(t *testing.T) {
	for _, spin := range []time.Duration{0, 20 * time.Microsecond, time.Millisecond} {
		p, err := newPacer(spin, false)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i := range 200 {
			due := offset(i, 20_000)
			p.waitUntil(start, due)
			if el := time.Since(start); el < due {
				t.Fatalf("spin %v: returned at %v for a send due at %v", spin, el, due)
			}
		}
		p.Close()
	}
}

// The bare server runs as a process of its own, started from this binary.
func TestBareProcessServesAndStops(t *testing.T) {
	dir := t.TempDir()
	c, err := startBareProcess("s3cret", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q is not on loopback", c.URL)
	}
	body := starPayload
	req, _ := http.NewRequest(http.MethodPost, c.URL+webhookPath, bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", newSigner([]byte("s3cret")).sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status %d, want 202", resp.StatusCode)
	}
	if _, ok := cpuTime(c.Pid()); !ok && runtime.GOOS == "linux" {
		t.Error("cannot read the bare server's CPU")
	}
	if err := c.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	select {
	case <-c.exited:
	default:
		t.Error("the bare server is still running after Stop")
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"defaults", nil, ""},
		{"one rate, one scenario", []string{"--rates", "250", "--scenarios", "duplicate"}, ""},
		{"bad rate", []string{"--rates", "1000,fast"}, `"fast" is not a rate`},
		{"zero rate", []string{"--rates", "0"}, "is not a rate"},
		{"unknown scenario", []string{"--scenarios", "ignored,push"}, `"push" is not one of ignored, duplicate, handled`},
		{"slices too short", []string{"--duration", "200ms", "--rounds", "3"}, "at least 100ms"},
		{"negative warmup", []string{"--warmup", "-1s"}, "not negative"},
		{"too many requests", []string{"--rates", "100000", "--duration", "10m"}, "at most 2000000 are allowed"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
	o, _ := parseFlags(nil, io.Discard)
	if len(o.rates) != 2 || o.rates[0] != 1000 || o.rates[1] != 5000 || len(o.scenarios) != 3 {
		t.Errorf("defaults: rates %v, %d scenarios; want 1000 and 5000, 3", o.rates, len(o.scenarios))
	}
	// Defaults: 2 rates x 3 scenarios x 3 targets x 4s.
	if n := plannedRequests(o, 3); n != (1000+5000)*4*3*3 {
		t.Errorf("plannedRequests = %d", n)
	}
}

// The payloads are what the scenarios say: a star event names no handler in
// secwg; the handled one names an installation, which secwg needs to queue it.
func TestScenarioPayloads(t *testing.T) {
	for _, sc := range scenarios {
		var p struct {
			Action       string `json:"action"`
			Installation *struct {
				ID int64 `json:"id"`
			} `json:"installation"`
		}
		if err := json.Unmarshal(sc.body, &p); err != nil {
			t.Fatalf("%s: %v", sc.name, err)
		}
		switch sc.name {
		case "ignored":
			if sc.event != "star" || sc.repeatID {
				t.Errorf("ignored: event %s, repeated IDs %v", sc.event, sc.repeatID)
			}
		case "duplicate", "handled":
			if sc.event != "installation_repositories" || p.Action != "added" || p.Installation == nil || p.Installation.ID == 0 {
				t.Errorf("%s: event %s action %q installation %v", sc.name, sc.event, p.Action, p.Installation)
			}
			if sc.repeatID != (sc.name == "duplicate") {
				t.Errorf("%s: repeated IDs %v", sc.name, sc.repeatID)
			}
		default:
			t.Errorf("untested scenario %s", sc.name)
		}
	}
}

// Each body is the payload with one more field naming its delivery, still
// JSON and signed as sent: new deliveries differ, a repeated one does not.
func TestShotPreparesBodiesAndSignatures(t *testing.T) {
	sign := newSigner([]byte("k"))
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var ids idSource = newDeliveryIDs(time.Unix(3, 0))
			want := 3
			if sc.repeatID {
				ids, want = repeatID("again"), 1
			}
			sh := shot{url: "http://127.0.0.1:1" + webhookPath, body: sc.body, signer: sign, ids: ids}
			seen := map[string]bool{}
			ds, err := sh.prepare(3)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				body := append(append([]byte{}, sh.head()...), d.tail...)
				seen[string(body)] = true
				var got, orig map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				json.Unmarshal(sc.body, &orig)
				if got["secwg_load_delivery"] != d.id {
					t.Errorf("body names delivery %v, want %s", got["secwg_load_delivery"], d.id)
				}
				delete(got, "secwg_load_delivery")
				if len(got) != len(orig) || got["action"] != orig["action"] {
					t.Errorf("body lost the payload's fields: %d keys, want %d", len(got), len(orig))
				}
				mac, _ := hex.DecodeString(strings.TrimPrefix(d.signature, "sha256="))
				if !sign.verify(body, mac) {
					t.Error("signature does not match the body sent")
				}
			}
			if len(seen) != want {
				t.Errorf("%d different bodies, want %d", len(seen), want)
			}
		})
	}
}

func TestMetricsSince(t *testing.T) {
	before := serverMetrics{queueDropped: 2, outcomes: map[string]float64{"ignored": 10, "accepted": 5}}
	after := serverMetrics{queueDropped: 3, outcomes: map[string]float64{"ignored": 10, "accepted": 9, "duplicate": 4}}
	d := after.since(before)
	if d.queueDropped != 1 || len(d.outcomes) != 2 || d.outcomes["accepted"] != 4 || d.outcomes["duplicate"] != 4 {
		t.Errorf("since = %+v", d)
	}
}

// secwg serves /metrics on its admin port; versions without one, on the public port.
func TestScrapeMetricsFallsBackToThePublicPort(t *testing.T) {
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "secwg_queue_dropped_total 3\n")
	}))
	defer public.Close()
	admin := httptest.NewServer(http.NotFoundHandler())
	defer admin.Close()
	for _, tt := range []struct {
		name string
		urls []string
		ok   bool
	}{
		{"admin first", []string{public.URL, admin.URL}, true},
		{"fallback", []string{admin.URL, public.URL}, true},
		{"nowhere", []string{admin.URL}, false},
	} {
		m, err := scrapeMetrics(http.DefaultClient, tt.urls)
		if (err == nil) != tt.ok || (tt.ok && m.queueDropped != 3) {
			t.Errorf("%s: %+v, %v", tt.name, m, err)
		}
	}
}

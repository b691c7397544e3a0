package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// signer produces and checks GitHub's X-Hub-Signature-256 values.
type signer struct{ secret []byte }

func newSigner(secret []byte) signer { return signer{secret: secret} }

// sign returns the header value for the body made of parts: "sha256=" and
// the hex HMAC-SHA256.
func (s signer) sign(parts ...[]byte) string {
	m := hmac.New(sha256.New, s.secret)
	for _, p := range parts {
		m.Write(p)
	}
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// verify reports whether mac is body's HMAC, in constant time.
func (s signer) verify(body, mac []byte) bool {
	m := hmac.New(sha256.New, s.secret)
	m.Write(body)
	return hmac.Equal(m.Sum(nil), mac)
}

// deliveryIDs hands out IDs unique within this run and, by the prefix, across
// runs against a long-lived server, so that secwg never sees a redelivery.
type deliveryIDs struct {
	prefix string
	n      atomic.Uint64
}

func newDeliveryIDs(now time.Time) *deliveryIDs {
	return &deliveryIDs{prefix: "load-" + strconv.FormatInt(now.UnixNano(), 36) + "-"}
}

func (d *deliveryIDs) next() string {
	return d.prefix + strconv.FormatUint(d.n.Add(1), 10)
}

// offset is when request i is due, counted from the start. Computing it from i
// rather than adding a period keeps rounding from drifting the rate.
func offset(i, rate int) time.Duration {
	return time.Duration(int64(i) * int64(time.Second) / int64(rate))
}

// dueBy is how many requests are due by elapsed: the i >= 0 with offset(i) <= elapsed.
func dueBy(elapsed time.Duration, rate int) int {
	if elapsed < 0 {
		return 0
	}
	return int(((int64(elapsed)+1)*int64(rate)-1)/int64(time.Second)) + 1
}

// countWithin is how many requests fall in [0, d).
func countWithin(d time.Duration, rate int) int { return dueBy(d-1, rate) }

// newClient keeps enough idle keep-alive connections for the rate that a burst
// of slow answers does not make every later request dial anew, and opens no
// more than it can keep: when a target stalls, requests wait for a connection
// (and their lag and latency say so) instead of churning thousands of dials
// that would load the machine further. It counts its dials: on keep-alive
// connections they should be few.
func newClient(rate int, timeout time.Duration) (*http.Client, *atomic.Int64) {
	idle := max(100, rate/10)
	dials := new(atomic.Int64)
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy: nil, // loopback only, whatever the environment says
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return d.DialContext(ctx, network, addr)
			},
			MaxIdleConns:        idle,
			MaxIdleConnsPerHost: idle,
			MaxConnsPerHost:     idle,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}, dials
}

// idSource hands out X-GitHub-Delivery values.
type idSource interface{ next() string }

// repeatID is one delivery ID sent again and again, as a redelivery would be.
type repeatID string

func (r repeatID) next() string { return string(r) }

// shot is what one target receives in one cell: the scenario's payload,
// signed, under IDs from ids. Each body ends with a field naming its delivery
// ID, so that distinct deliveries have distinct bodies, as GitHub's do (a
// receiver may deduplicate by body as well as by ID), and a repeated delivery
// has the same body each time, as a redelivery does.
type shot struct {
	url    string
	event  string
	body   []byte
	signer signer
	ids    idSource
}

// delivery is one request, prepared before the clock starts.
type delivery struct {
	id        string
	tail      []byte // sent after head
	signature string
}

// head is the part of the body every delivery shares: the payload without
// its closing brace, to which each tail adds a field.
func (t shot) head() []byte {
	b := bytes.TrimRight(t.body, " \t\r\n")
	return b[:len(b)-1]
}

// prepare makes n deliveries: IDs, bodies and signatures cost the sender
// nothing once the clock runs.
func (t shot) prepare(n int) []delivery {
	out := make([]delivery, n)
	head := t.head()
	for i := range out {
		d := delivery{id: t.ids.next()}
		if i > 0 && d.id == out[i-1].id {
			d = out[i-1] // a repeated delivery: the same body and signature
		} else {
			d.tail = fmt.Appendf(nil, `,"secwg_load_delivery":%q}`, d.id)
			d.signature = t.signer.sign(head, d.tail)
		}
		out[i] = d
	}
	return out
}

// sample is one request. Latency runs from the scheduled send time, not the
// actual one, so that a stalled sender or server shows up in the figures
// instead of silently lowering the rate (coordinated omission).
type sample struct {
	latency time.Duration
	// How late the whole request reached the connection: the generator's own
	// lag (scheduling, the HTTP client, a dial), which falls on every target alike.
	lag    time.Duration
	end    time.Duration // completion, from the start of the run
	status int
	err    bool
}

func (t shot) send(ctx context.Context, client *http.Client, start time.Time, due time.Duration, d delivery) sample {
	scheduled := start.Add(due)
	s := sample{lag: time.Since(scheduled)}
	// Set from the transport's writer goroutine, read after the answer.
	var wrote atomic.Int64
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		wrote.Store(int64(time.Since(scheduled)))
	}}
	head := t.head()
	body := io.MultiReader(bytes.NewReader(head), bytes.NewReader(d.tail))
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, t.url, body)
	if err != nil {
		s.err = true
		return s
	}
	req.ContentLength = int64(len(head) + len(d.tail))
	req.Header = http.Header{
		"Content-Type":        {"application/json"},
		"X-Github-Event":      {t.event},
		"X-Github-Delivery":   {d.id},
		"X-Hub-Signature-256": {d.signature},
	}
	resp, err := client.Do(req)
	if err == nil {
		// Read to the end so that the connection goes back to the pool.
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		s.status = resp.StatusCode
	}
	s.err = err != nil
	s.latency = time.Since(scheduled)
	s.end = time.Since(start)
	if w := time.Duration(wrote.Load()); w > 0 {
		s.lag = w
	}
	return s
}

// drive sends n requests to t at rate, open loop: each goes out on schedule
// in its own goroutine whether or not earlier ones have answered. A request
// whose time has passed goes out at once, late, and its lateness counts in
// its latency and in the send lag. Requests not yet sent when ctx ends are
// counted as errors.
func drive(ctx context.Context, client *http.Client, p *pacer, t shot, rate, n int) []sample {
	samples := make([]sample, n)
	deliveries := t.prepare(n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := offset(i, rate)
		p.waitUntil(start, due)
		if ctx.Err() != nil {
			for j := i; j < n; j++ {
				samples[j].err = true
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples[i] = t.send(ctx, client, start, due, deliveries[i])
		}()
	}
	wg.Wait()
	return samples
}

// result pools one target's measured samples, over one or more rounds.
type result struct {
	sent      int
	non2xx    int
	errors    int
	statuses  map[int]int
	latencies []time.Duration // requests that got an answer
	lags      []time.Duration
	span      time.Duration // from the first measured send to the last answer, summed over rounds
	dials     int64         // connections opened, warmup included
	cpu       time.Duration // the target process's CPU over the measured rounds
	cpuOK     bool
}

func summarize(samples []sample, measuredFrom time.Duration) result {
	r := result{sent: len(samples), statuses: map[int]int{}}
	var last time.Duration
	for _, s := range samples {
		r.lags = append(r.lags, s.lag)
		if s.err {
			r.errors++
			continue
		}
		r.statuses[s.status]++
		if s.status < 200 || s.status > 299 {
			r.non2xx++
		}
		r.latencies = append(r.latencies, s.latency)
		last = max(last, s.end)
	}
	if last > measuredFrom {
		r.span = last - measuredFrom
	}
	return r
}

func (r *result) merge(o result) {
	r.sent += o.sent
	r.non2xx += o.non2xx
	r.errors += o.errors
	if r.statuses == nil {
		r.statuses = map[int]int{}
	}
	for k, v := range o.statuses {
		r.statuses[k] += v
	}
	r.latencies = append(r.latencies, o.latencies...)
	r.lags = append(r.lags, o.lags...)
	r.span += o.span
	r.dials += o.dials
}

// throughput is answers per second over the measured span.
func (r result) throughput() float64 {
	if r.span <= 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.span.Seconds()
}

// percentile is the nearest-rank q-quantile (0 < q <= 1) of sorted, or 0 when empty.
func percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps products like 0.99*100 = 99.00000000000001 from taking the next rank.
	k := int(math.Ceil(q*float64(n) - 1e-9))
	k = min(max(k, 1), n)
	return sorted[k-1]
}

type quantiles struct {
	p50, p90, p99, max time.Duration
}

func quantilesOf(d []time.Duration) quantiles {
	s := slices.Clone(d)
	slices.Sort(s)
	return quantiles{
		p50: percentile(s, 0.50),
		p90: percentile(s, 0.90),
		p99: percentile(s, 0.99),
		max: percentile(s, 1),
	}
}

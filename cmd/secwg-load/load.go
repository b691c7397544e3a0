package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"runtime"
	"runtime/debug"
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
	header    []byte // the request line and headers, ready to write
}

// head is the part of the body every delivery shares: the payload without
// its closing brace, to which each tail adds a field.
func (t shot) head() []byte {
	b := bytes.TrimRight(t.body, " \t\r\n")
	return b[:len(b)-1]
}

// prepare makes n deliveries: IDs, bodies, signatures and headers cost the
// sender nothing once the clock runs.
func (t shot) prepare(n int) ([]delivery, error) {
	u, err := url.Parse(t.url)
	if err != nil {
		return nil, err
	}
	out := make([]delivery, n)
	head := t.head()
	for i := range out {
		d := delivery{id: t.ids.next()}
		if i > 0 && d.id == out[i-1].id {
			d = out[i-1] // a repeated delivery: the same body, signature and headers
		} else {
			d.tail = fmt.Appendf(nil, `,"secwg_load_delivery":%q}`, d.id)
			d.signature = t.signer.sign(head, d.tail)
			d.header = t.requestHeader(u, d, len(head)+len(d.tail))
		}
		out[i] = d
	}
	return out, nil
}

// requestHeader is an HTTP/1.1 POST of a JSON body of size bytes to u, with
// GitHub's delivery headers.
func (t shot) requestHeader(u *url.URL, d delivery, size int) []byte {
	var b []byte
	b = fmt.Appendf(b, "POST %s HTTP/1.1\r\n", u.RequestURI())
	b = fmt.Appendf(b, "Host: %s\r\n", u.Host)
	b = append(b, "User-Agent: secwg-load\r\n"...)
	b = append(b, "Content-Type: application/json\r\n"...)
	b = fmt.Appendf(b, "Content-Length: %d\r\n", size)
	b = fmt.Appendf(b, "X-GitHub-Event: %s\r\n", t.event)
	b = fmt.Appendf(b, "X-GitHub-Delivery: %s\r\n", d.id)
	b = fmt.Appendf(b, "X-Hub-Signature-256: %s\r\n", d.signature)
	return append(b, "\r\n"...)
}

// sample is one request. Latency runs from the scheduled send time, not the
// actual one, so that a stalled sender or server shows up in the figures
// instead of silently lowering the rate (coordinated omission).
type sample struct {
	latency time.Duration
	// How late the request was handed to the kernel: the generator's own lag
	// (its clock, waiting for a connection, a dial), which falls on every
	// target alike and pulls their ratios toward 1.
	lag time.Duration
	// How long the write call took: the kernel's sending, and on loopback
	// its receiving for the target too.
	write  time.Duration
	end    time.Duration // completion, from the start of the run
	status int
	err    bool
}

// drive sends n requests to t at rate, open loop: each goes out on schedule
// whether or not earlier ones have answered, on an idle connection of pool's
// or a new one. A request whose time has passed goes out at once, late, and
// its lateness counts in its latency and in the send lag. Requests not yet
// sent when ctx ends are counted as errors.
func drive(ctx context.Context, pool *connPool, p *pacer, t shot, rate, n int) []sample {
	samples := make([]sample, n)
	deliveries, err := t.prepare(n)
	if err != nil {
		for i := range samples {
			samples[i].err = true
		}
		return samples
	}
	head := t.head()
	flights := make([]flight, n)
	var wg sync.WaitGroup
	// No garbage collection while sending, short of the memory limit: a
	// collection stops the sender too. What the round left is collected after.
	gc := debug.SetGCPercent(-1)
	defer func() {
		debug.SetGCPercent(gc)
		runtime.GC()
	}()
	release := p.begin(rate)
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
		scheduled := start.Add(due)
		w, err := pool.get(ctx)
		if err != nil {
			since := time.Since(scheduled)
			samples[i] = sample{lag: since, latency: since, end: time.Since(start), err: true}
			continue
		}
		wg.Add(1)
		flights[i] = flight{scheduled: scheduled, start: start, out: &samples[i], done: wg.Done}
		w.send(&flights[i], [][]byte{deliveries[i].header, head, deliveries[i].tail})
	}
	release()
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
	writes    []time.Duration // of requests that were written
	span      time.Duration   // from the first measured send to the last answer, summed over rounds
	dials     int64           // connections opened, warmup included
	cpu       time.Duration   // the target process's CPU over the measured rounds
	cpuOK     bool
}

func summarize(samples []sample, measuredFrom time.Duration) result {
	r := result{sent: len(samples), statuses: map[int]int{}}
	var last time.Duration
	for _, s := range samples {
		r.lags = append(r.lags, s.lag)
		if s.write > 0 {
			r.writes = append(r.writes, s.write)
		}
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
	r.writes = append(r.writes, o.writes...)
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

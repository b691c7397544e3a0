package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// signer produces and checks GitHub's X-Hub-Signature-256 values.
type signer struct{ secret []byte }

func newSigner(secret []byte) signer { return signer{secret: secret} }

// sign returns the header value for body: "sha256=" and the hex HMAC-SHA256.
func (s signer) sign(body []byte) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write(body)
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
// of slow answers does not make every later request dial anew. It counts its
// dials: on keep-alive connections they should be few.
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
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}, dials
}

type target struct {
	url    string
	signer signer
	ids    *deliveryIDs
}

// sample is one request. Latency runs from the scheduled send time, not the
// actual one, so that a stalled sender or server shows up in the figures
// instead of silently lowering the rate (coordinated omission).
type sample struct {
	latency time.Duration
	lag     time.Duration // actual send time minus scheduled send time
	end     time.Duration // completion, from the start of the run
	status  int
	err     bool
}

func (t target) send(ctx context.Context, client *http.Client, start time.Time, due time.Duration) sample {
	scheduled := start.Add(due)
	s := sample{lag: time.Since(scheduled)}
	body := []byte(loadPayload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		s.err = true
		return s
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", loadEvent)
	req.Header.Set("X-GitHub-Delivery", t.ids.next())
	req.Header.Set("X-Hub-Signature-256", t.signer.sign(body))
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
	return s
}

// drive sends requests to t at rate for warmup+duration, open loop: each goes
// out on schedule in its own goroutine whether or not earlier ones have
// answered. Requests due during the warmup are sent but not counted.
func drive(ctx context.Context, client *http.Client, t target, rate int, warmup, duration time.Duration) result {
	total := countWithin(warmup+duration, rate)
	skip := countWithin(warmup, rate)
	samples := make([]sample, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; {
		// Send everything already due: after an oversleep the sender catches up
		// at once, and the delay is charged to those requests' latency.
		for due := min(dueBy(time.Since(start), rate), total); i < due; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				samples[i] = t.send(ctx, client, start, offset(i, rate))
			}(i)
		}
		if i < total {
			time.Sleep(offset(i, rate) - time.Since(start))
		}
	}
	wg.Wait()
	return summarize(samples[skip:], offset(skip, rate))
}

// result pools one target's measured samples, over one or more rounds.
type result struct {
	sent      int
	non202    int
	errors    int
	latencies []time.Duration // requests that got an answer
	lags      []time.Duration
	span      time.Duration // from the first measured send to the last answer, summed over rounds
	dials     int64         // connections opened, warmup included
}

func summarize(samples []sample, measuredFrom time.Duration) result {
	r := result{sent: len(samples)}
	var last time.Duration
	for _, s := range samples {
		r.lags = append(r.lags, s.lag)
		if s.err {
			r.errors++
			continue
		}
		if s.status != http.StatusAccepted {
			r.non202++
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
	r.non202 += o.non202
	r.errors += o.errors
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

package webhookproxy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const testSecret = "channel-test-secret"

// fakeChannel is a smee server on loopback: each GET of /channel opens an
// event stream that starts with a ready event, as smee.io's does.
type fakeChannel struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	frames   chan string // the open stream's queue; nil between streams
	connects atomic.Int32
	seq      atomic.Int64
}

func newFakeChannel(t *testing.T) *fakeChannel {
	t.Helper()
	c := &fakeChannel{t: t}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeChannel) url() string { return c.srv.URL + "/channel" }

func (c *fakeChannel) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/channel" || r.Header.Get("Accept") != "text/event-stream" {
		http.NotFound(w, r)
		return
	}
	frames := make(chan string, 64)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "id: %d\nevent: ready\ndata: {}\n\n", c.seq.Add(1))
	w.(http.Flusher).Flush()
	c.mu.Lock()
	c.frames = frames
	c.mu.Unlock()
	c.connects.Add(1)
	defer func() {
		c.mu.Lock()
		if c.frames == frames {
			c.frames = nil
		}
		c.mu.Unlock()
	}()
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return // the server drops the stream
			}
			io.WriteString(w, f)
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// openStream waits for a stream and returns its queue.
func (c *fakeChannel) openStream() chan string {
	c.t.Helper()
	var frames chan string
	waitFor(c.t, "a stream to open", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		frames = c.frames
		return frames != nil
	})
	return frames
}

// send writes one raw SSE frame to the open stream.
func (c *fakeChannel) send(frame string) { c.openStream() <- frame }

// message sends data as an unnamed event, as smee.io sends deliveries.
func (c *fakeChannel) message(data string) {
	c.send(fmt.Sprintf("id: %d\ndata: %s\n\n", c.seq.Add(1), data))
}

// drop closes the open stream from the server side.
func (c *fakeChannel) drop() {
	frames := c.openStream()
	c.mu.Lock()
	c.frames = nil
	c.mu.Unlock()
	close(frames)
}

// envelope builds a message the way smee.io stores a POST: the request's
// headers, lower-cased, then body (the payload), query and timestamp.
func envelope(t *testing.T, headers map[string]string, body string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"host":"smee.io"`)
	for _, k := range sortedKeys(headers) {
		kj, _ := json.Marshal(strings.ToLower(k))
		vj, _ := json.Marshal(headers[k])
		fmt.Fprintf(&b, ",%s:%s", kj, vj)
	}
	fmt.Fprintf(&b, `,"body":%s,"query":{},"timestamp":%d}`, body, time.Now().UnixMilli())
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func sign(body string) string {
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// githubHeaders are the headers GitHub sends with a signed delivery of body.
func githubHeaders(id, body string) map[string]string {
	return map[string]string{
		"X-GitHub-Event":      "issues",
		"X-GitHub-Delivery":   id,
		"X-Hub-Signature-256": sign(body),
		"Content-Type":        "application/json",
		"User-Agent":          "GitHub-Hookshot/abc123",
	}
}

// received is what the webhook handler saw of one request.
type received struct {
	header     http.Header
	body       string
	path       string
	remoteAddr string
	signedOK   bool
}

// verifyingHandler checks X-Hub-Signature-256 over the body as received, as
// secwg's webhook route does, and answers 401 when it does not match.
func verifyingHandler() (http.Handler, chan received) {
	got := make(chan received, 100)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ok := hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte(sign(string(body))))
		got <- received{header: r.Header.Clone(), body: string(body), path: r.URL.Path, remoteAddr: r.RemoteAddr, signedOK: ok}
		if !ok {
			http.Error(w, "signature does not match the payload", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), got
}

// startProxy runs a proxy against the fake channel until the test ends.
func startProxy(t *testing.T, c *fakeChannel, target http.Handler, opts ...Option) *Proxy {
	t.Helper()
	opts = append([]Option{WithBackoff(time.Millisecond, 10*time.Millisecond)}, opts...)
	p, err := New(c.url(), target, zerolog.New(zerolog.NewTestWriter(t)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func next(t *testing.T, got chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a forwarded delivery")
		return received{}
	}
}

func TestDeliveryThroughTheChannelKeepsItsSignature(t *testing.T) {
	tests := []struct {
		name     string
		original string // the bytes GitHub signed and posted to the channel
		signedOK bool
	}{
		{"compact payload", `{"action":"opened","issue":{"number":1,"title":"Hello"}}`, true},
		{"non-ASCII text", `{"action":"edited","issue":{"title":"Réunion 😀","body":"a\nb \"q\""}}`, true},
		{"markup characters", `{"action":"opened","comment":{"body":"<script>&amp; /path"}}`, true},
		// The smee server parses the payload and JSON.stringify writes it back
		// without these escapes: the bytes change and the check refuses them.
		{"escaped markup is rewritten and fails the check", `{"action":"opened","comment":{"body":"\u003cb\u003e"}}`, false},
		{"pretty-printed payload is compacted and fails the check", "{\n  \"action\": \"opened\"\n}", false},
	}
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	startProxy(t, c, h)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
			// The smee server re-serialises the payload it parsed.
			stored, err := stringify([]byte(tt.original))
			if err != nil {
				t.Fatal(err)
			}
			c.message(envelope(t, githubHeaders(id, tt.original), string(stored)))
			r := next(t, got)
			if r.signedOK != tt.signedOK {
				t.Fatalf("signature valid = %v, want %v (body %q)", r.signedOK, tt.signedOK, r.body)
			}
			if tt.signedOK && r.body != tt.original {
				t.Errorf("body = %q, want GitHub's bytes %q", r.body, tt.original)
			}
			if r.header.Get("X-GitHub-Delivery") != id || r.header.Get("X-GitHub-Event") != "issues" {
				t.Errorf("headers = %v", r.header)
			}
			if r.path != DefaultPath {
				t.Errorf("path = %q, want %q", r.path, DefaultPath)
			}
		})
	}
}

func TestOnlyGitHubHeadersAreForwarded(t *testing.T) {
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	startProxy(t, c, h, WithPath("/hook"))
	body := `{"action":"opened"}`
	hdr := githubHeaders("11111111-1111-1111-1111-111111111111", body)
	hdr["X-Forwarded-For"] = "127.0.0.1"
	hdr["Cookie"] = "setup=stolen"
	hdr["Content-Type"] = "application/x-www-form-urlencoded"
	hdr["X-GitHub-Hook-ID"] = "42"
	c.message(envelope(t, hdr, body))
	r := next(t, got)
	if !r.signedOK {
		t.Fatal("signature did not verify")
	}
	for _, name := range []string{"X-Forwarded-For", "Cookie", "Host", "Timestamp", "Query"} {
		if v := r.header.Get(name); v != "" {
			t.Errorf("header %s = %q was forwarded", name, v)
		}
	}
	want := map[string]string{
		"Content-Type":     "application/json",
		"Content-Length":   fmt.Sprint(len(body)),
		"X-Github-Hook-Id": "42",
		"User-Agent":       "GitHub-Hookshot/abc123",
	}
	for k, v := range want {
		if r.header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, r.header.Get(k), v)
		}
	}
	if r.path != "/hook" {
		t.Errorf("path = %q, want /hook", r.path)
	}
	if strings.HasPrefix(r.remoteAddr, "127.") || strings.HasPrefix(r.remoteAddr, "[::1]") {
		t.Errorf("remote address %q looks like loopback", r.remoteAddr)
	}
}

func TestReconnectsAfterTheChannelDropsTheStream(t *testing.T) {
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	p := startProxy(t, c, h)
	for i := range 3 {
		body := fmt.Sprintf(`{"action":"opened","n":%d}`, i)
		c.message(envelope(t, githubHeaders(fmt.Sprintf("22222222-2222-2222-2222-%012d", i), body), body))
		if r := next(t, got); r.body != body || !r.signedOK {
			t.Fatalf("delivery %d: body %q signed %v", i, r.body, r.signedOK)
		}
		c.drop()
	}
	waitFor(t, "the fourth stream and the third delivery counted", func() bool {
		s := p.Stats()
		return s.Connections >= 4 && s.Forwarded == 3
	})
}

func TestReadyPingAndNamedEventsAreNotDeliveries(t *testing.T) {
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	p := startProxy(t, c, h)
	valid := func(id string) string {
		body := `{"action":"opened"}`
		return envelope(t, githubHeaders(id, body), body)
	}
	c.send("event: ping\ndata: {}\n\n")
	c.send("event: ready\ndata: {}\n\n")
	c.send("event: close\ndata: " + valid("33333333-3333-3333-3333-000000000001") + "\n\n")
	c.send(": a comment line\n\n")
	c.message(valid("33333333-3333-3333-3333-000000000002"))
	if r := next(t, got); r.header.Get("X-GitHub-Delivery") != "33333333-3333-3333-3333-000000000002" {
		t.Fatalf("first delivery forwarded is %q", r.header.Get("X-GitHub-Delivery"))
	}
	waitFor(t, "the delivery to be counted", func() bool { return p.Stats().Forwarded == 1 })
	if s := p.Stats(); s.Skipped != 0 {
		t.Errorf("stats = %+v, want 0 skipped", s)
	}
}

func TestMalformedMessagesAreSkippedAndCounted(t *testing.T) {
	body := `{"action":"opened"}`
	good := githubHeaders("44444444-4444-4444-4444-444444444444", body)
	without := func(name string) map[string]string {
		h := map[string]string{}
		for k, v := range good {
			if k != name {
				h[k] = v
			}
		}
		return h
	}
	tests := map[string]string{
		"not JSON":                 `hello`,
		"a JSON array":             `[1,2]`,
		"truncated JSON":           `{"x-github-event":"issues"`,
		"no event header":          envelope(t, without("X-GitHub-Event"), body),
		"no delivery header":       envelope(t, without("X-GitHub-Delivery"), body),
		"no signature":             envelope(t, without("X-Hub-Signature-256"), body),
		"no body":                  strings.Replace(envelope(t, good, body), `"body":{"action":"opened"},`, "", 1),
		"body is a string":         envelope(t, good, `"{\"action\":\"opened\"}"`),
		"body is an array":         envelope(t, good, `[]`),
		"header is a number":       strings.Replace(envelope(t, good, body), `"x-github-event":"issues"`, `"x-github-event":7`, 1),
		"header given twice":       strings.Replace(envelope(t, good, body), `"x-github-event":"issues"`, `"x-github-event":"issues","X-GitHub-Event":"push"`, 1),
		"header with a line break": strings.Replace(envelope(t, good, body), `"x-github-event":"issues"`, `"x-github-event":"issues\r\nX-Evil: 1"`, 1),
		"body nested too deep":     envelope(t, good, `{"a":`+strings.Repeat("[", maxDepth+1)+strings.Repeat("]", maxDepth+1)+`}`),
		"body with invalid JSON":   envelope(t, good, `{"a":01}`),
		"empty data":               ``,
	}
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	p := startProxy(t, c, h)
	for _, data := range tests {
		c.message(data)
	}
	c.message(envelope(t, good, body))
	if r := next(t, got); !r.signedOK || r.body != body {
		t.Fatalf("the valid delivery after the malformed ones: body %q signed %v", r.body, r.signedOK)
	}
	waitFor(t, "every malformed message to be counted", func() bool { return p.Stats().Skipped == int64(len(tests)) })
	select {
	case r := <-got:
		t.Fatalf("a malformed message reached the handler: %+v", r)
	default:
	}
	waitFor(t, "the valid delivery to be counted", func() bool { return p.Stats().Forwarded == 1 })
}

func TestOversizedEventDropsTheStreamAndIsCounted(t *testing.T) {
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	p := startProxy(t, c, h, WithMaxEventBytes(4096))
	big := `{"action":"opened","pad":"` + strings.Repeat("x", 8192) + `"}`
	c.message(envelope(t, githubHeaders("55555555-5555-5555-5555-000000000001", big), big))
	waitFor(t, "the oversized event to be counted", func() bool { return p.Stats().Oversized == 1 })
	waitFor(t, "a new stream", func() bool { return c.connects.Load() >= 2 })
	body := `{"action":"opened"}`
	c.message(envelope(t, githubHeaders("55555555-5555-5555-5555-000000000002", body), body))
	if r := next(t, got); r.body != body {
		t.Fatalf("after reconnecting, forwarded %q", r.body)
	}
	waitFor(t, "the delivery to be counted", func() bool { return p.Stats().Forwarded == 1 })
}

func TestSilentChannelIsReconnected(t *testing.T) {
	c := newFakeChannel(t)
	h, _ := verifyingHandler()
	startProxy(t, c, h, WithIdleTimeout(20*time.Millisecond))
	waitFor(t, "a reconnection after the channel fell silent", func() bool { return c.connects.Load() >= 3 })
}

func TestRunReturnsOnceTheDeliveryInFlightIsAnswered(t *testing.T) {
	c := newFakeChannel(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var answered atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		answered.Store(true)
	})
	p, err := New(c.url(), h, zerolog.Nop(), WithBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	body := `{"action":"opened"}`
	c.message(envelope(t, githubHeaders("66666666-6666-6666-6666-666666666666", body), body))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the handler")
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned before the delivery in flight was answered")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancellation", err)
	}
	if !answered.Load() {
		t.Error("the delivery in flight was not answered")
	}
}

func TestRunRejectsChannelURLsThatAreNotHTTP(t *testing.T) {
	for _, u := range []string{"", "smee.io/abc", "ftp://smee.io/abc", "https://", "javascript:alert(1)", "https://user:pw@smee.io/abc", "http://[::1"} {
		t.Run(u, func(t *testing.T) {
			if err := Run(context.Background(), u, http.NotFoundHandler(), zerolog.Nop()); err == nil {
				t.Errorf("Run(%q) = nil, want an error", u)
			}
		})
	}
}

func TestBackoffDoublesUpToItsCapWithJitter(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	steps := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for round := range 2 {
		for i, step := range steps {
			step *= time.Millisecond
			d := b.next()
			if d < step/2 || d > step {
				t.Fatalf("round %d wait %d = %v, want within [%v, %v]", round, i, d, step/2, step)
			}
		}
		b.reset()
	}
	// The waits differ: 200 draws from a range of 500 ms are not all equal.
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[b.next()] = true
	}
	if len(seen) < 2 {
		t.Error("the waits carry no jitter")
	}
}

func TestDeliveriesInFlightAreCapped(t *testing.T) {
	c := newFakeChannel(t)
	var inside, most atomic.Int32
	release := make(chan struct{})
	var answered atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inside.Add(-1)
		answered.Add(1)
	})
	startProxy(t, c, h, WithInFlight(2))
	body := `{"action":"opened"}`
	for i := range 6 {
		c.message(envelope(t, githubHeaders(fmt.Sprintf("77777777-7777-7777-7777-%012d", i), body), body))
	}
	waitFor(t, "two deliveries in the handler", func() bool { return inside.Load() == 2 })
	close(release)
	waitFor(t, "every delivery to be answered", func() bool { return answered.Load() == 6 })
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d deliveries were in the handler at once, want 2", m)
	}
}

func TestRateCapHoldsDeliveriesBack(t *testing.T) {
	c := newFakeChannel(t)
	h, got := verifyingHandler()
	// One delivery, then one an hour: the second must wait, not be dropped.
	p := startProxy(t, c, h, WithRate(1.0/3600, 1))
	body := `{"action":"opened"}`
	c.message(envelope(t, githubHeaders("88888888-8888-8888-8888-000000000001", body), body))
	next(t, got)
	c.message(envelope(t, githubHeaders("88888888-8888-8888-8888-000000000002", body), body))
	waitFor(t, "the second delivery to be held back", func() bool { return p.Stats().Throttled == 1 })
	if s := p.Stats(); s.Forwarded > 1 || s.Skipped != 0 {
		t.Errorf("stats = %+v, want the second delivery held, none skipped", s)
	}
}

func TestNewRefusesLimitsThatAreNotPositive(t *testing.T) {
	for name, opt := range map[string]Option{
		"zero rate":         WithRate(0, 10),
		"zero burst":        WithRate(10, 0),
		"zero in flight":    WithInFlight(0),
		"zero size":         WithMaxEventBytes(0),
		"inverted back-off": WithBackoff(time.Minute, time.Second),
	} {
		if _, err := New("https://smee.io/abc", http.NotFoundHandler(), zerolog.Nop(), opt); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestLargeDeliveryIsRebuiltAlone(t *testing.T) {
	c := newFakeChannel(t)
	var inside, most atomic.Int32
	var answered atomic.Int32
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if r.ContentLength > 100 {
			<-release
		}
		inside.Add(-1)
		answered.Add(1)
	})
	startProxy(t, c, h, WithInFlight(3), func(o *options) { o.largeEventBytes = 300 })
	large := `{"action":"opened","pad":"` + strings.Repeat("x", 200) + `"}`
	small := `{"action":"opened"}`
	c.message(envelope(t, githubHeaders("99999999-9999-9999-9999-000000000001", large), large))
	c.message(envelope(t, githubHeaders("99999999-9999-9999-9999-000000000002", small), small))
	waitFor(t, "the large delivery in the handler", func() bool { return inside.Load() == 1 })
	close(release)
	waitFor(t, "both deliveries answered", func() bool { return answered.Load() == 2 })
	if m := most.Load(); m != 1 {
		t.Errorf("%d deliveries were in the handler beside the large one", m-1)
	}
}

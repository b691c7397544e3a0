package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/githubtest"
)

// The webhook benchmarks drive the whole public handler (access log, guard,
// dedup, dispatcher, queue) with signed corpus payloads, as GitHub sends them.
// The logger writes JSON at info level to io.Discard, so the per-delivery log
// line is formatted as in production. The harness reuses one request and one
// response writer, so that allocs/op counts the server's allocations, not its own.

// benchServer is a configured server and a reusable signed delivery.
type benchServer struct {
	b       *testing.B
	handler http.Handler
	payload []byte
	req     *http.Request
	body    *rewindBody
	w       *discardWriter
}

func newBenchServer(b *testing.B, event, file string) *benchServer {
	b.Helper()
	var payload []byte
	for _, d := range githubtest.Corpus(b) {
		if d.Event == event && d.Name == file {
			payload = d.Body
		}
	}
	if payload == nil {
		b.Fatalf("no %s/%s in the webhook corpus", event, file)
	}
	gh := githubtest.New(b)
	cfg := testConfig(gh)
	// A queue deep enough that the benchmark loop never finds it full: a 503
	// would measure refusal, not handling.
	cfg.Server.QueueSize = 1 << 16
	srv, err := New(cfg, zerolog.New(io.Discard).Level(zerolog.InfoLevel))
	if err != nil {
		b.Fatal(err)
	}
	body := &rewindBody{data: payload}
	req := httptest.NewRequest(http.MethodPost, WebhookRoute, body)
	req.ContentLength = int64(len(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte(testSecret), payload))
	return &benchServer{b: b, handler: srv.Handler(), payload: payload, req: req, body: body, w: &discardWriter{header: http.Header{}}}
}

// reportCPU adds cpu-ns/op: the process's CPU time (user and system, the
// queue's workers and the garbage collector included) per delivery. On a
// machine whose cores are shared it is steadier than ns/op, which is wall time.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Answers by kind of delivery, told apart by their text: whether a handled
// delivery is acknowledged before or after its job may change, what it is may not.
var (
	ignoredAnswer   = answerStarting("ignored")
	duplicateAnswer = answerStarting("duplicate")
	handledAnswer   = func(status int, text string) bool {
		return status/100 == 2 && !ignoredAnswer(status, text) && !duplicateAnswer(status, text)
	}
)

func answerStarting(prefix string) func(int, string) bool {
	return func(status int, text string) bool { return status/100 == 2 && strings.HasPrefix(text, prefix) }
}

// deliver sends the payload once under id and fails the benchmark unless the
// answer is of the expected kind.
func (s *benchServer) deliver(id string, expected func(status int, text string) bool) {
	s.body.rewind()
	s.req.Header.Set("X-GitHub-Delivery", id)
	s.w.reset()
	s.handler.ServeHTTP(s.w, s.req)
	if !expected(s.w.status, s.w.text.String()) {
		s.b.Fatalf("delivery %s: unexpected answer %d %q", id, s.w.status, s.w.text.String())
	}
}

// BenchmarkWebhookIgnored is a star event, for which secwg has no handler,
// with a new delivery ID each time.
func BenchmarkWebhookIgnored(b *testing.B) {
	s := newBenchServer(b, "star", "created.payload.json")
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		i++
		s.deliver("ignored-"+strconv.Itoa(i), ignoredAnswer)
	}
}

// BenchmarkWebhookDuplicate redelivers one handled delivery: every answer
// comes from the dedup store.
func BenchmarkWebhookDuplicate(b *testing.B) {
	s := newBenchServer(b, "installation_repositories", "added.payload.json")
	s.deliver("duplicate", handledAnswer)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		s.deliver("duplicate", duplicateAnswer)
	}
}

// BenchmarkWebhookHandled is an installation_repositories event, whose
// handler logs and counts it without calling GitHub. Each delivery has a new
// ID and a body of its own, as distinct deliveries do (secwg may deduplicate
// by body too); bodies and signatures are made in batches with the timer
// stopped. The job runs on the queue's workers.
func BenchmarkWebhookHandled(b *testing.B) {
	s := newBenchServer(b, "installation_repositories", "added.payload.json")
	b.ReportAllocs()
	cpu := time.Duration(0)
	var batch []benchBody
	n := 0
	started := processCPU(b)
	for b.Loop() {
		if len(batch) == 0 {
			b.StopTimer()
			cpu += processCPU(b) - started
			batch = s.distinctBodies(n, 1024)
			started = processCPU(b)
			b.StartTimer()
		}
		n++
		s.body.data = batch[0].body
		s.req.ContentLength = int64(len(batch[0].body))
		s.req.Header.Set("X-Hub-Signature-256", batch[0].signature)
		batch = batch[1:]
		s.deliver("handled-"+strconv.Itoa(n), handledAnswer)
	}
	cpu += processCPU(b) - started
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

type benchBody struct {
	body      []byte
	signature string
}

// distinctBodies are the payload with a last field numbered from first on.
func (s *benchServer) distinctBodies(first, n int) []benchBody {
	head := bytes.TrimRight(s.payload, " \t\r\n")
	head = head[:len(head)-1]
	out := make([]benchBody, n)
	for i := range out {
		body := fmt.Appendf(append([]byte{}, head...), `,"bench_delivery":%d}`, first+i+1)
		out[i] = benchBody{body: body, signature: githubtest.Sign([]byte(testSecret), body)}
	}
	return out
}

// rewindBody is a request body that can be read again without allocating.
type rewindBody struct {
	data []byte
	r    bytes.Reader
}

func (b *rewindBody) rewind()                    { b.r.Reset(b.data) }
func (b *rewindBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *rewindBody) Close() error               { return nil }

// discardWriter keeps the status and the answer's text, and nothing else.
type discardWriter struct {
	header http.Header
	status int
	text   bytes.Buffer
}

func (w *discardWriter) reset() {
	clear(w.header)
	w.status = 0
	w.text.Reset()
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.text.Write(p)
}

package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubclient"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/metrics"
)

type (
	configT = config.Config
	appT    = config.App
)

const testSecret = "test-webhook-secret"

// syncBuffer collects logs written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// app is a running secwg server against a fake GitHub.
type app struct {
	t      *testing.T
	github *githubtest.Server
	server *Server
	url    string
	admin  string // the admin port's base URL
	client *http.Client
	logs   *syncBuffer
	stop   func() error
	// exited is closed when the server stops by itself or is stopped.
	exited chan struct{}
}

type appOptions struct {
	configure func(*config.Config)
	github    func(*githubtest.Server) // routes needed before the server starts
	opts      []Option
}

func testConfig(gh *githubtest.Server) *config.Config {
	c := &config.Config{}
	c.Server = config.Server{Port: 1, AdminPort: 2, QueueSize: 16, Workers: 2, JobTimeout: 5 * time.Second,
		ShutdownTimeout: 5 * time.Second, CacheSize: 1 << 20, MaxInflightBytes: 64 << 20}
	c.Logging = config.Logging{Level: "debug", Format: "json"}
	c.GitHub = config.GitHub{WebURL: "http://github.invalid", V3APIURL: "http://127.0.0.1:1/", V4APIURL: "http://127.0.0.1:1/graphql"}
	if gh != nil {
		c.GitHub.V3APIURL = gh.URL()
		c.GitHub.V4APIURL = gh.URL() + "graphql"
		c.GitHub.App = config.App{IntegrationID: githubtest.AppID, WebhookSecret: testSecret, PrivateKey: string(gh.PrivateKeyPEM())}
	}
	c.Setup.CredentialsPath = "secwg-credentials.yml"
	return c
}

// fastRetry keeps fault tests quick while still exercising the back-off.
func fastRetry() githubclient.RetryPolicy {
	return githubclient.RetryPolicy{MaxAttempts: 4, MaxElapsed: 10 * time.Second, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
}

// startApp runs the real server on a loopback port; setup mode when configured so.
func startApp(t *testing.T, o appOptions) *app {
	t.Helper()
	gh := githubtest.New(t)
	if o.github != nil {
		o.github(gh)
	}
	cfg := testConfig(gh)
	if o.configure != nil {
		o.configure(cfg)
	}
	logs := &syncBuffer{}
	logger := zerolog.New(logs).Level(zerolog.DebugLevel)
	opts := append([]Option{WithRetryPolicy(fastRetry())}, o.opts...)
	srv, err := New(cfg, logger, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		err := srv.ServeListeners(ctx, Listeners{Public: []net.Listener{ln}, Admin: adminLn})
		close(exited)
		done <- err
	}()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				t.Error("server did not stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	jar, _ := cookiejar.New(nil)
	return &app{t: t, github: gh, server: srv, url: "http://" + ln.Addr().String(), admin: "http://" + adminLn.Addr().String(),
		client: &http.Client{Jar: jar}, logs: logs, stop: stop, exited: exited}
}

// labeledAs is the labeled payload made unique for one delivery: the server
// treats the same body under a new delivery ID as a replay.
func labeledAs(id string) string {
	return labeled[:len(labeled)-1] + `,"test_delivery":"` + id + `"}`
}

// deliver posts a signed payload and returns the status and body.
func (a *app) deliver(event, id, body string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.url+WebhookRoute, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte(testSecret), []byte(body)))
	return a.do(req)
}

func (a *app) do(req *http.Request) (int, string) {
	a.t.Helper()
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

func (a *app) get(path string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.url+path, nil)
	return a.do(req)
}

// getAdmin reads a path on the admin port.
func (a *app) getAdmin(path string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.admin+path, nil)
	return a.do(req)
}

// apiCalls counts GitHub requests other than the start-up identity check and tokens.
func (a *app) apiCalls() int {
	n := 0
	for _, r := range a.github.Requests() {
		if r.Path != "/app" && !strings.HasSuffix(r.Path, "/access_tokens") {
			n++
		}
	}
	return n
}

func (a *app) delivered(event, action, outcome string) float64 {
	return testutil.ToFloat64(a.server.metrics.Deliveries.WithLabelValues(event, action, outcome))
}

// eventually polls cond until it holds or a generous deadline passes; it waits for
// asynchronous work, it does not time it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder is a test handler that records what it ran, and can block or panic.
type recorder struct {
	events  []string
	actions map[string]bool // nil: every action
	mu      sync.Mutex
	ran     []string
	do      func(ctx context.Context, deliveryID string) error
}

var _ githubapp.EventHandler = (*recorder)(nil)

func (r *recorder) Handles() []string { return r.events }

func (r *recorder) HandlesAction(_, action string) bool {
	return r.actions == nil || r.actions[action]
}

func (r *recorder) Handle(ctx context.Context, _, deliveryID string, _ []byte) error {
	r.mu.Lock()
	r.ran = append(r.ran, deliveryID)
	do := r.do
	r.mu.Unlock()
	if do != nil {
		return do(ctx, deliveryID)
	}
	return nil
}

// setDo replaces what the handler does, for jobs that start afterwards.
func (r *recorder) setDo(do func(ctx context.Context, deliveryID string) error) {
	r.mu.Lock()
	r.do = do
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ran)
}

func httpGet(url string) (*http.Response, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	res, err := c.Get(url)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func newTestMetrics() *metrics.Metrics { return metrics.New() }

func nopLogger() zerolog.Logger { return zerolog.Nop() }

func testJob(id string) *job {
	return &job{handler: &recorder{events: []string{"issues"}}, event: "issues", id: id, payload: []byte(`{}`), finish: func(error) {}}
}

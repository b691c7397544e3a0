package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubtest"
)

func TestMetricsOnlyOnTheAdminPort(t *testing.T) {
	for _, mode := range []string{"webhook", "setup"} {
		t.Run(mode, func(t *testing.T) {
			a := startApp(t, appOptions{configure: func(c *configT) {
				if mode == "setup" {
					c.GitHub.App = appT{}
				}
			}})
			if status, _ := a.get(MetricsRoute); status != 404 {
				t.Errorf("public GET /metrics = %d, want 404", status)
			}
			status, body := a.getAdmin(MetricsRoute)
			if status != 200 || !strings.Contains(body, "go_goroutines") {
				t.Errorf("admin GET /metrics = %d", status)
			}
			for _, route := range []string{HealthRoute, ReadyRoute} {
				if status, _ := a.get(route); status == 404 {
					t.Errorf("public %s = 404", route)
				}
			}
		})
	}
}

func TestWebhookOverTheMemoryBudgetIsRefusedBeforeReading(t *testing.T) {
	a := startApp(t, appOptions{configure: func(c *configT) { c.Server.MaxInflightBytes = 1 << 20 }})
	body := &countingReader{limit: 2 << 20}
	req := httptest.NewRequest("POST", WebhookRoute, body)
	req.ContentLength = body.limit
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "big")
	req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32))
	rec := httptest.NewRecorder()
	a.server.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if body.n != 0 {
		t.Errorf("read %d bytes of a body over the budget", body.n)
	}
	if got := a.delivered("unverified", "", outcomeOverBudget); got != 1 {
		t.Errorf("over_budget counted %v times", got)
	}
	// A body within the budget still goes through once the first has gone.
	if status, _ := a.deliver("star", "small", `{"action":"created"}`); status != 202 {
		t.Errorf("small delivery after the refusal: %d", status)
	}
}

func TestReadSignedHoldsNoMoreThanTheBudget(t *testing.T) {
	secret := []byte("s")
	tests := []struct {
		name    string
		size    int64
		length  int64 // -1: unknown
		budget  int64
		wantErr error
	}{
		{"declared, fits", 100 << 10, 100 << 10, 1 << 20, nil},
		{"declared, over budget", 2 << 20, 2 << 20, 1 << 20, errOverBudget},
		{"declared, over the cap", 3 << 20, 3 << 20, 8 << 20, errTooLarge},
		{"chunked, fits", 700 << 10, -1, 4 << 20, nil},
		{"chunked, over budget", 3 << 20, -1, 1 << 20, errOverBudget},
		{"chunked, over the cap", 3 << 20, -1, 16 << 20, errTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newByteBudget(tt.budget)
			sb, err := readSigned(&countingReader{limit: tt.size}, tt.length, 2<<20, newMACPool(secret), nil, b)
			if err != tt.wantErr {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if b.used.Load() != 0 {
					t.Errorf("%d bytes still reserved after a refusal", b.used.Load())
				}
				return
			}
			if b.used.Load() > tt.budget || b.used.Load() < tt.size {
				t.Errorf("reserved %d for a body of %d", b.used.Load(), tt.size)
			}
			sb.release()
			if b.used.Load() != 0 {
				t.Errorf("%d bytes reserved after release", b.used.Load())
			}
		})
	}
}

func TestRejectedDeliveriesAreCountedInFullButLoggedSampled(t *testing.T) {
	a := startApp(t, appOptions{})
	const n = 300
	for i := range n {
		req, _ := http.NewRequest("POST", a.url+WebhookRoute, strings.NewReader(`{}`))
		req.Header.Set("X-GitHub-Delivery", "forged-"+strconv.Itoa(i))
		if status, _ := a.do(req); status != 401 {
			t.Fatalf("unsigned request answered %d", status)
		}
	}
	if got := a.delivered("unverified", "", outcomeBadSignature); got != n {
		t.Errorf("counted %v of %d refusals", got, n)
	}
	lines := strings.Count(a.logs.String(), `"outcome":"bad_signature"`)
	// A burst of 20 a second, then one in 100: the test's few seconds allow
	// well under a third of the requests.
	if lines == 0 || lines > n/3 {
		t.Errorf("%d log lines for %d refusals", lines, n)
	}
}

func TestShutdownTurnsNotReadyButKeepsAcceptingForTheDrainDelay(t *testing.T) {
	h := &recorder{events: []string{"issues"}}
	a := startApp(t, appOptions{
		opts:      []Option{WithHandlers(h)},
		configure: func(c *configT) { c.Server.DrainDelay = 3 * time.Second },
	})
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	stopped := make(chan error, 1)
	go func() { stopped <- a.stop() }()
	eventually(t, "/readyz to turn 503", func() bool { s, _ := a.get(ReadyRoute); return s == 503 })
	select {
	case <-a.exited:
		t.Fatal("the server stopped accepting before the drain delay")
	default:
	}
	// Still routed here: still answered.
	if status, body := a.deliver("issues", "late", `{"action":"opened","installation":{"id":1}}`); status >= 300 {
		t.Errorf("delivery during the drain delay: %d %s", status, body)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if h.count() != 1 {
		t.Errorf("the delivery accepted during the drain ran %d times", h.count())
	}
	if _, err := httpGet(a.url + HealthRoute); err == nil {
		t.Error("still answering after shutdown")
	}
}

func TestSetupModeListensOnLoopbackOnly(t *testing.T) {
	tests := []struct {
		name      string
		address   string
		set       bool
		wantHosts []string
	}{
		{"no address given", "", false, []string{"127.0.0.1", "::1"}},
		{"address given", "127.0.0.1", true, []string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(nil)
			cfg.GitHub.App = config.App{}
			cfg.Server.Port = freeTCPPort(t)
			cfg.Server.AdminAddress = "127.0.0.1"
			cfg.Server.AdminPort = freeTCPPort(t)
			cfg.Server.Address, cfg.Server.AddressSet = tt.address, tt.set
			logs := &syncBuffer{}
			srv, err := New(cfg, zerolog.New(logs))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- srv.Run(ctx) }()
			eventually(t, "the listener", func() bool { return strings.Count(logs.String(), `"mode":"setup"`) >= 1 })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			var hosts []string
			for _, line := range strings.Split(logs.String(), "\n") {
				if !strings.Contains(line, `"mode":"setup"`) {
					continue
				}
				addr := line[strings.Index(line, `"address":"`)+11:]
				addr = addr[:strings.Index(addr, `"`)]
				host, _, _ := net.SplitHostPort(addr)
				hosts = append(hosts, host)
			}
			for _, h := range hosts {
				if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
					t.Errorf("listening on %q", h)
				}
			}
			if len(hosts) == 0 || len(hosts) > len(tt.wantHosts) || hosts[0] != tt.wantHosts[0] {
				t.Errorf("listening on %v, want %v", hosts, tt.wantHosts)
			}
			if !tt.set && !strings.Contains(logs.String(), "loopback only") {
				t.Error("the log does not say setup mode is loopback only")
			}
		})
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestUnreadablePrivateKeyStopsStart(t *testing.T) {
	gh := githubtest.New(t)
	tests := []struct{ name, key, source, want string }{
		{"not PEM", "not a key", "GITHUB_APP_PRIVATE_KEY", "is not PEM text"},
		{"PEM but not RSA", "-----BEGIN RSA PRIVATE KEY-----\nTUlJZmFrZQ==\n-----END RSA PRIVATE KEY-----\n",
			"github.app.private_key_path (/etc/secwg/app.pem) in secwg.yml", "cannot be read as an RSA key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(gh)
			cfg.GitHub.App.PrivateKey, cfg.GitHub.App.PrivateKeySource = tt.key, tt.source
			_, err := New(cfg, zerolog.Nop())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.source) {
				t.Errorf("err = %v", err)
			}
			if n := len(gh.Requests()); n != 0 {
				t.Errorf("%d GitHub requests", n)
			}
		})
	}
}

// budgetAtFirstRead reports how much of the budget was held when the body's
// first byte was asked for: what a connection that sends nothing holds.
type budgetAtFirstRead struct {
	r      io.Reader
	budget *byteBudget
	held   int64
	asked  bool
}

func (b *budgetAtFirstRead) Read(p []byte) (int, error) {
	if !b.asked {
		b.asked, b.held = true, b.budget.used.Load()
	}
	return b.r.Read(p)
}

// A declared length is a claim, not bytes: it is charged as the bytes come,
// except a small body, whose pooled buffer is charged whole, as it is held whole.
func TestReadSignedChargesWhatItHolds(t *testing.T) {
	tests := []struct {
		name     string
		size     int64
		wantHeld int64 // reserved before the first byte, at most
		minHeld  int64 // once read
		maxHeld  int64
	}{
		{"small: the whole pooled buffer", 10, pooledBody, pooledBody, pooledBody},
		{"large: only the first chunk before any byte", 1 << 20, firstChunk + 1, 1 << 20, 1<<20 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newByteBudget(8 << 20)
			r := &budgetAtFirstRead{r: &countingReader{limit: tt.size}, budget: b}
			sb, err := readSigned(r, tt.size, 2<<20, newMACPool([]byte("s")), nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if r.held > tt.wantHeld {
				t.Errorf("held %d before the first byte, want at most %d", r.held, tt.wantHeld)
			}
			if got := b.used.Load(); got < tt.minHeld || got > tt.maxHeld {
				t.Errorf("held %d for a body of %d, want %d to %d", got, tt.size, tt.minHeld, tt.maxHeld)
			}
			sb.release()
			sb.recycle()
		})
	}
}

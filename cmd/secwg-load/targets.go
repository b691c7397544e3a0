package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxPayloadBytes is GitHub's cap on webhook payloads, as secwg enforces it.
const maxPayloadBytes = 25 << 20

// loopServer is an in-process HTTP server on a free loopback port.
type loopServer struct {
	URL string
	srv *http.Server
}

func serveLoopback(h http.Handler) (*loopServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with ErrServerClosed when the run is over
	return &loopServer{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

func (s *loopServer) Close() { s.srv.Close() }

// startStubAPI answers the one GitHub call secwg makes at start, GET /app, which
// turns its /readyz green.
func startStubAPI() (*loopServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"slug":"secwg-load","name":"secwg-load"}`)
	})
	mux.HandleFunc("/", http.NotFound)
	return serveLoopback(mux)
}

// bareHandler is the baseline: the least a webhook receiver must do (read
// the body, check its HMAC in constant time, answer 202), with nothing else.
func bareHandler(secret []byte) http.Handler {
	s := newSigner(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
		mac, err := hex.DecodeString(sig)
		if !ok || err != nil || len(mac) != sha256.Size {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayloadBytes))
		if err != nil {
			http.Error(w, "could not read the payload", http.StatusBadRequest)
			return
		}
		if !s.verify(body, mac) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// startBare runs the bare server in this process; tests use it.
func startBare(secret []byte) (*loopServer, error) { return serveLoopback(bareHandler(secret)) }

// secretEnv passes the webhook secret to the bare and Node servers.
const secretEnv = "SECWG_LOAD_SECRET" //nolint:gosec // the name of a variable, not a credential

// serveBareCommand is the hidden subcommand that runs the bare server as a
// process of its own, so that its CPU can be read like the other targets'
// and it does not share the load generator's runtime. It prints its URL,
// then serves until stdin closes or it is told to stop.
const serveBareCommand = "serve-bare"

func serveBare(stdin io.Reader, stdout io.Writer) error {
	secret := os.Getenv(secretEnv)
	if secret == "" {
		return errors.New(secretEnv + " is not set")
	}
	// Catch the stop signal before saying ready, so that it is never fatal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s, err := serveLoopback(bareHandler([]byte(secret)))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintln(stdout, readyPrefix+s.URL)
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(closed)
	}()
	select {
	case <-ctx.Done():
	case <-closed:
	}
	return nil
}

// readyPrefix starts the line a child server prints once it listens.
const readyPrefix = "listening "

// startChild runs a server process that prints readyPrefix and its URL on
// stdout, and waits for that line. The URL must be on loopback.
func startChild(name string, cmd *exec.Cmd, dir string, limit time.Duration) (*child, error) {
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	// The child stops when this pipe closes, even if this process is killed.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	c := newChild(cmd, dir, logFile)
	c.stdin = stdin
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				lines <- u
				break
			}
		}
		io.Copy(logFile, out)
	}()
	select {
	case u := <-lines:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			_ = c.Stop(5 * time.Second)
			return nil, fmt.Errorf("%s listens on %q, not on loopback", name, u)
		}
		c.URL = u
		return c, nil
	case <-c.exited:
		tail := c.logTail(2048)
		_ = c.Stop(time.Second)
		return nil, fmt.Errorf("%s exited before it listened: %v; its log ends:\n%s", name, c.waitErr, tail)
	case <-time.After(limit):
		tail := c.logTail(2048)
		_ = c.Stop(5 * time.Second)
		return nil, fmt.Errorf("%s: %w (%s); its log ends:\n%s", name, errNotReady, limit, tail)
	}
}

// startBareProcess runs this same program's serve-bare subcommand.
func startBareProcess(secret, dir string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, serveBareCommand)
	cmd.Dir = dir
	cmd.Env = append(childEnv(dir), secretEnv+"="+secret)
	return startChild("bare", cmd, dir, 30*time.Second)
}

// childEnv is a clean environment: a GITHUB_* or SECWG_* variable of the
// caller's must not leak in. The Go runtime's own knobs pass through, for
// experiments such as GOMAXPROCS=1.
func childEnv(home string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for _, k := range []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

type secwgConfig struct {
	binary    string
	apiURL    string
	secret    string
	logLevel  string
	logPath   string // empty: a temporary file
	queueSize int
	workers   int
}

// child is a target server running as a process of its own.
type child struct {
	URL string
	// Where secwg serves /metrics: its admin port, or URL where it has none.
	metricsURLs []string
	cmd         *exec.Cmd
	dir         string // removed by Stop
	log         *os.File
	stdin       io.Closer
	exited      chan struct{}
	waitErr     error
}

func newChild(cmd *exec.Cmd, dir string, log *os.File) *child {
	c := &child{cmd: cmd, dir: dir, log: log, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c
}

// startSecwg runs `secwg serve` on a free loopback port and waits for /readyz.
func startSecwg(c secwgConfig) (*child, error) {
	bin, err := filepath.Abs(c.binary)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("no secwg binary at %s (build it with: make build)", bin)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, err
	}
	// An empty working directory, so that no config/secwg.yml nearby changes the setup.
	dir, err := os.MkdirTemp("", "secwg-load-")
	if err != nil {
		return nil, err
	}
	logPath := c.logPath
	if logPath == "" {
		logPath = filepath.Join(dir, "secwg.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(childEnv(dir),
		"GITHUB_APP_INTEGRATION_ID=1",
		"GITHUB_APP_WEBHOOK_SECRET="+c.secret,
		"GITHUB_APP_PRIVATE_KEY="+string(keyPEM),
		"GITHUB_V3_API_URL="+c.apiURL,
		"GITHUB_V4_API_URL="+c.apiURL+"graphql",
		"SECWG_ADDRESS=127.0.0.1",
		"SECWG_PORT="+strconv.Itoa(port),
		// Versions with an admin port serve /metrics there; older ones ignore these.
		"SECWG_ADMIN_ADDRESS=127.0.0.1",
		"SECWG_ADMIN_PORT="+strconv.Itoa(adminPort),
		"SECWG_QUEUE_SIZE="+strconv.Itoa(c.queueSize),
		"SECWG_WORKERS="+strconv.Itoa(c.workers),
		"SECWG_LOG_LEVEL="+c.logLevel,
		"SECWG_LOG_FORMAT=json",
	)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	p := newChild(cmd, dir, logFile)
	p.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	p.metricsURLs = []string{"http://127.0.0.1:" + strconv.Itoa(adminPort) + "/metrics", p.URL + "/metrics"}
	if err := p.waitReady(30 * time.Second); err != nil {
		tail := p.logTail(2048)
		_ = p.Stop(5 * time.Second) // the readiness failure is the error worth reporting
		return nil, fmt.Errorf("%w; its log ends:\n%s", err, tail)
	}
	return p, nil
}

// Pid is the child's process id.
func (p *child) Pid() int { return p.cmd.Process.Pid }

func (p *child) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("secwg exited before it was ready: %w", p.waitErr)
		default:
		}
		if code, err := getStatus(client, p.URL+"/readyz"); err == nil && code == http.StatusOK {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("secwg /readyz: %w (%s)", errNotReady, limit)
}

// Stop sends SIGTERM, as an orchestrator would, and kills the child if it has
// not finished by limit. The temporary directory goes with it.
func (p *child) Stop(limit time.Duration) error {
	defer os.RemoveAll(p.dir)
	defer p.log.Close()
	if p.stdin != nil {
		defer p.stdin.Close()
	}
	select {
	case <-p.exited:
		return p.waitErr
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(limit):
		_ = p.cmd.Process.Kill() // it may have exited meanwhile; exited tells
		<-p.exited
		return errors.New(filepath.Base(p.cmd.Path) + " did not stop within " + limit.String() + " of SIGTERM; killed")
	}
}

func (p *child) logTail(n int64) string {
	f, err := os.Open(p.log.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		if _, err := f.Seek(fi.Size()-n, io.SeekStart); err != nil {
			return ""
		}
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverMetrics is what the report needs from secwg's /metrics.
type serverMetrics struct {
	queueDropped float64
	outcomes     map[string]float64 // secwg_webhook_deliveries_total summed by outcome
}

// scrapeMetrics reads the first of urls that serves metrics.
func scrapeMetrics(client *http.Client, urls []string) (serverMetrics, error) {
	var errs []error
	for _, url := range urls {
		m, err := scrapeOne(client, url)
		if err == nil {
			return m, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", url, err))
	}
	return serverMetrics{}, errors.Join(errs...)
}

func scrapeOne(client *http.Client, url string) (serverMetrics, error) {
	resp, err := client.Get(url)
	if err != nil {
		return serverMetrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverMetrics{}, fmt.Errorf("status %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the two series the report needs from Prometheus text.
func parseMetrics(r io.Reader) (serverMetrics, error) {
	m := serverMetrics{outcomes: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		switch name {
		case "secwg_queue_dropped_total":
			m.queueDropped += value
		case "secwg_webhook_deliveries_total":
			m.outcomes[labelValue(labels, "outcome")] += value
		}
	}
	return m, sc.Err()
}

// splitSample splits `name{labels} value` or `name value`; a timestamp after
// the value, which Prometheus allows, is ignored.
func splitSample(line string) (name, labels string, value float64, ok bool) {
	var rest string
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else {
		var found bool
		name, rest, found = strings.Cut(line, " ")
		if !found {
			return "", "", 0, false
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}

// labelValue finds key="value" in a label list. Values secwg emits are plain
// words, so escapes need no handling.
func labelValue(labels, key string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && k == key {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// since is what happened between before and m.
func (m serverMetrics) since(before serverMetrics) serverMetrics {
	d := serverMetrics{queueDropped: m.queueDropped - before.queueDropped, outcomes: map[string]float64{}}
	for k, v := range m.outcomes {
		if v -= before.outcomes[k]; v != 0 {
			d.outcomes[k] = v
		}
	}
	return d
}

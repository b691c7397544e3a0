package main

import (
	"bufio"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// process is secwg started as an operator starts it, with its log collected.
type process struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
}

func (p *process) log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.logs.String() }

// waitLog polls the log for a match of re and returns its first group.
func (p *process) waitLog(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.log()); m != nil {
			if len(m) > 1 {
				return m[1]
			}
			return m[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s in the log:\n%s", re, p.log())
	return ""
}

func runIn(t *testing.T, dir string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(secwgBinary(t), args...)}
	p.cmd.Dir = dir
	// Only the variables given: an operator's shell has no GITHUB_* or SECWG_* ones.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "SECWG_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("secwg did not stop on SIGTERM")
	}
}

// TestTrialFromAFreshDirectory follows the README on a new machine: the same
// `secwg serve` shows the setup page, registers the App (against the fake
// GitHub), and, started again, runs with the credentials and the meeting groups.
func TestTrialFromAFreshDirectory(t *testing.T) {
	gh := githubtest.New(t)
	meetingsynctest.New(gh)
	// The restarted server's redelivery loop reads the App's delivery log at start.
	gh.HookDeliveries()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	groups, err := os.ReadFile("testdata/meetings.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "secwg.yml"), groups, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	env := []string{"SECWG_PORT=" + strconv.Itoa(port), "SECWG_ADMIN_ADDRESS=127.0.0.1", "SECWG_ADMIN_PORT=" + strconv.Itoa(freePort(t)),
		"SECWG_DRAIN_DELAY=0s", "SECWG_LOG_FORMAT=json",
		"GITHUB_V3_API_URL=" + gh.URL(), "GITHUB_V4_API_URL=" + gh.URL() + "graphql", "GITHUB_WEB_URL=http://github.invalid"}

	first := runIn(t, dir, env, "serve")
	link := first.waitLog(t, regexp.MustCompile(`open (http://[^ ]+\?token=[A-Za-z0-9_-]+)`))
	link = strings.Replace(link, "localhost", "127.0.0.1", 1)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	page := get(t, browser, link, 200)
	for _, want := range []string{"What secwg will do", "<code>checks</code>", "How webhooks reach this server", "Through a new smee.io channel"} {
		if !strings.Contains(page, want) {
			t.Errorf("setup page lacks %q", want)
		}
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	res, err := browser.PostForm(base+"/setup/start", url.Values{"url": {"https://secwg.example.org"}, "name": {"secwg"}, "org": {"nodejs"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`action="[^"]*state=([0-9a-f]+)"`).FindStringSubmatch(html.UnescapeString(string(b)))
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("start: %d\n%s", res.StatusCode, b)
	}
	gh.ReplyJSON("POST /app-manifests/{code}/conversions", 201, map[string]any{
		"id": githubtest.AppID, "slug": githubtest.AppSlug, "node_id": "A_1", "name": "secwg", "owner": map[string]any{"login": "nodejs"},
		"html_url": "https://github.com/apps/" + githubtest.AppSlug, "webhook_secret": "whsec-trial", "pem": string(gh.PrivateKeyPEM()),
		"client_id": "Iv1.x", "client_secret": "cs", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
	})
	done := get(t, browser, base+"/setup/callback?code=trial&state="+m[1], 200)
	if !strings.Contains(done, "is registered") {
		t.Fatalf("callback page:\n%s", done)
	}
	first.stop(t)
	if info, err := os.Stat(filepath.Join(dir, "secwg-credentials.yml")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", info, err)
	}

	// The same command again: credentials and meeting groups together.
	second := runIn(t, dir, env, "serve")
	second.waitLog(t, regexp.MustCompile(`GitHub App credentials read from the setup page's file`))
	second.waitLog(t, regexp.MustCompile(`"mode":"webhook"`))
	second.waitLog(t, regexp.MustCompile(`GitHub App identity confirmed; ready`))
	second.waitLog(t, regexp.MustCompile(`"groups":1[,}].*meeting sync started|meeting sync started.*"groups":1`))
	if strings.Contains(second.log(), "whsec-trial") || strings.Contains(second.log(), "PRIVATE KEY") {
		t.Error("a secret reached the log")
	}
	second.stop(t)
}

func get(t *testing.T, c *http.Client, u string, want int) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", u, res.StatusCode, want, b)
	}
	return string(b)
}

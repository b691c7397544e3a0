package main

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// secwgBinary builds the real binary once per test run, without the race
// detector, so that memory is measured as operators run it.
func secwgBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secwg-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "secwg")
		cmd := exec.Command("go", "build", "-o", builtPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtPath
}

func testKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// startSecwg runs the real binary with credentials on free loopback ports; its
// GitHub is an address nothing answers on, which only delays readiness.
func startSecwg(t *testing.T, extraEnv ...string) (cmd *exec.Cmd, public, admin string, logs func() string) {
	t.Helper()
	port, adminPort := freePort(t), freePort(t)
	cmd = exec.Command(secwgBinary(t), "serve")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SECWG_ADDRESS=127.0.0.1", "SECWG_PORT="+strconv.Itoa(port),
		"SECWG_ADMIN_ADDRESS=127.0.0.1", "SECWG_ADMIN_PORT="+strconv.Itoa(adminPort),
		"GITHUB_APP_INTEGRATION_ID=1", "GITHUB_APP_WEBHOOK_SECRET=flood-secret", "GITHUB_APP_PRIVATE_KEY="+testKeyPEM(t),
		"GITHUB_APP_PRIVATE_KEY_PATH=", "GITHUB_V3_API_URL=http://127.0.0.1:1/", "GITHUB_V4_API_URL=http://127.0.0.1:1/graphql")
	cmd.Env = append(cmd.Env, extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var buf strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			buf.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	public = "127.0.0.1:" + strconv.Itoa(port)
	admin = "127.0.0.1:" + strconv.Itoa(adminPort)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + public + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("secwg did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, public, admin, func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
}

// peakRSS reads a process's high-water mark of resident memory.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to read peak memory from: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM line")
	return 0
}

// floodOne sends a 25 MiB chunked body with a well-formed but wrong signature
// over a raw connection, reading the answer while it writes, as a server that
// answers early must be read.
func floodOne(addr string) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	head := "POST /api/github/hook HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
		"X-GitHub-Event: push\r\nX-GitHub-Delivery: flood\r\n" +
		"X-Hub-Signature-256: sha256=" + strings.Repeat("ab", 32) + "\r\nTransfer-Encoding: chunked\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		return 0, err
	}
	go func() {
		chunk := make([]byte, 64<<10)
		for i := range chunk {
			chunk[i] = 'a'
		}
		prefix := []byte(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n")
		for sent := 0; sent < 25<<20; sent += len(chunk) {
			if _, err := conn.Write(append(append(prefix[:len(prefix):len(prefix)], chunk...), '\r', '\n')); err != nil {
				return
			}
		}
		io.WriteString(conn, "0\r\n\r\n")
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func TestTwentyForgedChunkedBodiesStayWithinTheMemoryBudget(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from /proc")
	}
	cmd, public, admin, logs := startSecwg(t)
	stop := make(chan struct{})
	var healthFailures, healthChecks atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			healthChecks.Add(1)
			res, err := c.Get("http://" + public + "/healthz")
			if err != nil || res.StatusCode != 200 {
				healthFailures.Add(1)
			}
			if err == nil {
				res.Body.Close()
			}
		}
	}()
	statuses := make([]int, 20)
	errs := make([]error, 20)
	var flood sync.WaitGroup
	for i := range statuses {
		flood.Add(1)
		go func() {
			defer flood.Done()
			statuses[i], errs[i] = floodOne(public)
		}()
	}
	flood.Wait()
	close(stop)
	wg.Wait()

	for i, s := range statuses {
		if errs[i] != nil || (s != 401 && s != 413 && s != 503) {
			t.Errorf("request %d: status %d, error %v", i, s, errs[i])
		}
	}
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("peak RSS %d MiB; answers %v; health checks %d", peak>>20, statuses, healthChecks.Load())
	if peak > 200<<20 {
		t.Errorf("peak RSS %d MiB, above 200 MiB", peak>>20)
	}
	if healthFailures.Load() > 0 {
		t.Errorf("/healthz failed %d of %d times during the flood", healthFailures.Load(), healthChecks.Load())
	}
	res, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `outcome="over_budget"`) && !strings.Contains(string(b), `outcome="bad_signature"`) {
		t.Errorf("the refusals were not counted:\n%s", logs())
	}
}

package main

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// When this variable is set, the test binary runs secwg itself, so that a real
// SIGTERM can be sent to a real process.
const childEnv = "SECWG_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(run(strings.Fields(os.Getenv(childEnv)), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	port := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), childEnv+"=serve", "SECWG_ADDRESS=127.0.0.1", "SECWG_PORT="+strconv.Itoa(port),
		"SECWG_ADMIN_ADDRESS=127.0.0.1", "SECWG_ADMIN_PORT="+strconv.Itoa(freePort(t)), "SECWG_DRAIN_DELAY=0s",
		"GITHUB_APP_INTEGRATION_ID=", "GITHUB_APP_WEBHOOK_SECRET=", "GITHUB_APP_PRIVATE_KEY=", "GITHUB_APP_PRIVATE_KEY_PATH=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var log []string
	for l := range lines {
		log = append(log, l)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, strings.Join(log, "\n"))
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("server did not stop on SIGTERM")
	}
	all := strings.Join(log, "\n")
	if !strings.Contains(all, "shutting down") || !strings.Contains(all, "shutdown complete") {
		t.Errorf("no shutdown lines:\n%s", all)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("still answering after exit")
	}
}

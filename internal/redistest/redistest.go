// Package redistest runs a private, throw-away redis-server for one test: its own
// loopback port and directory, no persistence, stopped when the test ends.
//
// Without redis-server on PATH a test skips, except under CI=true, where it fails:
// CI installs redis-server, so a missing one there is a broken setup, not a reason
// to pass silently.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a redis-server may take to accept connections.
const startTimeout = 10 * time.Second

// Option changes how the server runs.
type Option func(*Server)

// AppendOnly keeps every write in an append-only file synced at each write, so
// Restart keeps the data, as a production Redis with appendonly yes does.
func AppendOnly() Option { return func(s *Server) { s.appendOnly = true } }

// Server is one redis-server process owned by a test.
type Server struct {
	t          testing.TB
	bin        string
	dir        string
	port       int
	appendOnly bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{} // closed once cmd has been reaped
}

const missing = "redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it"

// Available reports whether redis-server is installed, for a test that runs its
// other cases without it. Under CI=true a missing one fails t instead.
func Available(t testing.TB) bool {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redistest: %s", missing)
		}
		return false
	}
	return true
}

// Start runs a redis-server on a free loopback port and stops it with t.Cleanup.
// It keeps nothing on disk unless AppendOnly is given. Without redis-server it
// skips t (fails it under CI=true).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	if !Available(t) {
		t.Skipf("redistest: %s", missing)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	t.Cleanup(s.stop)
	// A free port can be taken by someone else between probing and binding; try a few.
	for attempt := 0; ; attempt++ {
		s.port, err = freePort()
		if err == nil {
			err = s.start()
		}
		if err == nil {
			return s
		}
		if attempt == 4 {
			t.Fatalf("redistest: %v", err)
		}
	}
}

// Addr is host:port, for go-redis's Options.Addr.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is redis://host:port/0, for SECWG_REDIS_URL or redis.ParseURL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Restart stops the server and starts it again on the same port. Every key is
// lost, as in a real restart without persistence, unless the server runs with
// AppendOnly.
func (s *Server) Restart() {
	s.t.Helper()
	s.stop()
	var err error
	// The port was just released; another process may grab it, so retry briefly.
	deadline := time.Now().Add(startTimeout)
	for {
		if err = s.start(); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("redistest: restarting: %v", err)
	}
}

// Stop stops the server now, for tests of an unreachable Redis; Restart brings it back.
func (s *Server) Stop() { s.stop() }

func (s *Server) start() error {
	logPath := filepath.Join(s.dir, "redis.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	appendOnly := "no"
	if s.appendOnly {
		appendOnly = "yes"
	}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", appendOnly,
		"--appendfsync", "always",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--loglevel", "warning",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	// Poll until it answers PING; fail early if it exits (port taken, bad flag).
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			log.Close()
			return fmt.Errorf("redis-server on port %d exited at start (%v): %s", s.port, waitErr, tail(logPath))
		default:
		}
		if ping(s.Addr()) == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			log.Close()
			return fmt.Errorf("redis-server on port %d did not answer within %s: %s", s.port, startTimeout, tail(logPath))
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	s.cmd, s.log, s.exited = cmd, log, exited
	s.mu.Unlock()
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	cmd, log, exited := s.cmd, s.log, s.exited
	s.cmd, s.log, s.exited = nil, nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
	log.Close()
}

// ping sends a RESP PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New("unexpected reply to PING: " + strings.TrimSpace(line))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of the server's log, for a failure message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	const max = 1024
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The prepared bytes are one well-formed HTTP/1.1 request carrying the
// signed body and GitHub's headers.
func TestPreparedRequestParses(t *testing.T) {
	sign := newSigner([]byte("k"))
	sh := shot{url: "http://127.0.0.1:8080" + webhookPath, event: "star", body: starPayload, signer: sign, ids: newDeliveryIDs(time.Unix(5, 0))}
	ds, err := sh.prepare(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		raw := bytes.Join([][]byte{d.header, sh.head(), d.tail}, nil)
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("not an HTTP request: %v\n%s", err, raw)
		}
		body, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost || req.URL.Path != webhookPath || req.Host != "127.0.0.1:8080" || req.ProtoMinor != 1 {
			t.Errorf("request %s %s host %q HTTP/1.%d", req.Method, req.URL, req.Host, req.ProtoMinor)
		}
		if req.Header.Get("X-GitHub-Event") != "star" || req.Header.Get("X-GitHub-Delivery") != d.id || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", req.Header)
		}
		if int64(len(body)) != req.ContentLength || !bytes.Equal(body, append(append([]byte{}, sh.head()...), d.tail...)) {
			t.Errorf("body of %d bytes, Content-Length %d", len(body), req.ContentLength)
		}
		if req.Header.Get("X-Hub-Signature-256") != sign.sign(body) {
			t.Error("signature does not match the body")
		}
	}
}

func driveOnce(t *testing.T, url string, timeout time.Duration, n int) (result, *connPool) {
	t.Helper()
	return driveOnceOn(t, url, timeout, n, 20)
}

// driveOnceOn is driveOnce with at most conns connections.
func driveOnceOn(t *testing.T, url string, timeout time.Duration, n, conns int) (result, *connPool) {
	t.Helper()
	pool, err := newConnPool(url, conns, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	p, _ := newPacer(20*time.Microsecond, false)
	sh := shot{url: url, event: "star", body: starPayload, signer: newSigner([]byte("s")), ids: newDeliveryIDs(time.Now())}
	return summarize(drive(context.Background(), pool, p, sh, 500, n), 0), pool
}

// A server that closes each connection after answering still gets every
// request, each on a connection of its own.
func TestDriveAcrossConnectionsTheServerCloses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	r, pool := driveOnce(t, srv.URL+webhookPath, 5*time.Second, 20)
	if r.errors != 0 || r.statuses[202] != 20 {
		t.Errorf("errors %d statuses %v, want 0 and 202:20", r.errors, r.statuses)
	}
	if d := pool.dials.Load(); d != 20 {
		t.Errorf("%d connections opened, want 20", d)
	}
}

// Connections the server drops while idle are noticed and replaced, not
// written to: no request fails for it.
func TestDriveReplacesConnectionsDroppedWhileIdle(t *testing.T) {
	rs := newRecordingServer(t, []byte("s"))
	url := rs.URL + webhookPath
	pool, err := newConnPool(url, 20, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p, _ := newPacer(0, false)
	sh := shot{url: url, event: "star", body: starPayload, signer: newSigner([]byte("s")), ids: newDeliveryIDs(time.Now())}
	for round := range 2 {
		r := summarize(drive(context.Background(), pool, p, sh, 500, 10), 0)
		if r.errors != 0 || r.statuses[202] != 10 {
			t.Errorf("round %d: errors %d statuses %v", round, r.errors, r.statuses)
		}
		rs.CloseClientConnections()
		deadline := time.Now().Add(5 * time.Second)
		for {
			pool.mu.Lock()
			open := pool.open
			pool.mu.Unlock()
			if open == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if d := pool.dials.Load(); d < 2 {
		t.Errorf("%d connections opened over two rounds with a drop between, want at least 2", d)
	}
}

// A request that gets no answer within the timeout ends as a transport
// error, and drive returns.
func TestDriveTimesOutASilentServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	r, _ := driveOnce(t, srv.URL+webhookPath, 200*time.Millisecond, 5)
	if r.sent != 5 || r.errors != 5 {
		t.Errorf("sent %d errors %d, want 5 5", r.sent, r.errors)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("drive took %v with a 200ms timeout", el)
	}
}

// Answers that are not 2xx are counted as such, and chunked bodies are read
// to the end so that the connection carries the next request.
func TestDriveReadsChunkedAndErrorAnswers(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1)%2 == 0 {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
		for range 3 {
			io.WriteString(w, strings.Repeat("x", 100))
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	// One connection carries all ten only if each answer is read to its end.
	r, pool := driveOnceOn(t, srv.URL+webhookPath, 5*time.Second, 10, 1)
	if r.errors != 0 || r.statuses[200] != 5 || r.statuses[401] != 5 || r.non2xx != 5 {
		t.Errorf("errors %d statuses %v non-2xx %d", r.errors, r.statuses, r.non2xx)
	}
	if d := pool.dials.Load(); d != 1 {
		t.Errorf("%d connections for 10 requests through a pool of one; the answers were not read to the end", d)
	}
}

func TestConnPoolRejectsOtherSchemes(t *testing.T) {
	for _, u := range []string{"https://127.0.0.1:1/x", "127.0.0.1:1", "http:///x"} {
		if _, err := newConnPool(u, 1, time.Second); err == nil {
			t.Errorf("newConnPool(%q) accepted it", u)
		}
	}
}

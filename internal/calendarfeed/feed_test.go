package calendarfeed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

func TestFetchRevalidatesWithETag(t *testing.T) {
	var requests, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/calendar")
		_, _ = w.Write([]byte(feed))
	}))
	defer srv.Close()
	f := &Fetcher{Client: srv.Client()}
	for i := 0; i < 3; i++ {
		body, err := f.Fetch(context.Background(), srv.URL+"/basic.ics")
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != feed {
			t.Fatalf("fetch %d: body %q", i, body)
		}
	}
	if requests.Load() != 3 || notModified.Load() != 2 {
		t.Errorf("%d requests, %d answered 304; want 3 and 2", requests.Load(), notModified.Load())
	}
}

func TestFetchRejectsOversizedFeeds(t *testing.T) {
	big := strings.Repeat("X", 2048)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"announced length", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(big)) }},
		{"streamed without length", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 4; i++ {
				_, _ = w.Write([]byte(big[:600]))
				w.(http.Flusher).Flush()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			f := &Fetcher{Client: srv.Client(), MaxBytes: 1024}
			if _, err := f.Fetch(context.Background(), srv.URL); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestFetchTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	f := &Fetcher{Client: srv.Client(), Timeout: 50 * time.Millisecond}
	if _, err := f.Fetch(context.Background(), srv.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestFetchReportsHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	}))
	defer srv.Close()
	f := &Fetcher{Client: srv.Client()}
	if _, err := f.Fetch(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want it to carry the status", err)
	}
}

func TestFetchReadsLocalFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "basic.ics")
	if err := os.WriteFile(path, []byte(feed), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{MaxBytes: 1024}
	body, err := f.Fetch(context.Background(), path)
	if err != nil || string(body) != feed {
		t.Fatalf("body %q err %v", body, err)
	}
	if _, err := f.Fetch(context.Background(), filepath.Join(dir, "missing.ics")); err == nil {
		t.Error("missing file read without error")
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("X", 1025)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(context.Background(), path); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if _, err := f.Fetch(context.Background(), "ftp://calendar.example/x.ics"); err == nil {
		t.Error("ftp URL accepted")
	}
}

func TestFetchReadsFileURLs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cal.ics")
	if err := os.WriteFile(path, []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{}
	for _, u := range []string{"file://" + filepath.ToSlash(path), "file://localhost" + filepath.ToSlash(path)} {
		if body, err := f.Fetch(context.Background(), u); err != nil || !strings.HasPrefix(string(body), "BEGIN:VCALENDAR") {
			t.Errorf("Fetch(%s) = %q, %v", u, body, err)
		}
	}
	for _, u := range []string{"file://calendar.example/cal.ics", "file://" + filepath.ToSlash(path) + "?x=1"} {
		if _, err := f.Fetch(context.Background(), u); err == nil {
			t.Errorf("Fetch(%s) succeeded, want a file URL on another host or with a query refused", u)
		}
	}
}

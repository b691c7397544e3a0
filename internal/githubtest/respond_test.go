package githubtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSequenceAnswersInOrderThenRepeatsTheLast(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}", Sequence(
		Response{Status: http.StatusBadGateway},
		SecondaryRateLimit(2*time.Second),
		Response{Status: http.StatusOK, Body: `{"number":1}`},
	))
	var got []int
	for range 5 {
		status, _ := call(t, s, "GET", "/repos/o/r/issues/1", installation7, nil)
		got = append(got, status)
	}
	want := []int{502, 403, 200, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	rec.requireFailure(t)
}

func TestResponseDelayGivesWayToTheRequestContext(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.Handle("GET /rate_limit", Response{Delay: time.Minute}.ServeHTTP)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"rate_limit", nil)
	req.Header.Set("Authorization", installation7)
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// The server must not hold the handler for the full minute: Close in Cleanup would hang.
	if time.Since(start) > 30*time.Second {
		t.Errorf("request took %s", time.Since(start))
	}
	rec.requireFailure(t)
}

func TestETagAnswersNotModifiedToAMatchingIfNoneMatch(t *testing.T) {
	tests := []struct {
		name        string
		tag         string
		ifNoneMatch string
		wantStatus  int
	}{
		{"no condition", "abc", "", 200},
		{"same tag", "abc", `"abc"`, 304},
		{"weak form of the tag", "abc", `W/"abc"`, 304},
		{"tag in a list", `W/"abc"`, `"zzz", "abc"`, 304},
		{"any", "abc", "*", 304},
		{"other tag", "abc", `"abd"`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.Handle("GET /repos/{owner}/{repo}/labels/{name}", ETag(tt.tag, Response{Body: `{"name":"bug"}`}))
			req, _ := http.NewRequest("GET", s.URL()+"repos/o/r/labels/bug", nil)
			req.Header.Set("Authorization", installation7)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if !strings.Contains(resp.Header.Get("ETag"), "abc") {
				t.Errorf("ETag header %q", resp.Header.Get("ETag"))
			}
			if got := s.Requests()[0].Status; got != tt.wantStatus {
				t.Errorf("recorded status %d, want %d", got, tt.wantStatus)
			}
			rec.requireFailure(t)
		})
	}
}

func TestClosingTheServerEndsDelayedAnswers(t *testing.T) {
	done := make(chan error, 1)
	t.Run("test that leaves a request hanging", func(t *testing.T) {
		s := New(t)
		s.Handle("GET /rate_limit", Response{Delay: time.Hour}.ServeHTTP)
		req, _ := http.NewRequest("GET", s.URL()+"rate_limit", nil)
		req.Header.Set("Authorization", installation7)
		started := make(chan struct{})
		go func() {
			close(started)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		<-started
		for len(s.Requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
	})
	// Cleanup has closed the server; without ending the delay it would still be waiting.
	<-done
}

package githubtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/go-github/v60/github"
)

func appClient(t *testing.T, s *Server) *github.Client {
	t.Helper()
	c, err := newClientCreator(t, s).NewAppClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHookDeliveriesListPagesNewestFirstThroughTheLinkCursor(t *testing.T) {
	s := New(t)
	h := s.HookDeliveries()
	for i := range 250 {
		h.Add(HookDelivery{GUID: "g" + string(rune('a'+i%26)), StatusCode: 200, Event: "issues", Action: "opened"})
	}
	c := appClient(t, s)
	ctx := context.Background()
	var got []*github.HookDelivery
	opts := &github.ListCursorOptions{PerPage: 100}
	for {
		page, resp, err := c.Apps.ListHookDeliveries(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if resp.Cursor == "" {
			break
		}
		opts.Cursor = resp.Cursor
	}
	if len(got) != 250 || s.Count(PatternListHookDeliveries) != 3 {
		t.Fatalf("%d deliveries in %d requests, want 250 in 3", len(got), s.Count(PatternListHookDeliveries))
	}
	for i := 1; i < len(got); i++ {
		if got[i].GetID() >= got[i-1].GetID() {
			t.Fatalf("not newest first at %d: %d after %d", i, got[i].GetID(), got[i-1].GetID())
		}
	}
	if id := got[len(got)-1].GetID(); id <= 1<<31 {
		t.Errorf("id %d fits in 32 bits; GitHub's do not", id)
	}
}

func TestHookDeliveriesRedeliveryAddsAnAttemptForTheSameGUID(t *testing.T) {
	s := New(t)
	h := s.HookDeliveries()
	failed := h.Add(HookDelivery{GUID: "0b1c", StatusCode: 500, Event: "issue_comment", Action: "created", InstallationID: 7, RepositoryID: 1 << 33})
	h.SetRedeliveryOutcome(func(HookDelivery) (string, int) { return StatusText(503), 503 })
	c := appClient(t, s)
	ctx := context.Background()
	_, _, err := c.Apps.RedeliverHookDelivery(ctx, failed.ID)
	var accepted *github.AcceptedError
	if !errors.As(err, &accepted) {
		t.Fatalf("redeliver: %v, want go-github's AcceptedError for 202", err)
	}
	re := h.Redelivered()
	if len(re) != 1 || re[0].GUID != "0b1c" || re[0].ID == failed.ID || re[0].StatusCode != 503 || re[0].Status != "Invalid HTTP Response: 503" {
		t.Fatalf("redelivered attempts = %+v", re)
	}
	d, _, err := c.Apps.GetHookDelivery(ctx, re[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.GetRedelivery() || d.GetGUID() != "0b1c" || d.GetRepositoryID() != 1<<33 || d.GetInstallationID() != 7 || d.GetAction() != "created" {
		t.Fatalf("GET answered %v", d)
	}
	if _, _, err := c.Apps.RedeliverHookDelivery(ctx, 12345); err == nil {
		t.Fatal("redelivering an unknown delivery succeeded")
	}
}

func TestHookDeliveriesFilterByStatus(t *testing.T) {
	s := New(t)
	h := s.HookDeliveries()
	h.Add(HookDelivery{GUID: "ok", StatusCode: 200, Event: "ping"})
	h.Add(HookDelivery{GUID: "bad", StatusCode: 0, Event: "ping"})
	for _, tt := range []struct{ status, want string }{{"success", "ok"}, {"failure", "bad"}} {
		resp := do(t, s, http.MethodGet, "/app/hook/deliveries?status="+tt.status)
		if !bytes.Contains(resp, []byte(`"guid":"`+tt.want+`"`)) || bytes.Count(resp, []byte(`"guid"`)) != 1 {
			t.Errorf("status=%s answered %s", tt.status, resp)
		}
	}
}

// The three endpoints' requests and answers match GitHub's description: the
// fake validates the requests; here the answers are checked too.
func TestHookDeliveriesMatchGitHubDescription(t *testing.T) {
	sp := githubSpec(t)
	s := New(t)
	h := s.HookDeliveries()
	h.SetClock(func() time.Time { return time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC) })
	for i := range 3 {
		h.Add(HookDelivery{GUID: "g", StatusCode: 500 + i, Event: "issues", Action: "labeled", InstallationID: 7, RepositoryID: 1 << 33})
	}
	h.Add(HookDelivery{GUID: "p", StatusCode: 200, Event: "ping"}) // null action, installation and repository
	first := h.Attempts()[0].ID
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/app/hook/deliveries?per_page=2"},
		{http.MethodGet, "/app/hook/deliveries/" + itoa(first)},
		{http.MethodPost, "/app/hook/deliveries/" + itoa(first) + "/attempts"},
	} {
		req, resp, body := roundTrip(t, s, tt.method, tt.path)
		op, params, err := sp.find(req.Method, req.URL.EscapedPath())
		if err != nil {
			t.Fatal(err)
		}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: op.route},
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
		})
		if err != nil {
			t.Errorf("%s %s answered %s, which GitHub's description rejects: %v", tt.method, tt.path, body, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// roundTrip sends one request with the App's JWT and returns it, its answer and the body.
func roundTrip(t *testing.T, s *Server, method, path string) (*http.Request, *http.Response, []byte) {
	t.Helper()
	c := appClient(t, s)
	req, err := c.NewRequest(method, strings.TrimPrefix(path, "/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return req, resp, body
}

func do(t *testing.T, s *Server, method, path string) []byte {
	t.Helper()
	_, _, body := roundTrip(t, s, method, path)
	return body
}

package githubtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Patterns of the App's webhook delivery endpoints, which take the App's JWT.
const (
	PatternListHookDeliveries     = "GET /app/hook/deliveries"
	PatternGetHookDelivery        = "GET /app/hook/deliveries/{delivery_id}"
	PatternRedeliverHookDelivery  = "POST /app/hook/deliveries/{delivery_id}/attempts"
	firstHookDeliveryID           = int64(1)<<32 + 1 // GitHub's ids passed 2^31 long ago
	defaultHookDeliveriesPageSize = 30
)

// HookDelivery is one attempt in the App's webhook delivery log, as GitHub lists it.
// Every redelivery is a new attempt with its own ID and the same GUID.
type HookDelivery struct {
	ID             int64
	GUID           string
	DeliveredAt    time.Time
	Redelivery     bool
	Duration       float64
	Status         string // "OK" for a 2xx answer, else e.g. "Invalid HTTP Response: 500"
	StatusCode     int    // 0 when GitHub could not connect
	Event          string
	Action         string // "" is sent as null, as for events without actions
	InstallationID int64  // 0 is sent as null
	RepositoryID   int64  // 0 is sent as null
}

// HookDeliveries is a stateful App webhook delivery log behind the three
// endpoints: list (newest first, per_page up to 100, cursor pagination through
// the Link header, status=success|failure), get, and redeliver, which appends a
// new attempt for the same GUID whose outcome Redeliver decides.
type HookDeliveries struct {
	s *Server

	mu   sync.Mutex
	log  []HookDelivery // oldest first
	next int64
	now  func() time.Time
	// redeliver decides the outcome of a redelivery attempt.
	redeliver func(HookDelivery) (status string, code int)
}

// HookDeliveries registers the three App webhook delivery endpoints on s and
// returns their log, empty. Redeliveries succeed ("OK", 200) unless
// SetRedeliveryOutcome says otherwise.
func (s *Server) HookDeliveries() *HookDeliveries {
	s.t.Helper()
	h := &HookDeliveries{
		s:         s,
		next:      firstHookDeliveryID,
		now:       time.Now,
		redeliver: func(HookDelivery) (string, int) { return "OK", http.StatusOK },
	}
	s.Handle(PatternListHookDeliveries, h.list)
	s.Handle(PatternGetHookDelivery, h.get)
	s.Handle(PatternRedeliverHookDelivery, h.attempt)
	return h
}

// Add appends an attempt to the log and returns it. A zero ID gets the next one,
// a zero DeliveredAt now, an empty Status one matching StatusCode.
func (h *HookDeliveries) Add(d HookDelivery) HookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addLocked(d)
}

func (h *HookDeliveries) addLocked(d HookDelivery) HookDelivery {
	if d.ID == 0 {
		d.ID = h.next
	}
	h.next = max(h.next, d.ID) + 1
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = h.now()
	}
	if d.Status == "" {
		d.Status = StatusText(d.StatusCode)
	}
	h.log = append(h.log, d)
	return d
}

// StatusText is the status GitHub records for an answer's code: "OK" for 2xx.
func StatusText(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "OK"
	case code == 0:
		return "failed to connect to host"
	default:
		return fmt.Sprintf("Invalid HTTP Response: %d", code)
	}
}

// SetRedeliveryOutcome decides what later redelivery attempts record, given the
// attempt being redelivered.
func (h *HookDeliveries) SetRedeliveryOutcome(f func(HookDelivery) (status string, code int)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.redeliver = f
}

// SetClock replaces time.Now for new attempts.
func (h *HookDeliveries) SetClock(now func() time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = now
}

// Attempts returns every attempt, oldest first.
func (h *HookDeliveries) Attempts() []HookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HookDelivery(nil), h.log...)
}

// Redelivered returns the attempts made by redelivery requests, oldest first.
func (h *HookDeliveries) Redelivered() []HookDelivery {
	var out []HookDelivery
	for _, d := range h.Attempts() {
		if d.Redelivery {
			out = append(out, d)
		}
	}
	return out
}

func (h *HookDeliveries) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage := defaultHookDeliveriesPageSize
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "per_page must be a positive integer")
			return
		}
		perPage = min(n, 100)
	}
	status := q.Get("status")
	if status != "" && status != "success" && status != "failure" {
		writeError(w, http.StatusUnprocessableEntity, "status must be success or failure")
		return
	}
	// The cursor names the newest attempt of the page, opaque as GitHub's is.
	before := int64(-1)
	if c := q.Get("cursor"); c != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(c, "v1_"), 10, 64)
		if err != nil || !strings.HasPrefix(c, "v1_") {
			writeError(w, http.StatusBadRequest, "invalid cursor")
			return
		}
		before = id
	}

	h.mu.Lock()
	var page []map[string]any
	next := int64(-1)
	for i := len(h.log) - 1; i >= 0; i-- {
		d := h.log[i]
		if before >= 0 && d.ID > before {
			continue
		}
		if ok := d.Status == "OK"; (status == "success" && !ok) || (status == "failure" && ok) {
			continue
		}
		if len(page) == perPage {
			next = d.ID
			break
		}
		page = append(page, d.item())
	}
	h.mu.Unlock()

	header := http.Header{}
	if next >= 0 {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := url.Values{"per_page": {strconv.Itoa(perPage)}, "cursor": {"v1_" + strconv.FormatInt(next, 10)}}
		if status != "" {
			v.Set("status", status)
		}
		u.RawQuery = v.Encode()
		header.Set("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
	}
	if page == nil {
		page = []map[string]any{}
	}
	Response{Header: header, Body: page}.ServeHTTP(w, r)
}

func (h *HookDeliveries) find(w http.ResponseWriter, r *http.Request) (HookDelivery, bool) {
	id, err := strconv.ParseInt(r.PathValue("delivery_id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "delivery_id must be an integer")
		return HookDelivery{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.log {
		if d.ID == id {
			return d, true
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
	return HookDelivery{}, false
}

func (h *HookDeliveries) get(w http.ResponseWriter, r *http.Request) {
	d, ok := h.find(w, r)
	if !ok {
		return
	}
	body := d.item()
	body["url"] = "https://secwg.example/api/github/hook"
	body["request"] = map[string]any{
		"headers": map[string]string{"X-GitHub-Delivery": d.GUID, "X-GitHub-Event": d.Event},
		"payload": map[string]any{"action": d.Action},
	}
	body["response"] = map[string]any{"headers": map[string]string{}, "payload": nil}
	Response{Body: body}.ServeHTTP(w, r)
}

// attempt redelivers: GitHub answers 202 with an empty object and records a new
// attempt for the same GUID.
func (h *HookDeliveries) attempt(w http.ResponseWriter, r *http.Request) {
	d, ok := h.find(w, r)
	if !ok {
		return
	}
	h.mu.Lock()
	outcome := h.redeliver
	h.mu.Unlock()
	status, code := outcome(d)
	d.ID, d.DeliveredAt, d.Redelivery, d.Status, d.StatusCode = 0, time.Time{}, true, status, code
	h.Add(d)
	Response{Status: http.StatusAccepted, Body: map[string]any{}}.ServeHTTP(w, r)
}

// item is the hook-delivery-item shape: every required key, null where GitHub sends null.
func (d HookDelivery) item() map[string]any {
	nullable := func(v any, null bool) any {
		if null {
			return nil
		}
		return v
	}
	return map[string]any{
		"id":              d.ID,
		"guid":            d.GUID,
		"delivered_at":    d.DeliveredAt.UTC().Format(time.RFC3339),
		"redelivery":      d.Redelivery,
		"duration":        d.Duration,
		"status":          d.Status,
		"status_code":     d.StatusCode,
		"event":           d.Event,
		"action":          nullable(d.Action, d.Action == ""),
		"installation_id": nullable(d.InstallationID, d.InstallationID == 0),
		"repository_id":   nullable(d.RepositoryID, d.RepositoryID == 0),
		"throttled_at":    nil,
	}
}

package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Response is one canned answer. It is an http.Handler, so a single Response can be
// registered directly: s.Handle(pattern, githubtest.SecondaryRateLimit(time.Second).ServeHTTP).
type Response struct {
	Status int         // 200 when zero
	Header http.Header // extra headers, e.g. Retry-After, X-RateLimit-Remaining, ETag
	// Body is sent as is when it is a string or []byte, encoded as JSON otherwise;
	// nil sends no body.
	Body any
	// Delay holds the answer back, for timeout tests. A request whose context ends first
	// gets no answer.
	Delay time.Duration
}

// ServeHTTP answers r with the response.
func (resp Response) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if resp.Delay > 0 {
		timer := time.NewTimer(resp.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
	}
	resp.write(w)
}

func (resp Response) write(w http.ResponseWriter) {
	var body []byte
	contentType := "application/json; charset=utf-8"
	switch b := resp.Body.(type) {
	case nil:
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			body = fmt.Appendf(nil, `{"message":"githubtest: cannot encode body: %s"}`, strings.ReplaceAll(err.Error(), `"`, `'`))
			resp.Status = http.StatusInternalServerError
		}
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append([]string(nil), vs...)
	}
	if body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// RawContentType is the Content-Type of a file read with Accept: application/vnd.github.raw,
// as GitHub sends it.
const RawContentType = "application/vnd.github.v3.raw; charset=utf-8"

// RawContent answers a contents read in the raw media type with data.
func RawContent(data []byte) Response {
	if data == nil {
		data = []byte{}
	}
	return Response{Header: http.Header{"Content-Type": {RawContentType}}, Body: data}
}

// Sequence answers the n-th call with the n-th response, and every later call with the
// last one: Sequence(SecondaryRateLimit(time.Second), Response{Body: issue}) fails once,
// then succeeds.
func Sequence(responses ...Response) http.HandlerFunc {
	if len(responses) == 0 {
		panic("githubtest: Sequence needs at least one response")
	}
	var (
		mu   sync.Mutex
		next int
	)
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		resp := responses[min(next, len(responses)-1)]
		next++
		mu.Unlock()
		resp.ServeHTTP(w, r)
	}
}

// SecondaryRateLimit is GitHub's answer when a client trips the secondary (abuse) rate
// limit: 403, Retry-After in seconds, and the documentation URL go-github recognises.
func SecondaryRateLimit(retryAfter time.Duration) Response {
	return Response{
		Status: http.StatusForbidden,
		Header: http.Header{
			"Retry-After": {strconv.Itoa(int(retryAfter.Round(time.Second) / time.Second))},
		},
		Body: map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		},
	}
}

// RateLimitExhausted is GitHub's answer when the installation's hourly budget is spent:
// 403 with X-RateLimit-Remaining 0 and the reset time.
func RateLimitExhausted(reset time.Time) Response {
	return Response{
		Status: http.StatusForbidden,
		Header: http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"5000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			"X-Ratelimit-Resource":  {"core"},
		},
		Body: map[string]string{
			"message":           "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
		},
	}
}

// ETag answers resp with the given entity tag, or 304 Not Modified (no body) when the
// request's If-None-Match already names it, as GitHub does for conditional requests.
// tag is quoted when it is not already.
func ETag(tag string, resp Response) http.HandlerFunc {
	if !strings.HasPrefix(tag, `"`) && !strings.HasPrefix(tag, `W/"`) {
		tag = strconv.Quote(tag)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			// A 304 carries the caching headers the full answer would.
			for _, k := range []string{"Cache-Control", "Vary", "Last-Modified"} {
				if v, ok := resp.Header[k]; ok {
					w.Header()[k] = append([]string(nil), v...)
				}
			}
			w.Header().Set("ETag", tag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		resp.Header = resp.Header.Clone()
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.Header.Set("ETag", tag)
		resp.ServeHTTP(w, r)
	}
}

// etagMatches applies If-None-Match's weak comparison.
func etagMatches(ifNoneMatch, tag string) bool {
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

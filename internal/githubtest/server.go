package githubtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/secwg/secwg/internal/httpstatus"
)

// maxBody caps what the fake reads of one request body, so a runaway client fails the test
// instead of exhausting memory.
const maxBody = 16 << 20

// Request is one request the fake received, in arrival order.
type Request struct {
	Method string
	// Path is the unescaped URL path as sent, e.g. /repos/o/r/contents/meetings/2024-01-01.md;
	// a /repositories/{id}/... path is routed as the repository's /repos/... one.
	Path     string
	RawPath  string // escaped URL path as sent on the wire
	RawQuery string
	Header   http.Header
	Body     []byte
	// Pattern is the registered pattern that answered, "" when no route expected the request.
	Pattern string
	// Installation is the installation whose token authorised the request, 0 for app (JWT)
	// and unauthenticated calls.
	Installation int64
	// Status is the HTTP status the fake answered with.
	Status int
}

// Server is a fake GitHub REST API on loopback that records every request.
type Server struct {
	t    testing.TB
	srv  *httptest.Server
	spec *spec // nil when requests are not validated
	// graphql is GitHub's GraphQL schema, nil when GraphQL requests are not validated.
	graphql *ast.Schema
	// closing ends when the test does, so a delayed answer cannot hold up Close.
	closing context.Context

	mu       sync.Mutex
	mux      *http.ServeMux
	handlers map[string]http.HandlerFunc // by pattern; replaced on re-registration
	requests []Request
	// repositories are the repositories named by id in links and redirects;
	// renamed maps an old lower-case full name to the new one.
	repositories map[int64]string
	renamed      map[string]string
}

// New starts a fake GitHub API on loopback, closed with t.Cleanup. Any request that no
// route expects fails the test (t.Errorf with method, path and body) and gets 404.
// Installation tokens and GET /app are answered without registration.
//
// When the environment variable SECWG_OPENAPI names GitHub's OpenAPI description, every
// request is also validated against it and any mismatch, or any operation the description
// lacks, fails the test.
func New(t testing.TB) *Server {
	t.Helper()
	sp, err := envSpec()
	if err != nil {
		t.Fatalf("githubtest: %v", err)
	}
	schema, err := envGraphQLSchema()
	if err != nil {
		t.Fatalf("githubtest: %v", err)
	}
	s := newServer(t, sp)
	s.graphql = schema
	return s
}

func newServer(t testing.TB, sp *spec) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		spec:     sp,
		mux:      http.NewServeMux(),
		handlers: map[string]http.HandlerFunc{},
		// GitHub's pagination links and redirects name repositories by id.
		repositories: map[int64]string{},
		renamed:      map[string]string{},
	}
	s.Handle(patternAccessToken, s.createAccessToken)
	s.Handle(patternGetApp, s.getApp)
	var stop context.CancelFunc
	s.closing, stop = context.WithCancel(context.Background())
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		stop()
		s.srv.Close()
	})
	return s
}

// URL is the API base URL with a trailing slash, for GITHUB_V3_API_URL or go-github's BaseURL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Handle registers h for a Go 1.22 ServeMux pattern, e.g.
// "GET /repos/{owner}/{repo}/issues/{number}" or
// "PUT /repos/{owner}/{repo}/contents/{path...}". Registering a pattern again replaces
// its handler, which is how a test overrides the built-in GET /app and token routes.
func (s *Server) Handle(pattern string, h http.HandlerFunc) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.handlers[pattern]; !ok {
		if err := register(s.mux, pattern, s.dispatch(pattern)); err != nil {
			s.t.Fatalf("githubtest: Handle(%q): %v", pattern, err)
			return
		}
	}
	s.handlers[pattern] = h
}

// register turns ServeMux's panics on bad or conflicting patterns into errors.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

func (s *Server) dispatch(pattern string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.handlers[pattern]
		s.mu.Unlock()
		h(w, r)
	}
}

// ReplyJSON registers a route that always answers status with body encoded as JSON.
func (s *Server) ReplyJSON(pattern string, status int, body any) {
	s.t.Helper()
	s.Handle(pattern, Response{Status: status, Body: body}.ServeHTTP)
}

// Requests returns a copy of every recorded request, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Count reports how many recorded requests were answered by pattern.
func (s *Server) Count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Pattern == pattern {
			n++
		}
	}
	return n
}

var accessTokenPath = regexp.MustCompile(`^/app/installations/[^/]+/access_tokens$`)

// CallsExcludingAuth counts every recorded request except installation-token creation,
// which GitHub does not charge to an installation's rate limit.
func (s *Server) CallsExcludingAuth() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if !isAccessTokenRequest(r.Method, r.Path) {
			n++
		}
	}
	return n
}

func isAccessTokenRequest(method, path string) bool {
	return method == http.MethodPost && accessTokenPath.MatchString(path)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()
	r = r.WithContext(ctx)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.t.Errorf("githubtest: reading body of %s %s: %v", r.Method, r.URL.Path, err)
	}
	if len(body) > maxBody {
		s.t.Errorf("githubtest: %s %s sent a body over %d bytes", r.Method, r.URL.Path, maxBody)
		writeError(w, http.StatusRequestEntityTooLarge, "Payload too large")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	path, rawPath := r.URL.Path, r.URL.EscapedPath()
	s.resolveRepositoryID(r)
	_, pattern := s.mux.Handler(r)
	moved := s.renamedTo(r) != ""
	if moved {
		pattern = "" // answered by the redirect, not by a route
	}
	rec := Request{
		Method:   r.Method,
		Path:     path,
		RawPath:  rawPath,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
		Pattern:  pattern,
	}
	installation, authErr := s.authenticate(r)
	rec.Installation = installation

	s.mu.Lock()
	index := len(s.requests)
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	sw := &httpstatus.Recorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.requests[index].Status = sw.Status()
		s.mu.Unlock()
	}()

	ex := s.validateRequest(r, body)
	if authErr != nil {
		s.t.Errorf("githubtest: %s %s: %v", r.Method, r.URL.RequestURI(), authErr)
		writeError(sw, http.StatusUnauthorized, "Bad credentials")
		return
	}
	if moved {
		s.redirectRenamed(sw, r)
		return
	}
	if pattern == "" {
		s.t.Errorf("githubtest: unexpected request %s %s (no route registered%s)%s",
			r.Method, r.URL.RequestURI(), s.suggestPattern(r), describeBody(body))
		writeError(sw, http.StatusNotFound, "Not Found")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.answer(sw, r, ex)
}

// validateRequest checks a request against GitHub's GraphQL schema or OpenAPI
// description, whichever is loaded and applies, and returns the REST operation it
// matched, nil when there is none to validate its answer against.
func (s *Server) validateRequest(r *http.Request, body []byte) *exchange {
	if isGraphQL(r) {
		if s.graphql != nil {
			if err := validateGraphQL(s.graphql, body); err != nil {
				s.t.Errorf("githubtest: %s %s: %v", r.Method, r.URL.RequestURI(), err)
			}
		}
		return nil
	}
	if s.spec == nil {
		return nil
	}
	ex, err := s.spec.validate(r, body)
	if err != nil {
		s.t.Errorf("githubtest: %s %s: %v", r.Method, r.URL.RequestURI(), err)
	}
	return ex
}

// answer serves r through its route. With an operation to check the answer against,
// the answer is held back until it has been validated, so a mismatch fails the test
// before the code under test sees it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, ex *exchange) {
	if r.Method == http.MethodGet {
		cacheHeaders(w.Header(), r.URL.Path)
	}
	if ex == nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	buf := httptest.NewRecorder()
	s.mux.ServeHTTP(buf, r)
	if r.Context().Err() == nil {
		if err := ex.validateResponse(r.Context(), buf.Code, buf.Header(), buf.Body.Bytes()); err != nil {
			s.t.Errorf("githubtest: %s %s: %v", r.Method, r.URL.RequestURI(), err)
		}
	}
	for k, vs := range buf.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(buf.Code)
	_, _ = w.Write(buf.Body.Bytes())
}

// cacheHeaders are the caching headers GitHub sends on every GET, recorded from its
// answers: entries are private to the credentials that fetched them (Vary: Authorization)
// and fresh for a minute; search answers are never cached. A handler may replace them.
func cacheHeaders(h http.Header, path string) {
	h["Vary"] = []string{"Accept, Authorization, Cookie, X-GitHub-OTP", "Accept-Encoding, Accept, X-Requested-With"}
	if strings.HasPrefix(path, "/search/") {
		h.Set("Cache-Control", "no-cache")
		return
	}
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
}

// suggestPattern names the operation an unexpected request would reach on GitHub and the
// pattern that registers it, when the description is loaded.
func (s *Server) suggestPattern(r *http.Request) string {
	if s.spec == nil {
		return ""
	}
	op, _, err := s.spec.find(r.Method, r.URL.EscapedPath())
	if err != nil {
		return ""
	}
	return fmt.Sprintf("; GitHub's operation is %s, pattern %q", op.route.Operation.OperationID, op.pattern())
}

// describeBody shows enough of a body to recognise it in a failure message.
func describeBody(body []byte) string {
	const max = 2048
	switch {
	case len(body) == 0:
		return ""
	case len(body) > max:
		return fmt.Sprintf("\nbody (first %d of %d bytes): %s", max, len(body), body[:max])
	default:
		return "\nbody: " + string(body)
	}
}

// writeError answers the way GitHub does: a JSON object with a message.
func writeError(w http.ResponseWriter, status int, message string) {
	Response{Status: status, Body: map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
	}}.write(w)
}

package action_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/server"
)

// installation is the installation the server's deliveries name and whose
// token the workflow gets, so both modes authenticate as the same one.
const installation = 42

const webhookSecret = "action-test-secret"

// openAPIExamples are GitHub's own example answers, so the fake's answers are
// complete and valid for the description the fake checks against.
var (
	examplesOnce sync.Once
	examplesData map[string]json.RawMessage
	examplesErr  error
)

// example is a fresh copy of GitHub's example answer name.
func example(t testing.TB, name string) any {
	t.Helper()
	path := os.Getenv("SECWG_OPENAPI")
	if path == "" {
		t.Skip("SECWG_OPENAPI is not set; point it at GitHub's OpenAPI description (e.g. /work/shared/corpus/openapi/api.github.com.subset.json) for the fake's answers")
	}
	examplesOnce.Do(func() {
		var doc struct {
			Components struct {
				Examples map[string]struct {
					Value json.RawMessage `json:"value"`
				} `json:"examples"`
			} `json:"components"`
		}
		data, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(data, &doc)
		}
		examplesErr = err
		examplesData = map[string]json.RawMessage{}
		for k, v := range doc.Components.Examples {
			examplesData[k] = v.Value
		}
	})
	if examplesErr != nil {
		t.Fatalf("reading %s: %v", path, examplesErr)
	}
	raw, ok := examplesData[name]
	if !ok {
		t.Fatalf("no example %q in %s", name, path)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// exampleObject is example with fields replaced.
func exampleObject(t testing.TB, name string, set map[string]any) map[string]any {
	t.Helper()
	m := example(t, name).(map[string]any)
	for k, v := range set {
		m[k] = v
	}
	return m
}

// corpusPayload reads a recorded webhook payload, relative to the corpus.
func corpusPayload(t testing.TB, rel string) map[string]any {
	t.Helper()
	dir := os.Getenv(githubtest.EnvWebhookCorpus)
	if dir == "" {
		t.Skipf("%s is not set; point it at the webhook payload corpus (e.g. /work/shared/corpus/webhooks)", githubtest.EnvWebhookCorpus)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return m
}

// set writes value at a dotted path of a decoded payload.
func set(m map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

// writeFile writes content to a new file in a test directory.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// apiRequests are the requests calls lists.
func apiRequests(gh *githubtest.Server) []githubtest.Request {
	var out []githubtest.Request
	for _, r := range gh.Requests() {
		if !authOnly(r) {
			out = append(out, r)
		}
	}
	return out
}

func authOnly(r githubtest.Request) bool {
	return strings.HasSuffix(r.Path, "/access_tokens") || strings.HasSuffix(r.Path, "/installation") ||
		(r.Method == http.MethodGet && r.Path == "/app")
}

// calls lists the requests as "METHOD /path", leaving
// out what only App authentication costs: installation tokens, GET /app and
// the look-up of the installation on a repository or organisation.
func calls(gh *githubtest.Server) []string {
	var out []string
	for _, r := range gh.Requests() {
		if authOnly(r) {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// workflow is one `secwg action` run as a runner would start it.
type workflow struct {
	event   string
	payload []byte
	config  string // path of the configuration file; "" for none
	kind    action.TokenKind
	args    []string
	env     map[string]string // added to, or replacing, the runner's variables
}

type result struct {
	code           int
	stdout, stderr string
}

// runAction runs secwg action against gh. The payload is written as the
// runner writes it, without an installation: Actions payloads carry none.
func runAction(t testing.TB, gh *githubtest.Server, w workflow) result {
	t.Helper()
	payload := w.payload
	if len(payload) > 0 {
		var m map[string]any
		if json.Unmarshal(payload, &m) == nil && m != nil {
			delete(m, "installation")
			payload = mustJSON(t, m)
		}
	}
	kind := w.kind
	if kind == "" {
		kind = action.AppToken
	}
	env := map[string]string{
		"GITHUB_ACTIONS":     "true",
		"GITHUB_EVENT_NAME":  w.event,
		"GITHUB_EVENT_PATH":  writeFile(t, "event.json", string(payload)),
		"GITHUB_TOKEN":       githubtest.InstallationToken(installation),
		"GITHUB_REPOSITORY":  "Codertocat/Hello-World",
		"GITHUB_API_URL":     strings.TrimSuffix(gh.URL(), "/"),
		"GITHUB_GRAPHQL_URL": gh.URL() + "graphql",
		"GITHUB_RUN_ID":      "7",
		"GITHUB_RUN_ATTEMPT": "1",
		"SECWG_APP_SLUG":     githubtest.AppSlug,
		"SECWG_APP_ID":       strconv.FormatInt(githubtest.AppID, 10),
		"SECWG_TOKEN_KIND":   string(kind),
		"SECWG_LOG_LEVEL":    "debug",
	}
	if w.config != "" {
		env["SECWG_CONFIG"] = w.config
	}
	for k, v := range w.env {
		env[k] = v
	}
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok && v != ""
	}
	var stdout, stderr bytes.Buffer
	code := action.Main(context.Background(), w.args, &stdout, &stderr, lookup)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// delivery is one webhook sent to the server.
type delivery struct {
	event   string
	payload []byte
	config  string
}

// runServer sends the payload to the real server's webhook handler, signed,
// and waits for the job: the server answers at once and works in its queue.
// handled is whether the server queued work for it.
func runServer(t testing.TB, gh *githubtest.Server, d delivery) (handled bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(d.payload, &m); err != nil {
		t.Fatal(err)
	}
	set(m, "installation", map[string]any{"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="})
	body := mustJSON(t, m)
	env := map[string]string{
		"GITHUB_V3_API_URL":         gh.URL(),
		"GITHUB_V4_API_URL":         gh.URL() + "graphql",
		"GITHUB_APP_INTEGRATION_ID": strconv.FormatInt(githubtest.AppID, 10),
		"GITHUB_APP_WEBHOOK_SECRET": webhookSecret,
		"GITHUB_APP_PRIVATE_KEY":    string(gh.PrivateKeyPEM()),
		"SECWG_LOG_LEVEL":           "debug",
		"SECWG_JOB_TIMEOUT":         "30s",
	}
	cfg, err := config.Load(d.config, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	inst := exampleObject(t, "installation", map[string]any{"id": installation, "app_id": githubtest.AppID, "app_slug": githubtest.AppSlug})
	gh.ReplyJSON("GET /repos/{owner}/{repo}/installation", 200, inst)
	gh.ReplyJSON("GET /orgs/{org}/installation", 200, inst)
	srv, err := server.New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, server.WebhookRoute, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", d.event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte(webhookSecret), body))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code >= 300 {
		t.Fatalf("server answered %d: %s", rec.Code, rec.Body)
	}
	if strings.HasPrefix(rec.Body.String(), "ignored") {
		return false
	}
	waitFor(t, "the server's job to finish", func() bool { return jobsDone(t, srv.Metrics().Registry) > 0 })
	return true
}

// jobsDone counts the jobs the queue finished, from its duration histogram.
func jobsDone(t testing.TB, g prometheus.Gatherer) uint64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range families {
		if f.GetName() != "secwg_handler_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after a generous bound.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func diffCalls(got, want []string) string {
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return ""
	}
	return fmt.Sprintf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
}

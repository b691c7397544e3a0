package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secwg/secwg/internal/githubtest"
)

// TestReplayWebhookCorpus sends every recorded GitHub payload, signed, to the real
// server over HTTP. The fake GitHub fails the test on any API call nobody expected;
// the sample repositories have no .github/secwg.yml, so nothing is ever written,
// and a delivery secwg ignores is shown to cost no call at all.
func TestReplayWebhookCorpus(t *testing.T) {
	corpus := githubtest.Corpus(t)
	if len(corpus) < 100 {
		t.Fatalf("corpus holds %d payloads; expected the full set", len(corpus))
	}
	a := startApp(t, appOptions{github: func(gh *githubtest.Server) {
		gh.ReplyJSON("GET /repos/{owner}/{repo}/contents/{path...}", 404, map[string]string{"message": "Not Found"})
		// The check's one query: no configuration on the base branch, no runs.
		gh.Handle(githubtest.PatternGraphQL, githubtest.GraphQLData(map[string]any{"repository": map[string]any{
			"config": nil, "head": map[string]any{"checkSuites": map[string]any{"nodes": []any{}}}}}).ServeHTTP)
	}})
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	installs, ignored := 0, 0
	for _, d := range corpus {
		req, err := d.NewRequest(a.url+WebhookRoute, []byte(testSecret))
		if err != nil {
			t.Fatal(err)
		}
		before := a.apiCalls()
		status, body := a.do(req)
		// Handled deliveries are answered after their job: 200, never 500.
		if status != http.StatusOK && status != http.StatusAccepted || status == http.StatusAccepted && strings.Contains(body, "still processing") {
			t.Errorf("%s/%s: status %d (%s)", d.Event, d.Name, status, strings.TrimSpace(body))
		}
		if strings.HasPrefix(body, "ignored") {
			ignored++
			if n := a.apiCalls() - before; n != 0 {
				t.Errorf("%s/%s is ignored but made %d GitHub calls", d.Event, d.Name, n)
			}
		}
		if d.Event == "installation" || d.Event == "installation_repositories" {
			installs++
		}
		// A second send is a redelivery: acknowledged, not processed.
		if status, _ := a.do(mustRequest(t, d, a.url)); status != http.StatusAccepted {
			t.Errorf("%s/%s redelivered: status %d", d.Event, d.Name, status)
		}
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(a.server.metrics.HandlerPanics.WithLabelValues("installation")) +
		testutil.ToFloat64(a.server.metrics.HandlerPanics.WithLabelValues("installation_repositories")); got != 0 {
		t.Errorf("%v panics", got)
	}
	if strings.Contains(a.logs.String(), "webhook handler failed") || strings.Contains(a.logs.String(), "panicked") {
		t.Errorf("a handler failed:\n%s", a.logs.String())
	}
	for _, r := range a.github.Requests() {
		// A GraphQL query is a POST that writes nothing; a mutation writes.
		query := r.Pattern == githubtest.PatternGraphQL && !strings.Contains(string(r.Body), `"query":"mutation`)
		if r.Method != http.MethodGet && !strings.HasSuffix(r.Path, "/access_tokens") && !query {
			t.Errorf("wrote to GitHub: %s %s", r.Method, r.Path)
		}
	}
	if ignored < len(corpus)/2 {
		t.Errorf("only %d of %d payloads ignored", ignored, len(corpus))
	}
	var handled float64
	for _, ev := range []string{"installation", "installation_repositories"} {
		for _, act := range []string{"created", "deleted", "suspend", "unsuspend", "new_permissions_accepted", "added", "removed"} {
			handled += testutil.ToFloat64(a.server.metrics.InstallationEvent.WithLabelValues(ev, act))
		}
	}
	if int(handled) != installs || installs == 0 {
		t.Errorf("%v installation events handled, %d in the corpus", handled, installs)
	}
}

func mustRequest(t *testing.T, d githubtest.Delivery, base string) *http.Request {
	t.Helper()
	req, err := d.NewRequest(base+WebhookRoute, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

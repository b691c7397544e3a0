package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secwg/secwg/internal/githubtest"
)

// TestReplayWebhookCorpus sends every recorded GitHub payload, signed, to the real
// server over HTTP. The fake GitHub fails the test on any API call nobody expected,
// so events secwg does not act on are shown to cost nothing.
func TestReplayWebhookCorpus(t *testing.T) {
	corpus := githubtest.Corpus(t)
	if len(corpus) < 100 {
		t.Fatalf("corpus holds %d payloads; expected the full set", len(corpus))
	}
	a := startApp(t, appOptions{})
	eventually(t, "readiness", func() bool { s, _ := a.get(ReadyRoute); return s == 200 })
	before := a.apiCalls()
	installs := 0
	for _, d := range corpus {
		req, err := d.NewRequest(a.url+WebhookRoute, []byte(testSecret))
		if err != nil {
			t.Fatal(err)
		}
		status, body := a.do(req)
		if status != http.StatusAccepted {
			t.Errorf("%s/%s: status %d (%s)", d.Event, d.Name, status, strings.TrimSpace(body))
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
	if n := a.apiCalls() - before; n != 0 {
		t.Errorf("%d GitHub calls for events secwg does not act on", n)
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

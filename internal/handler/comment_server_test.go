package handler_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/metrics"
	"github.com/secwg/secwg/internal/server"
)

const cmdWebhookSecret = "comment-test-secret"

// cmdReplica is one running secwg server whose issue_comment handler is the
// comment handler, against the shared fake GitHub.
type cmdReplica struct {
	t   *testing.T
	srv *server.Server
	url string
}

func (f *cmdGitHub) startReplica() *cmdReplica {
	t := f.t
	cfg := &config.Config{}
	cfg.Server = config.Server{Port: 1, QueueSize: 16, Workers: 2, JobTimeout: 10 * time.Second, ShutdownTimeout: 10 * time.Second, CacheSize: 1 << 20}
	cfg.GitHub = config.GitHub{WebURL: "http://github.invalid", V3APIURL: f.gh.URL(), V4APIURL: f.gh.URL() + "graphql"}
	cfg.GitHub.App = config.App{IntegrationID: githubtest.AppID, WebhookSecret: cmdWebhookSecret, PrivateKey: string(f.gh.PrivateKeyPEM())}
	base := handler.Base{Clients: f.clients(), Metrics: metrics.New(), App: appid.Fixed(0, githubtest.AppSlug)}
	h := handler.NewComment(base, cmdGroups(), &cmdMeetings{groups: cmdGroups()}, &cmdChecks{})
	srv, err := server.New(cfg, zerolog.Nop(), server.WithHandlers(h))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return &cmdReplica{t: t, srv: srv, url: "http://" + ln.Addr().String()}
}

// deliver posts a signed issue_comment delivery and returns the status.
func (r *cmdReplica) deliver(id string, body []byte) int {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.url+server.WebhookRoute, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issue_comment")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", githubtest.Sign([]byte(cmdWebhookSecret), body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (r *cmdReplica) deliveries(action, outcome string) float64 {
	return testutil.ToFloat64(r.srv.Metrics().Deliveries.WithLabelValues("issue_comment", action, outcome))
}

// waitFor polls cond until it holds or a generous deadline passes; it waits
// for the asynchronous queue, it does not time it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The same delivery through the real server: repeated to one replica it is
// dropped as a duplicate; given to a second replica, which has its own
// delivery memory, it runs again and finds the first replica's reply.
func TestCommentDeliveryRepeatedAcrossReplicasRepliesOnce(t *testing.T) {
	f := newCmdGitHub(t)
	a, b := f.startReplica(), f.startReplica()
	payload := cmdEvent{body: "/meeting"}.payload(t)

	if s := a.deliver("delivery-meeting", payload); s >= 300 {
		t.Fatalf("first delivery answered %d", s)
	}
	waitFor(t, "the first reply", func() bool { return f.gh.Count(routeListReply) == 2 })
	if s := a.deliver("delivery-meeting", payload); s >= 300 {
		t.Fatalf("repeated delivery answered %d", s)
	}
	if got := a.deliveries("created", "duplicate"); got != 1 {
		t.Errorf("duplicates counted %v, want 1", got)
	}
	if s := b.deliver("delivery-meeting", payload); s >= 300 {
		t.Fatalf("delivery to the second replica answered %d", s)
	}
	waitFor(t, "the second replica's look for a reply", func() bool { return f.gh.Count(routeListReply) == 3 })

	if got := f.replies(); len(got) != 1 || f.gh.Count(routePostReply) != 1 {
		t.Errorf("%d replies, %d posted; want one", len(got), f.gh.Count(routePostReply))
	}
	if got := f.gh.Count(routeReaction); got != 2 {
		t.Errorf("%d reactions posted, want one per run (GitHub keeps one)", got)
	}

	edited := cmdEvent{action: "edited", body: "/meeting"}.payload(t)
	before := len(f.calls())
	if s := a.deliver("delivery-edit", edited); s >= 300 {
		t.Fatalf("edit delivery answered %d", s)
	}
	waitFor(t, "the edit to be dropped", func() bool { return a.deliveries("edited", "ignored") == 1 })
	if n := len(f.calls()) - before; n != 0 {
		t.Errorf("an edited comment made %d requests", n)
	}
}

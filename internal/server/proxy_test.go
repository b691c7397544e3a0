package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/secwg/secwg/internal/githubtest"
)

// TestDeliveriesThroughTheWebhookProxyTakeTheSamePath runs a smee-style channel
// on loopback: a delivery forwarded through it is checked and handled like one
// GitHub posts, and a forged one is refused by the same signature check.
func TestDeliveriesThroughTheWebhookProxyTakeTheSamePath(t *testing.T) {
	event := func(id, body, signature string) string {
		msg := map[string]any{"x-github-event": "issues", "x-github-delivery": id, "x-hub-signature-256": signature,
			"content-type": "application/json", "body": json.RawMessage(body), "timestamp": 1}
		b, _ := json.Marshal(msg)
		return string(b)
	}
	good := labeledAs("through-proxy")
	channel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: ready\ndata: {}\n\n")
		fmt.Fprintf(w, "data: %s\n\n", event("through-proxy", good, githubtest.Sign([]byte(testSecret), []byte(good))))
		fmt.Fprintf(w, "data: %s\n\n", event("forged", labeledAs("forged"), githubtest.Sign([]byte("not the secret"), []byte(labeledAs("forged")))))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer channel.Close()
	h := &recorder{events: []string{"issues"}}
	a := startApp(t, appOptions{
		opts:      []Option{WithHandlers(h)},
		configure: func(c *configT) { c.Server.WebhookProxyURL = channel.URL + "/channel" },
	})
	eventually(t, "the forwarded delivery to run", func() bool { return h.count() == 1 })
	eventually(t, "the forged one to be refused", func() bool { return a.delivered("unverified", "", outcomeBadSignature) == 1 })
	// The answer, and so the count, follows the job's end.
	eventually(t, "the forwarded delivery to be counted", func() bool { return a.delivered("issues", "labeled", outcomeAccepted) == 1 })
	channel.CloseClientConnections()
}

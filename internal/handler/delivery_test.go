package handler

import (
	"context"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
)

// decoding records what each member of a fan-out decoded.
type decoding struct {
	events []*github.PullRequestEvent
	action string
}

func (d *decoding) Handles() []string { return []string{"pull_request"} }

func (d *decoding) Handle(ctx context.Context, _, _ string, payload []byte) error {
	e, err := decode[github.PullRequestEvent](ctx, payload)
	d.events = append(d.events, e)
	d.action = actionFrom(ctx, payload)
	return err
}

func TestOneDecodePerDelivery(t *testing.T) {
	payload := []byte(`{"action":"opened","number":3,"pull_request":{"number":3,"title":"t"}}`)
	tests := []struct {
		name       string
		ctx        context.Context
		wantAction string
	}{
		// The webhook passes the action it scanned; the payload is not read for it.
		{"from the webhook", WithAction(context.Background(), "synchronize"), "synchronize"},
		// The Actions runner and tests call the handlers directly.
		{"called directly", context.Background(), "opened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := &decoding{}, &decoding{}
			f := combine([]githubapp.EventHandler{a, b})
			if len(f) != 1 {
				t.Fatalf("%d handlers, want one fan-out", len(f))
			}
			if err := f[0].Handle(tt.ctx, "pull_request", "d1", payload); err != nil {
				t.Fatal(err)
			}
			if a.events[0] == nil || a.events[0] != b.events[0] || a.events[0].GetNumber() != 3 {
				t.Fatalf("members decoded %p and %p, want one shared decode", a.events[0], b.events[0])
			}
			if a.action != tt.wantAction || b.action != tt.wantAction {
				t.Fatalf("actions %q, %q, want %q", a.action, b.action, tt.wantAction)
			}
			// A second delivery decodes afresh.
			if err := f[0].Handle(WithAction(context.Background(), "opened"), "pull_request", "d2", payload); err != nil {
				t.Fatal(err)
			}
			if a.events[1] == a.events[0] {
				t.Fatal("a later delivery reused an earlier delivery's decode")
			}
		})
	}
}

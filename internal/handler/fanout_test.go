package handler

import (
	"context"
	"errors"
	"github.com/palantir/go-githubapp/githubapp"
	"testing"
)

type fake struct {
	events  []string
	actions map[string]bool // nil: no filter
	err     error
	ran     int
}

func (f *fake) Handles() []string { return f.events }
func (f *fake) Handle(context.Context, string, string, []byte) error {
	f.ran++
	return f.err
}

type filtered struct{ *fake }

func (f filtered) HandlesAction(_, action string) bool { return f.actions[action] }

func TestEventsSharedByHandlersFanOut(t *testing.T) {
	agenda := &fake{events: []string{"pull_request", "issues"}, actions: map[string]bool{"labeled": true}, err: errors.New("agenda failed")}
	check := &fake{events: []string{"pull_request"}, actions: map[string]bool{"opened": true}}
	install := &fake{events: []string{"installation"}}
	hs := combine(toHandlers(filtered{agenda}, filtered{check}, install))
	if len(hs) != 3 {
		t.Fatalf("%d handlers, want one per event", len(hs))
	}
	pr := hs[0].(*fanout)
	if pr.event != "pull_request" || len(pr.handlers) != 2 {
		t.Fatalf("first handler %+v", pr)
	}
	tests := []struct {
		action           string
		wants            bool
		agendaRan, check int
	}{
		{"labeled", true, 1, 0},
		{"opened", true, 1, 1},
		{"assigned", false, 1, 1},
	}
	for _, tt := range tests {
		if got := pr.HandlesAction("pull_request", tt.action); got != tt.wants {
			t.Errorf("HandlesAction(%s) = %v", tt.action, got)
		}
		if !tt.wants {
			continue
		}
		err := pr.Handle(context.Background(), "pull_request", "d", []byte(`{"action":"`+tt.action+`"}`))
		if tt.action == "labeled" && (err == nil || err.Error() != "agenda failed") {
			t.Errorf("error %v", err)
		}
		if agenda.ran != tt.agendaRan || check.ran != tt.check {
			t.Errorf("after %s: agenda ran %d, check ran %d", tt.action, agenda.ran, check.ran)
		}
	}
	if !hs[2].(*fanout).HandlesAction("installation", "anything") {
		t.Error("a handler without a filter wants every action")
	}
}

func toHandlers(hs ...interface {
	Handles() []string
	Handle(context.Context, string, string, []byte) error
}) []githubapp.EventHandler {
	out := make([]githubapp.EventHandler, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

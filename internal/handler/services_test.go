package handler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/checkrun"
	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/metrics"
)

// TestEachServiceIsWiredOnceAndOffWhenNil pins the wiring of handler.All: a
// service given once reaches every handler that needs it, and a nil one
// switches its handlers and commands off.
func TestEachServiceIsWiredOnceAndOffWhenNil(t *testing.T) {
	meetings, err := meetingsync.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := checkrun.New(nil, time.Now, zerolog.Nop(), checkrun.Options{})
	tests := []struct {
		name     string
		services handler.Services
		events   []string
	}{
		{"nothing on", handler.Services{},
			[]string{"installation", "installation_repositories", "issue_comment"}},
		{"checks on", handler.Services{Checks: checks},
			[]string{"check_run", "check_suite", "installation", "installation_repositories", "issue_comment", "pull_request"}},
		{"meetings on", handler.Services{Meetings: meetings},
			[]string{"installation", "installation_repositories", "issue_comment", "issues", "pull_request"}},
		{"both on", handler.Services{Meetings: meetings, Checks: checks},
			[]string{"check_run", "check_suite", "installation", "installation_repositories", "issue_comment", "issues", "pull_request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events []string
			for _, h := range handler.All(handler.Base{}, tt.services) {
				events = append(events, h.Handles()...)
			}
			slices.Sort(events)
			if !slices.Equal(events, tt.events) {
				t.Errorf("handles %q, want %q", events, tt.events)
			}
		})
	}
}

// TestCommandsOfServicesLeftOutSayTheyAreOff answers /recheck and /meeting
// through handler.All with neither service: each gets a reply saying its
// feature is off, never a call on a service that is not there.
func TestCommandsOfServicesLeftOutSayTheyAreOff(t *testing.T) {
	tests := []struct{ body, fixture, want string }{
		{"/recheck", "pull_request.json", "The threat-model check is not enabled on this server."},
		{"/meeting", "issue.json", "Meetings are not enabled on this server."},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			f := newCmdGitHub(t)
			f.roles["alice"] = "admin"
			base := handler.Base{Clients: f.clients(), Metrics: metrics.New()}
			var comment func(context.Context, string, string, []byte) error
			for _, h := range handler.All(base, handler.Services{Groups: cmdGroups()}) {
				if slices.Contains(h.Handles(), "issue_comment") {
					comment = h.Handle
				}
			}
			payload := cmdEvent{fixture: tt.fixture, body: tt.body, login: "alice"}.payload(t)
			if err := comment(context.Background(), "issue_comment", "d1", payload); err != nil {
				t.Fatal(err)
			}
			replies := f.replies()
			if len(replies) != 1 || !strings.Contains(strings.ReplaceAll(replies[0].Body, `\`, ""), tt.want) {
				t.Errorf("replies %+v, want one saying %q", replies, tt.want)
			}
		})
	}
}

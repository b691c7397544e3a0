package handler_test

import (
	"context"
	"testing"

	"github.com/secwg/secwg/internal/handler"
	"github.com/secwg/secwg/internal/meetingsync"
	"github.com/secwg/secwg/internal/metrics"
)

// The meeting service is what handler.All hands installation events to.
var _ handler.InstallationCache = (*meetingsync.Service)(nil)

type forgetCounter struct{ n int }

func (f *forgetCounter) ForgetInstallations() { f.n++ }

func TestInstallationEventsMakeTheAppLookItsInstallationsUpAgain(t *testing.T) {
	tests := []struct{ event, payload string }{
		{"installation", `{"action":"created","installation":{"id":31,"account":{"login":"nodejs"}}}`},
		{"installation", `{"action":"deleted","installation":{"id":7,"account":{"login":"nodejs"}}}`},
		{"installation_repositories", `{"action":"added","installation":{"id":31},"repositories_added":[{"full_name":"nodejs/node"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			cache := &forgetCounter{}
			h := &handler.Installation{Base: handler.Base{Metrics: metrics.New()}, Cache: cache}
			if err := h.Handle(context.Background(), tt.event, "d1", []byte(tt.payload)); err != nil {
				t.Fatal(err)
			}
			if cache.n != 1 {
				t.Errorf("installation ids forgotten %d times, want 1", cache.n)
			}
		})
	}
}

func TestBrokenInstallationPayloadForgetsNothing(t *testing.T) {
	cache := &forgetCounter{}
	h := &handler.Installation{Base: handler.Base{Metrics: metrics.New()}, Cache: cache}
	if err := h.Handle(context.Background(), "installation", "d1", []byte(`{"action":`)); err == nil {
		t.Error("a broken payload was accepted")
	}
	if cache.n != 0 {
		t.Errorf("installation ids forgotten %d times, want 0", cache.n)
	}
}

package meetingsync

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
)

// reinstallable answers the repository's installation with whatever id is
// current, as GitHub does after the App is uninstalled and installed again.
func reinstallable(e *env, first int64) *atomic.Int64 {
	var id atomic.Int64
	id.Store(first)
	e.gh.Handle("GET /repos/{owner}/{repo}/installation", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(githubtest.Installation(id.Load(), r.PathValue("owner")))
	})
	return &id
}

func TestReinstalledAppIsFoundAfterAnInstallationEvent(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	id := reinstallable(e, 7)
	lookup := func() int64 {
		t.Helper()
		got, err := e.svc.installation(ctx(), "repo", repo)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := lookup(); got != 7 {
		t.Fatalf("first lookup = %d, want 7", got)
	}
	id.Store(31)
	if n := e.calls(func() { lookup() }); n != 0 {
		t.Errorf("a remembered installation cost %d calls, want 0", n)
	}
	e.svc.ForgetInstallations()
	if got := lookup(); got != 31 {
		t.Errorf("after ForgetInstallations: installation %d, want the new 31", got)
	}
}

func TestDeadInstallationIdExpires(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	e.svc.installTTL = time.Millisecond
	id := reinstallable(e, 7)
	if got, err := e.svc.installation(ctx(), "repo", repo); err != nil || got != 7 {
		t.Fatalf("first lookup = %d, %v; want 7", got, err)
	}
	id.Store(31)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.svc.installation(ctx(), "repo", repo)
		if err != nil {
			t.Fatal(err)
		}
		if got == 31 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("installation still %d after its expiry, want 31", got)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDeadInstallationIdIsDroppedWhenItsTokenIsRefused uninstalls and
// reinstalls the App between two passes without an installation event: the
// pass through the dead id fails, and the next one finds the new id.
func TestDeadInstallationIdIsDroppedWhenItsTokenIsRefused(t *testing.T) {
	e := newEnv(t, leadTimeAt)
	id := reinstallable(e, 7)
	if got, err := e.svc.installation(ctx(), "repo", repo); err != nil || got != 7 {
		t.Fatalf("first lookup = %d, %v; want 7", got, err)
	}
	id.Store(31)
	var minted []string
	var mu sync.Mutex
	e.gh.Handle("POST /app/installations/{installation_id}/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		inst := r.PathValue("installation_id")
		mu.Lock()
		minted = append(minted, inst)
		mu.Unlock()
		if inst != "31" {
			githubtest.Response{Status: http.StatusNotFound, Body: map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}}.ServeHTTP(w, r)
			return
		}
		githubtest.Response{Status: http.StatusCreated, Body: map[string]any{
			"token": githubtest.InstallationToken(31), "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		}}.ServeHTTP(w, r)
	})
	if err := e.svc.Sync(ctx(), e.clock.Now(), false, nil); err == nil {
		t.Fatal("a pass through the dead installation succeeded")
	}
	e.sync()
	if len(e.meetingIssues()) != 1 {
		t.Errorf("meeting issues = %d after the pass through the new installation, want 1", len(e.meetingIssues()))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(minted) < 2 || minted[0] != "7" || minted[len(minted)-1] != "31" {
		t.Errorf("tokens minted for %v, want the dead 7 first and then 31", minted)
	}
}

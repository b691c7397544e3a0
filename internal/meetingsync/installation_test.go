package meetingsync

import (
	"encoding/json"
	"net/http"
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

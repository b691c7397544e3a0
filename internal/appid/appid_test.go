package appid_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/secwg/secwg/internal/appid"
)

func TestIdentityNamesTheAppOnceKnown(t *testing.T) {
	slug := func(s string) func() string { return func() string { return s } }
	tests := []struct {
		name       string
		id         appid.Identity
		login      string
		isLogin    map[string]bool
		owns       map[appRef]bool
		hasSlugOf  string
		hasSlugYes bool
	}{
		{name: "nothing known", id: appid.Identity{}, login: "",
			isLogin: map[string]bool{"": false, "[bot]": false, "secwg[bot]": false},
			owns:    map[appRef]bool{{0, ""}: false, {7, "secwg"}: false}, hasSlugOf: ""},
		{name: "slug known later", id: appid.New(0, slug("secwg")), login: "secwg[bot]",
			isLogin:   map[string]bool{"secwg[bot]": true, "SecWG[Bot]": true, "secwg": false, "other[bot]": false},
			owns:      map[appRef]bool{{7, "secwg"}: true, {7, "other"}: false, {0, ""}: false},
			hasSlugOf: "secwg", hasSlugYes: true},
		{name: "slug still unknown", id: appid.New(0, slug("")), login: "",
			isLogin: map[string]bool{"[bot]": false}, owns: map[appRef]bool{{0, ""}: false}, hasSlugOf: ""},
		{name: "id known: ownership by id alone", id: appid.New(7, slug("secwg")), login: "secwg[bot]",
			isLogin: map[string]bool{"secwg[bot]": true},
			owns:    map[appRef]bool{{7, "other"}: true, {8, "secwg"}: false}, hasSlugOf: "secwg", hasSlugYes: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.Login(); got != tt.login {
				t.Errorf("Login() = %q, want %q", got, tt.login)
			}
			for login, want := range tt.isLogin {
				if got := tt.id.IsLogin(login); got != want {
					t.Errorf("IsLogin(%q) = %v, want %v", login, got, want)
				}
			}
			for app, want := range tt.owns {
				if got := tt.id.Owns(app.id, app.slug); got != want {
					t.Errorf("Owns(%d, %q) = %v, want %v", app.id, app.slug, got, want)
				}
			}
			if got := tt.id.HasSlug(tt.hasSlugOf); got != tt.hasSlugYes {
				t.Errorf("HasSlug(%q) = %v, want %v", tt.hasSlugOf, got, tt.hasSlugYes)
			}
		})
	}
}

type appRef struct {
	id   int64
	slug string
}

func TestLookupAsksGitHubOnceForEveryIdentity(t *testing.T) {
	var calls atomic.Int32
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/app" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"id":7,"slug":"secwg"}`))
		} else {
			_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
		}
	}))
	defer srv.Close()
	client := func() (*github.Client, error) {
		c := github.NewClient(srv.Client())
		u, _ := url.Parse(srv.URL + "/")
		c.BaseURL = u
		return c, nil
	}

	status = http.StatusUnauthorized
	l := appid.NewLookup(7, client)
	_, err := l.Fetch(context.Background())
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Fetch error %v, want GitHub's 401 kept", err)
	}
	first, second := l.Identity(), l.Identity()
	if first.Login() != "" {
		t.Fatalf("login %q before GitHub answered", first.Login())
	}

	status = http.StatusOK
	login, err := first.ResolveLogin(context.Background())
	if err != nil || login != "secwg[bot]" {
		t.Fatalf("ResolveLogin = %q, %v", login, err)
	}
	if second.Login() != "secwg[bot]" || !second.Owns(7, "") || second.ID != 7 {
		t.Fatalf("the other identity did not learn the slug: %q", second.Login())
	}
	if _, err := second.ResolveLogin(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("GET /app asked %d times, want 2 (the 401, then once)", got)
	}
}

func TestResolveLoginWithoutLookup(t *testing.T) {
	if _, err := (appid.Identity{}).ResolveLogin(context.Background()); err == nil {
		t.Fatal("an identity that cannot ask GitHub resolved a login")
	}
	if l, err := appid.Fixed(0, "github-actions").ResolveLogin(context.Background()); err != nil || l != "github-actions[bot]" {
		t.Fatalf("Fixed identity: %q, %v", l, err)
	}
}

func TestConcurrentLookupsAskGitHubOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":7,"slug":"secwg"}`))
	}))
	defer srv.Close()
	l := appid.NewLookup(7, func() (*github.Client, error) {
		c := github.NewClient(srv.Client())
		u, _ := url.Parse(srv.URL + "/")
		c.BaseURL = u
		return c, nil
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if login, err := l.Identity().ResolveLogin(context.Background()); err != nil || login != "secwg[bot]" {
				t.Errorf("ResolveLogin = %q, %v", login, err)
			}
		}()
	}
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("GET /app asked %d times by 8 callers at once, want 1", got)
	}
}

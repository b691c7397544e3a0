package appid_test

import (
	"testing"

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

// Package appid is the GitHub App's identity as secwg knows it: its id from
// configuration, its slug once GitHub has said it, and the bot login both give.
package appid

import "strings"

// Identity names the App. The zero value knows nothing: no login, owns nothing.
type Identity struct {
	// ID is the App's id, 0 when unknown (a workflow token acts as no App).
	ID   int64
	slug func() string
}

// New is the identity of App id, whose slug slug answers once known ("" until
// then). id 0 or a nil slug mean unknown.
func New(id int64, slug func() string) Identity { return Identity{ID: id, slug: slug} }

// Slug is the App's slug, or "" while it is unknown.
func (i Identity) Slug() string {
	if i.slug == nil {
		return ""
	}
	return i.slug()
}

// Login is the login the App's comments, issues and pull requests are
// authored by, "<slug>[bot]", or "" while the slug is unknown.
func (i Identity) Login() string { return LoginOf(i.Slug()) }

// LoginOf is the bot login of the App slug, or "" for no slug.
func LoginOf(slug string) string {
	if slug == "" {
		return ""
	}
	return slug + "[bot]"
}

// IsLogin reports whether login is the App's own; logins compare without case.
// It is false while the App's login is unknown.
func (i Identity) IsLogin(login string) bool {
	own := i.Login()
	return own != "" && strings.EqualFold(login, own)
}

// HasSlug reports whether slug is the App's; false while the slug is unknown.
func (i Identity) HasSlug(slug string) bool {
	own := i.Slug()
	return own != "" && slug == own
}

// Owns reports whether the App named by id and slug (a check run's, say) is
// this one: by id when the id is known, else by slug.
func (i Identity) Owns(id int64, slug string) bool {
	if i.ID != 0 {
		return id == i.ID
	}
	return i.HasSlug(slug)
}

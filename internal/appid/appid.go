// Package appid is the GitHub App's identity as secwg knows it: its id from
// configuration, its slug once GitHub has said it, and the bot login both give.
package appid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
)

// Identity names the App. The zero value knows nothing: no login, owns nothing.
type Identity struct {
	// ID is the App's id, 0 when unknown (a workflow token acts as no App).
	ID     int64
	slug   func() string
	lookup *Lookup
}

// New is the identity of App id, whose slug slug answers once known ("" until
// then). id 0 or a nil slug mean unknown.
func New(id int64, slug func() string) Identity { return Identity{ID: id, slug: slug} }

// Fixed is the identity of App id whose slug is already known.
func Fixed(id int64, slug string) Identity {
	return Identity{ID: id, slug: func() string { return slug }}
}

// ResolveLogin is Login, first asking GitHub for the slug (GET /app) when it
// is unknown and the identity came from a Lookup.
func (i Identity) ResolveLogin(ctx context.Context) (string, error) {
	if l := i.Login(); l != "" {
		return l, nil
	}
	if i.lookup == nil {
		return "", errors.New("the App's slug is unknown")
	}
	slug, err := i.lookup.Fetch(ctx)
	if err != nil {
		return "", err
	}
	return LoginOf(slug), nil
}

// Lookup learns the App's slug from GitHub (GET /app) and shares it with every
// Identity it made, so the process asks once however many parts need it.
type Lookup struct {
	id     int64
	client func() (*github.Client, error)

	fetching sync.Mutex // one GET /app at a time; the others wait for its answer
	mu       sync.Mutex
	slug     string
}

// NewLookup asks GitHub as App id through client, an App (JWT) client such as
// githubapp.ClientCreator's NewAppClient.
func NewLookup(id int64, client func() (*github.Client, error)) *Lookup {
	return &Lookup{id: id, client: client}
}

// Identity is the App as known so far; its slug fills in once Fetch succeeds.
func (l *Lookup) Identity() Identity { return Identity{ID: l.id, slug: l.Slug, lookup: l} }

// Slug is the slug GitHub answered, or "" before it did.
func (l *Lookup) Slug() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slug
}

// Fetch asks GitHub for the App's slug and remembers it. Errors are GitHub's
// as go-github returns them, so a caller can tell a 401 (wrong key) apart.
func (l *Lookup) Fetch(ctx context.Context) (string, error) {
	if s := l.Slug(); s != "" {
		return s, nil
	}
	l.fetching.Lock()
	defer l.fetching.Unlock()
	if s := l.Slug(); s != "" {
		return s, nil
	}
	client, err := l.client()
	if err != nil {
		return "", fmt.Errorf("creating the App client: %w", err)
	}
	app, _, err := client.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("reading the App's identity (GET /app): %w", err)
	}
	if app.GetSlug() == "" {
		return "", errors.New("GET /app answered without a slug")
	}
	l.mu.Lock()
	l.slug = app.GetSlug()
	l.mu.Unlock()
	return app.GetSlug(), nil
}

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

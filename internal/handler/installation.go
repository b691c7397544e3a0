package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// Installation records where the App is installed. It needs no API call: the
// payload names the account and the repositories added or removed.
type Installation struct {
	Base
	// Cache, when set, forgets the installation ids it remembers, so a
	// reinstalled App is looked up again instead of used through a dead id.
	Cache InstallationCache
}

// InstallationCache remembers where the App is installed.
// *meetingsync.Service is one.
type InstallationCache interface{ ForgetInstallations() }

var _ githubapp.EventHandler = &Installation{}

// Handles implements githubapp.EventHandler.
func (h *Installation) Handles() []string {
	return []string{"installation", "installation_repositories"}
}

// Handle implements githubapp.EventHandler.
func (h *Installation) Handle(ctx context.Context, eventType, _ string, payload []byte) error {
	var (
		action  string
		inst    *github.Installation
		added   []*github.Repository
		removed []*github.Repository
	)
	switch eventType {
	case "installation":
		var e github.InstallationEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("parsing installation event: %w", err)
		}
		action, inst, added = e.GetAction(), e.GetInstallation(), e.Repositories
	case "installation_repositories":
		var e github.InstallationRepositoriesEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("parsing installation_repositories event: %w", err)
		}
		action, inst, added, removed = e.GetAction(), e.GetInstallation(), e.RepositoriesAdded, e.RepositoriesRemoved
	default:
		return nil
	}
	h.Metrics.InstallationEvent.WithLabelValues(eventType, action).Inc()
	zerolog.Ctx(ctx).Info().
		Int64(githubapp.LogKeyInstallationID, inst.GetID()).
		Str("account", inst.GetAccount().GetLogin()).
		Str("account_type", inst.GetAccount().GetType()).
		Str("repository_selection", inst.GetRepositorySelection()).
		Strs("repositories_added", repoNames(added)).
		Strs("repositories_removed", repoNames(removed)).
		Msgf("installation %s", action)
	if h.Cache != nil {
		h.Cache.ForgetInstallations()
	}
	return nil
}

func repoNames(repos []*github.Repository) []string {
	names := make([]string, 0, len(repos))
	for _, r := range repos {
		names = append(names, r.GetFullName())
	}
	return names
}

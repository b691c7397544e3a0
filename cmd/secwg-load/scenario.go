package main

import (
	_ "embed"
	"fmt"
	"strings"
)

var (
	// A star event: secwg has no handler for it, so it is answered at once.
	//go:embed payloads/star.created.json
	starPayload []byte

	// An installation_repositories event names its installation, so secwg
	// queues it; its handler logs and counts it from the payload alone, with
	// no GitHub API call, so the job does no I/O.
	//go:embed payloads/installation_repositories.added.json
	installationPayload []byte
)

// scenario is one kind of delivery sent to every target.
type scenario struct {
	name     string
	about    string
	event    string
	body     []byte
	repeatID bool // every request carries the same delivery ID and body
}

var scenarios = []scenario{
	{name: "ignored", about: "star, a new delivery ID and body each", event: "star", body: starPayload},
	// secwg forgets an ignored delivery, so only a handled event's
	// redelivery is a duplicate to it. Each cell and target repeats its own
	// delivery: the first is handled, the rest are duplicates.
	{name: "duplicate", about: "installation_repositories, one delivery repeated", event: "installation_repositories", body: installationPayload, repeatID: true},
	{name: "handled", about: "installation_repositories, a new delivery ID and body each; the job does no I/O", event: "installation_repositories", body: installationPayload},
}

func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func parseScenarios(s string) ([]scenario, error) {
	var out []scenario
	for _, f := range strings.Split(s, ",") {
		name := strings.TrimSpace(f)
		found := false
		for _, sc := range scenarios {
			if sc.name == name {
				out, found = append(out, sc), true
			}
		}
		if !found {
			return nil, fmt.Errorf("--scenarios: %q is not one of %s", name, scenarioNames())
		}
	}
	return out, nil
}

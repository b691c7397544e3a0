package action

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Env is what a GitHub Actions runner tells a step about the event, read
// from the variables it sets.
type Env struct {
	EventName  string // GITHUB_EVENT_NAME
	EventPath  string // GITHUB_EVENT_PATH: the webhook payload, as a file
	Token      string // GITHUB_TOKEN: the workflow's token or an App's installation token
	Repository string // GITHUB_REPOSITORY: owner/name of the workflow's repository
	APIURL     string // GITHUB_API_URL
	GraphQLURL string // GITHUB_GRAPHQL_URL
	ServerURL  string // GITHUB_SERVER_URL
	// RunID names the delivery in logs: GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT.
	RunID string
}

// Defaults for the variables a runner always sets, for a run outside one.
const (
	defaultAPIURL     = "https://api.github.com"
	defaultGraphQLURL = "https://api.github.com/graphql"
	defaultServerURL  = "https://github.com"
)

// ReadEnv reads the runner's variables. The event name, payload path, token
// and repository are required; a missing one is named in the error.
func ReadEnv(lookup func(string) (string, bool)) (Env, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	e := Env{
		EventName:  get("GITHUB_EVENT_NAME"),
		EventPath:  get("GITHUB_EVENT_PATH"),
		Token:      get("GITHUB_TOKEN"),
		Repository: get("GITHUB_REPOSITORY"),
		APIURL:     get("GITHUB_API_URL"),
		GraphQLURL: get("GITHUB_GRAPHQL_URL"),
		ServerURL:  get("GITHUB_SERVER_URL"),
	}
	var missing []string
	for _, v := range []struct{ name, value string }{
		{"GITHUB_EVENT_NAME", e.EventName}, {"GITHUB_EVENT_PATH", e.EventPath},
		{"GITHUB_TOKEN", e.Token}, {"GITHUB_REPOSITORY", e.Repository},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return Env{}, fmt.Errorf("%s not set: secwg action runs as a step of a GitHub Actions workflow, which sets them (pass the token as env GITHUB_TOKEN)", strings.Join(missing, ", "))
	}
	if owner, name, ok := strings.Cut(e.Repository, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Env{}, fmt.Errorf("GITHUB_REPOSITORY=%q is not owner/name", e.Repository)
	}
	if e.APIURL == "" {
		e.APIURL = defaultAPIURL
	}
	if e.GraphQLURL == "" {
		e.GraphQLURL = defaultGraphQLURL
	}
	if e.ServerURL == "" {
		e.ServerURL = defaultServerURL
	}
	// go-github resolves paths against the base URL, which must end in a slash.
	if !strings.HasSuffix(e.APIURL, "/") {
		e.APIURL += "/"
	}
	e.RunID = "actions"
	if id := get("GITHUB_RUN_ID"); id != "" {
		e.RunID = id + "-" + get("GITHUB_RUN_ATTEMPT")
	}
	return e, nil
}

// Owner and Name split Repository.
func (e Env) Owner() string { o, _, _ := strings.Cut(e.Repository, "/"); return o }

// Name is the repository's name without its owner.
func (e Env) Name() string { _, n, _ := strings.Cut(e.Repository, "/"); return n }

// TokenKind says what GITHUB_TOKEN is, because it decides how team
// membership is read: the workflow's token cannot read it at all.
type TokenKind string

// The token kinds.
const (
	// WorkflowToken is the job's GITHUB_TOKEN: limited to the workflow's
	// repository, no organisation members permission.
	WorkflowToken TokenKind = "workflow"
	// AppToken is an installation token of secwg's App, for example from
	// actions/create-github-app-token: what the server has.
	AppToken TokenKind = "app"
)

// ParseTokenKind reads "workflow" or "app"; "true" and "false" are what an
// Actions expression comparing the input with github.token yields.
func ParseTokenKind(s string) (TokenKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "workflow", "true":
		return WorkflowToken, nil
	case "app", "false", "":
		return AppToken, nil
	}
	return "", fmt.Errorf("token kind %q: want workflow or app", s)
}

// parseAppID reads an App id; empty is 0 (unknown).
func parseAppID(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, errors.New("app id " + strconv.Quote(s) + ": want a positive whole number")
	}
	return id, nil
}

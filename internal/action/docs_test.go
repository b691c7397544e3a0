package action_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/secwg/secwg/internal/action"
	"github.com/secwg/secwg/internal/config"
)

// activityTypes are the activity types GitHub Actions accepts for the events
// the workflows may use; an event with no list takes none.
var activityTypes = map[string][]string{
	"issues": {"opened", "edited", "deleted", "transferred", "pinned", "unpinned", "closed", "reopened", "assigned",
		"unassigned", "labeled", "unlabeled", "locked", "unlocked", "milestoned", "demilestoned", "typed", "untyped"},
	"pull_request":        pullRequestTypes,
	"pull_request_target": pullRequestTypes,
	"issue_comment":       {"created", "edited", "deleted"},
	"check_run":           {"created", "rerequested", "completed", "requested_action"},
	"check_suite":         {"completed"},
	"schedule":            nil,
	"workflow_dispatch":   nil,
}

var pullRequestTypes = []string{"assigned", "unassigned", "labeled", "unlabeled", "opened", "edited", "closed", "reopened",
	"synchronize", "converted_to_draft", "ready_for_review", "locked", "unlocked", "review_requested",
	"review_request_removed", "auto_merge_enabled", "auto_merge_disabled", "milestoned", "demilestoned", "enqueued", "dequeued"}

// permissions is a job's permissions block: scope → read or write.
type permissions map[string]string

// need adds the scopes of p to the set, write winning over read.
func (ps permissions) need(p permissions) {
	for scope, level := range p {
		if ps[scope] != "write" {
			ps[scope] = level
		}
	}
}

// featureNeeds is what the workflow token must be allowed for a feature to
// do its work on an event: the API calls its handlers make.
func featureNeeds(f action.Feature, event string) permissions {
	check := permissions{"checks": "write", "contents": "read", "pull-requests": "read"}
	switch f {
	case action.Checks:
		switch event {
		case "pull_request", "pull_request_target", "check_run", "check_suite", "issue_comment":
			return check
		}
	case action.Meetings:
		switch event {
		case "issues", "pull_request", "pull_request_target":
			return permissions{"issues": "write"} // the meeting issue's agenda
		case "schedule", "workflow_dispatch", "issue_comment":
			// The pass and /minutes propose the minutes: a branch, a commit
			// and a pull request.
			return permissions{"contents": "write", "issues": "write", "pull-requests": "write"}
		}
	case action.Commands:
		if event == "issue_comment" {
			return permissions{"issues": "write"} // reactions, replies, labels
		}
	}
	return nil
}

// knownActions are the actions the workflows may use, pinned by version.
var knownActions = regexp.MustCompile(`^(actions/checkout@v4|actions/create-github-app-token@v2|github/codeql-action/upload-sarif@v3|secwg/secwg@main)$`)

type workflowFile struct {
	Name        string         `yaml:"name"`
	On          map[string]any `yaml:"on"`
	Permissions *permissions   `yaml:"permissions"`
	Concurrency map[string]any `yaml:"concurrency"`
	Jobs        map[string]struct {
		If          string       `yaml:"if"`
		RunsOn      string       `yaml:"runs-on"`
		Permissions *permissions `yaml:"permissions"`
		Steps       []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

// workflowsIn returns the YAML blocks of a Markdown file that are workflows.
func workflowsIn(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range yamlBlock.FindAllStringSubmatch(string(data), -1) {
		if strings.Contains(m[1], "\njobs:") {
			out = append(out, m[1])
		}
	}
	return out
}

// actionInputs are the inputs action.yml declares.
func actionInputs(t testing.TB) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for k := range meta.Inputs {
		out[k] = true
	}
	return out
}

// TestDocumentedWorkflowsAreValidAndLeast parses every workflow in
// docs/actions.md and the README: valid YAML with known keys, events and
// activity types GitHub accepts and secwg acts on, inputs action.yml
// declares, nothing checked out where a fork's code could run, and for each
// job exactly the permissions its steps need, no more and no fewer.
func TestDocumentedWorkflowsAreValidAndLeast(t *testing.T) {
	root := moduleRoot(t)
	docs := workflowsIn(t, filepath.Join(root, "docs", "actions.md"))
	if len(docs) < 5 {
		t.Fatalf("docs/actions.md has %d workflows; want meetings, check, commands, lint and App token", len(docs))
	}
	readme := workflowsIn(t, filepath.Join(root, "README.md"))
	if len(readme) == 0 {
		t.Error("README.md shows no workflow")
	}
	inputs := actionInputs(t)
	cfg, err := config.Load(writeFile(t, "empty.yml", "{}\n"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	env := action.Env{EventName: "schedule", Token: "t", Repository: "o/r", APIURL: "http://127.0.0.1:1/", GraphQLURL: "http://127.0.0.1:1/graphql"}

	for i, src := range append(docs, readme...) {
		var wf workflowFile
		dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
		dec.KnownFields(true)
		if err := dec.Decode(&wf); err != nil {
			t.Errorf("workflow %d is not a valid workflow: %v\n%s", i+1, err, src)
			continue
		}
		t.Run(wf.Name, func(t *testing.T) {
			if wf.Name == "" || len(wf.On) == 0 || len(wf.Jobs) == 0 {
				t.Fatalf("needs name, on and jobs")
			}
			if wf.Permissions == nil || len(*wf.Permissions) != 0 {
				t.Errorf("the workflow must grant nothing (permissions: {}); jobs ask for their own")
			}
			events := map[string][]string{} // event → activity types, nil for all
			for ev, spec := range wf.On {
				valid, known := activityTypes[ev]
				if !known {
					t.Errorf("event %s is not one these workflows may use", ev)
					continue
				}
				events[ev] = nil
				m, _ := spec.(map[string]any)
				types, _ := m["types"].([]any)
				for _, ty := range types {
					s := fmt.Sprint(ty)
					if !slices.Contains(valid, s) {
						t.Errorf("%s has no activity type %q (GitHub's: %s)", ev, s, strings.Join(valid, ", "))
					}
					events[ev] = append(events[ev], s)
				}
			}
			for name, job := range wf.Jobs {
				if job.Permissions == nil {
					t.Errorf("job %s has no permissions block", name)
					continue
				}
				for scope, level := range *job.Permissions {
					if level != "read" && level != "write" {
						t.Errorf("job %s: %s: %s; list only what is granted", name, scope, level)
					}
				}
				need := permissions{}
				checkout := false
				for _, step := range job.Steps {
					if !knownActions.MatchString(step.Uses) {
						t.Errorf("job %s uses %q; known: %s", name, step.Uses, knownActions)
					}
					switch {
					case strings.HasPrefix(step.Uses, "actions/checkout@"):
						checkout = true
						need.need(permissions{"contents": "read"})
						if step.With["persist-credentials"] != "false" {
							t.Errorf("job %s: checkout must not leave the token in .git (persist-credentials: false)", name)
						}
						if _, ok := events["pull_request_target"]; ok && step.With["ref"] != "" {
							t.Errorf("job %s checks out %q under pull_request_target: a fork's code with this repository's token", name, step.With["ref"])
						}
					case strings.HasPrefix(step.Uses, "github/codeql-action/upload-sarif@"):
						need.need(permissions{"security-events": "write"})
					case strings.HasPrefix(step.Uses, "secwg/secwg@"):
						for k := range step.With {
							if !inputs[k] {
								t.Errorf("job %s passes %s, which action.yml does not declare", name, k)
							}
						}
						command := step.With["command"]
						if command == "" {
							command = "action"
						}
						if command == "lint" {
							need.need(permissions{"contents": "read"})
							continue
						}
						features, err := action.ParseFeatures(step.With["features"])
						if err != nil {
							t.Errorf("job %s: %v", name, err)
							continue
						}
						if features.Has(action.Checks) && checkout {
							if _, ok := events["pull_request_target"]; ok {
								t.Errorf("job %s checks out code and runs the check under pull_request_target; the check needs no checkout", name)
							}
						}
						r, err := action.New(env, cfg, zerolog.Nop(), action.Options{Features: features})
						if err != nil {
							t.Fatal(err)
						}
						for ev, types := range events {
							if types == nil {
								types = []string{""}
							}
							for _, ty := range types {
								if !r.Acts(ev, ty) {
									t.Errorf("job %s: secwg action with features %v does nothing on %s %s; drop it", name, features, ev, ty)
								}
							}
						}
						if tok := step.With["token"]; tok != "" && tok != "${{ github.token }}" {
							continue // an App token: the job's permissions do not reach it
						}
						for _, f := range features {
							for ev := range events {
								need.need(featureNeeds(f, ev))
							}
						}
					}
				}
				if got := *job.Permissions; !maps.Equal(got, need) {
					t.Errorf("job %s asks for %v; its steps need exactly %v", name, got, need)
				}
			}
		})
	}
}

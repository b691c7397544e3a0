package handler_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/checkrun"
)

// addedFile lists path in the pull request as added, with the patch that adds data.
func (e *chkEnv) addedFile(path string, data []byte) {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	e.files[1] = map[string]any{"filename": path, "status": "added", "changes": len(lines),
		"patch": fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s", len(lines), strings.Join(lines, "\n+"))}
	e.put("nodejs", "node-sec", chkHead, path, data)
}

func TestThreatDragonPullRequestIsAnnotatedOnItsJSONLines(t *testing.T) {
	e := newChkEnv(t, 0)
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte("threat_model:\n  paths: [\"threat-model/*.json\"]\n"))
	e.addedFile("threat-model/web.json", chkFixture(t, "threat-dragon.json"))
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	r := e.allRuns()[0]
	if r.Conclusion != "failure" {
		t.Errorf("conclusion %s, want failure: %s", r.Conclusion, r.Title)
	}
	var got []string
	for _, a := range r.Annotations {
		got = append(got, fmt.Sprintf("%v:%v-%v %v", a["path"], a["start_line"], a["end_line"], a["annotation_level"]))
	}
	slices.Sort(got)
	// The threat objects of threat-dragon.json open on these lines and close eight later.
	want := []string{
		"threat-model/web.json:20-28 failure",
		"threat-model/web.json:29-37 failure",
		"threat-model/web.json:38-46 failure",
		"threat-model/web.json:47-55 failure",
	}
	if !slices.Equal(got, want) {
		t.Errorf("annotations\n%q\nwant\n%q", got, want)
	}
	if !strings.HasPrefix(r.Title, "4 errors") || !strings.Contains(r.Summary, "in 6 threats") {
		t.Errorf("title %q, summary %q", r.Title, r.Summary)
	}
}

func TestEmptyModelRunIsNeutralAndExplainsHowToStart(t *testing.T) {
	e := newChkEnv(t, 0)
	e.addedFile("SECURITY.md", []byte("# Security\n\n## Threat model\n\nTo be written.\n"))
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	r := e.allRuns()[0]
	if r.Conclusion != "neutral" {
		t.Errorf("conclusion %s, want neutral", r.Conclusion)
	}
	for _, want := range []string{"No threats or mitigations yet", "`secwg init`", "docs/threat-model-format.md", "STRIDE × environment"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}
}

// A change to one threat of a Threat Dragon model is held to the rules; the
// threats it leaves alone are notices.
func TestThreatDragonChangeIsEnforcedOnlyOnTheThreatItTouches(t *testing.T) {
	e := newChkEnv(t, 0)
	e.put("nodejs", "node-sec", "main", checkrun.ConfigPath, []byte("threat_model:\n  paths: [\"threat-model/*.json\"]\n"))
	base := chkFixture(t, "threat-dragon.json")
	head := []byte(strings.Replace(string(base), `"Clean",
                  "status": "Mitigated",`, `"Clean",
                  "status": "Closed",`, 1))
	if string(head) == string(base) {
		t.Fatal("the fixture's clean threat was not found")
	}
	e.put("nodejs", "node-sec", chkBase, "threat-model/web.json", base)
	e.put("nodejs", "node-sec", chkHead, "threat-model/web.json", head)
	e.files[1] = map[string]any{"filename": "threat-model/web.json", "status": "modified", "changes": 2,
		"patch": "@@ -67,3 +67,3 @@\n                   \"title\": \"Clean\",\n-                  \"status\": \"Mitigated\",\n+                  \"status\": \"Closed\",\n                   \"severity\": \"High\","}
	if err := e.deliver(t, "pull_request", "pull_request.json", nil); err != nil {
		t.Fatal(err)
	}
	r := e.allRuns()[0]
	var failures, notices []string
	for _, a := range r.Annotations {
		at := fmt.Sprintf("%v", a["start_line"])
		switch a["annotation_level"] {
		case "failure":
			failures = append(failures, at)
		case "notice":
			notices = append(notices, at)
		}
	}
	if r.Conclusion != "failure" || !slices.Equal(failures, []string{"65"}) || len(notices) != 4 {
		t.Errorf("conclusion %s, failures on lines %q, %d notices; want failure, [65] and 4", r.Conclusion, failures, len(notices))
	}
}

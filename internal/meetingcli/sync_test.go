package meetingcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// syncConfig writes a server configuration pointing at gh with the App's key.
func syncConfig(t *testing.T, gh *githubtest.Server) string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, gh.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `github:
  v3_api_url: ` + gh.URL() + `
  app:
    integration_id: 4242
    webhook_secret: s3cret
    private_key_path: ` + key + `
meetings:
  - id: biweekly
    org: nodejs
    repo: nodejs/security-wg
    schedule: {rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", start: "2025-01-09T14:00:00Z", timezone: UTC}
`
	path := filepath.Join(dir, "secwg.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSyncCreatesTheDueIssueAndDryRunWritesNothing(t *testing.T) {
	gh := githubtest.New(t)
	state := meetingsynctest.New(gh)
	state.Add(meetingsynctest.Issue{Repo: "nodejs/security-wg", Number: 1552, Title: "Node.js PURL is missing namespace", Author: "octocat", Labels: []string{"security-wg-agenda"}})
	path := syncConfig(t, gh)
	meetingIssues := func() int {
		n := 0
		for _, is := range state.IssuesBy("nodejs/security-wg", meetingsynctest.AppLogin) {
			if _, _, ok := meeting.FindMarker(is.Body); ok {
				n++
			}
		}
		return n
	}

	code, out, errOut := runCLI(t, testDeps(nil), "sync", "--config", path, "--now", "2026-03-16T14:00:00Z", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "would create the meeting issue in nodejs/security-wg") || !strings.Contains(out, "[#1552]") || meetingIssues() != 0 {
		t.Errorf("dry run printed %q and left %d meeting issues, want a preview and none", out, meetingIssues())
	}

	for i := 0; i < 2; i++ {
		if code, _, errOut := runCLI(t, testDeps(nil), "sync", "--config", path, "--now", "2026-03-16T14:00:00Z"); code != 0 {
			t.Fatalf("sync %d: exit %d: %s", i, code, errOut)
		}
	}
	if n := meetingIssues(); n != 1 {
		t.Errorf("%d meeting issues after two runs, want 1", n)
	}
	if strings.Contains(errOut, "s3cret") || strings.Contains(errOut, "PRIVATE KEY") {
		t.Error("a secret reached the log")
	}
}

func TestSyncFailureExitsOne(t *testing.T) {
	gh := githubtest.New(t)
	gh.ReplyJSON("GET /repos/{owner}/{repo}/installation", 404, map[string]string{"message": "Not Found"})
	code, _, errOut := runCLI(t, testDeps(nil), "sync", "--config", syncConfig(t, gh), "--now", "2026-03-16T14:00:00Z")
	if code != 1 || !strings.Contains(errOut, `group "biweekly"`) || !strings.Contains(errOut, "installation") {
		t.Errorf("exit %d, stderr %q; want 1 naming the group and the installation", code, errOut)
	}
}

package meetingsync

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/secwg/secwg/internal/githubtest"
	"github.com/secwg/secwg/internal/meeting"
)

func TestIncompleteSearchIsWarnedAboutAndItsItemsKept(t *testing.T) {
	for _, incomplete := range []bool{false, true} {
		t.Run(map[bool]string{false: "complete", true: "incomplete"}[incomplete], func(t *testing.T) {
			var logs bytes.Buffer
			e := newEnv(t, leadTimeAt, WithLogger(zerolog.New(&logs)))
			e.state.SetIncompleteSearch(incomplete)
			e.agendaItem("nodejs/node", 42, "Harden the permission model")
			e.sync()
			warned := strings.Contains(logs.String(), `"level":"warn"`) &&
				strings.Contains(logs.String(), "incomplete results") && strings.Contains(logs.String(), `"group":"security-wg"`)
			if warned != incomplete {
				t.Errorf("warned %v, want %v; logs:\n%s", warned, incomplete, logs.String())
			}
			if body := e.onlyMeetingIssue().Body; !strings.Contains(body, "Harden the permission model") {
				t.Errorf("agenda lost the item found:\n%s", body)
			}
		})
	}
}

// A group whose org has no installation of the App searches through the
// repository's: the org is asked once a pass, however many standing items
// search, not once per search.
func TestSearchClientIsResolvedOncePerPass(t *testing.T) {
	// go-githubapp asks GET /users/{username}/installation after an
	// organisation's 404; the quick subset of GitHub's description lacks it.
	if path := os.Getenv(githubtest.EnvOpenAPI); path != "" {
		if desc, err := os.ReadFile(path); err != nil || !bytes.Contains(desc, []byte(`"/users/{username}/installation"`)) {
			t.Skipf("%s (%s) lacks GET /users/{username}/installation; run with GitHub's whole description, as .ci/run does", githubtest.EnvOpenAPI, path)
		}
	}
	for _, searches := range []int{0, 1, 3} {
		t.Run(fmt.Sprint(searches), func(t *testing.T) {
			e := newEnv(t, leadTimeAt)
			e.cfg.Groups[0].Org = "openjs" // the App is installed on nodejs/security-wg only
			for i := range searches {
				e.cfg.Groups[0].StandingItems = append(e.cfg.Groups[0].StandingItems, meeting.StandingItem{
					Title: fmt.Sprintf("Review %d", i), URL: "https://github.com/" + vulnRepo + "/issues", Search: fmt.Sprintf("repo:%s is:issue label:l%d", vulnRepo, i),
				})
			}
			e.svc = e.newService()
			notFound := githubtest.Response{Status: http.StatusNotFound,
				Body: map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/apps"}}.ServeHTTP
			e.gh.Handle("GET /orgs/{org}/installation", notFound)
			e.gh.Handle("GET /users/{username}/installation", notFound) // asked next, as the owner may be a user
			for pass := range 2 {
				before := e.gh.Count("GET /orgs/{org}/installation")
				e.sync()
				if n := e.gh.Count("GET /orgs/{org}/installation") - before; n != 1 {
					t.Errorf("pass %d with %d standing searches asked for the org's installation %d times, want 1", pass, searches, n)
				}
			}
			if body := e.onlyMeetingIssue().Body; searches > 0 && !strings.Contains(body, "Review 0") {
				t.Errorf("agenda lacks the standing item:\n%s", body)
			}
		})
	}
}

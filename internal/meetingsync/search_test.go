package meetingsync

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
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

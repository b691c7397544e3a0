package meeting

import (
	"github.com/secwg/secwg/internal/command"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// serverConfig mirrors how the server configuration embeds the meetings key.
type serverConfig struct {
	Meetings Config `yaml:"meetings"`
}

func parseMeetings(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var c serverConfig
	err := yaml.Unmarshal([]byte(doc), &c)
	return c.Meetings, err
}

const minimalList = `meetings:
  - id: security-wg
    org: nodejs
    repo: nodejs/security-wg
    calendar:
      url: https://calendar.example/basic.ics
      filter: Node.js Security Working Group Monthly Meeting
`

func TestMinimalGroupGetsTheSecurityWGDefaults(t *testing.T) {
	c, err := parseMeetings(t, minimalList)
	if err != nil {
		t.Fatal(err)
	}
	if c.SyncInterval != 15*time.Minute {
		t.Errorf("sync interval = %s, want 15m", c.SyncInterval)
	}
	g, err := c.Group("security-wg")
	if err != nil {
		t.Fatal(err)
	}
	title, err := g.MeetingTitle(utc("2026-03-19T14:00:00Z"))
	if err != nil || title != "Node.js Security team Meeting 2026-03-19" {
		t.Errorf("title = %q, %v", title, err)
	}
	if g.AgendaLabel != "security-wg-agenda" || g.Duration != time.Hour || g.LeadTime != 7*24*time.Hour {
		t.Errorf("label %q duration %s lead %s", g.AgendaLabel, g.Duration, g.LeadTime)
	}
	if !reflect.DeepEqual(g.Timezones, DefaultZones) || len(g.Timezones) != 12 {
		t.Errorf("zones = %v", g.Timezones)
	}
	if len(g.StandingItems) != 2 || g.StandingItems[0].Title != "Vulnerability Review" {
		t.Errorf("standing items = %v", g.StandingItems)
	}
	if p, err := g.MinutesPath(Occurrence{Start: utc("2026-03-19T14:00:00Z")}); err != nil || p != "meetings/2026-03-19.md" {
		t.Errorf("minutes path = %q, %v", p, err)
	}
	if g.Invited[0] != "Security wg team: @nodejs/security-wg" || !strings.Contains(g.Joining.Observer, "youtube.com") {
		t.Errorf("invited %v joining %+v", g.Invited, g.Joining)
	}
}

func TestMeetingsAcceptsAMappingWithSyncInterval(t *testing.T) {
	c, err := parseMeetings(t, `meetings:
  sync_interval: 5m
  groups:
    - id: security-wg
      org: nodejs
      repo: nodejs/security-wg
      schedule: {rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", start: "2025-01-09T14:00:00Z", timezone: UTC}
      joining: {participant: "https://zoom.example/j/1"}
      timezones: [{label: UTC, zone: UTC}]
      observers: ["@someone"]
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.SyncInterval != 5*time.Minute || len(c.Groups) != 1 {
		t.Fatalf("got %+v", c)
	}
	g := c.Groups[0]
	if g.Joining.Participant != "https://zoom.example/j/1" || !strings.Contains(g.Joining.Observer, "youtube") {
		t.Errorf("joining = %+v, want the participant replaced and the observer default kept", g.Joining)
	}
	if len(g.Timezones) != 1 || len(g.Observers) != 1 {
		t.Errorf("zones %v observers %v", g.Timezones, g.Observers)
	}
}

func TestGroupCommandOverridesAreRead(t *testing.T) {
	c, err := parseMeetings(t, strings.TrimSuffix(minimalList, "\n")+"\n    commands: {agenda: [team, write]}\n")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Groups[0].Commands.For(command.Agenda)
	if got != command.Team|command.Write {
		t.Errorf("agenda permission = %v", got)
	}
}

func TestEmptyMeetingsIsNoGroups(t *testing.T) {
	for _, doc := range []string{"meetings:\n", "meetings: []\n", "other: 1\n"} {
		c, err := parseMeetings(t, doc)
		if err != nil || len(c.Groups) != 0 {
			t.Errorf("%q: groups %v err %v", doc, c.Groups, err)
		}
	}
}

func TestBadMeetingsConfigNamesGroupKeyAndReason(t *testing.T) {
	base := strings.TrimSuffix(minimalList, "\n")
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown key", base + "\n    agenda_lable: x\n", []string{`group "security-wg"`, "agenda_lable", "line 8"}},
		{"unknown nested key", strings.Replace(base, "filter:", "filtr:", 1), []string{`group "security-wg"`, "calendar.filtr", "line 7"}},
		{"unknown top-level key", "meetings:\n  interval: 5m\n  groups: []\n", []string{`"interval"`, "line 2"}},
		{"repeated top-level key", "meetings:\n  groups: []\n  groups: []\n", []string{"key groups", "line 3", "given twice"}},
		{"bad sync interval", "meetings:\n  sync_interval: soon\n", []string{"sync_interval", "soon"}},
		{"bad duration", base + "\n    duration: an hour\n", []string{`group "security-wg"`, "key duration", "line 8", "an hour"}},
		{"number for a duration", base + "\n    lead_time: 72\n", []string{"lead_time", "72"}},
		{"list where a mapping belongs", base + "\n    joining: [a]\n", []string{"joining", "want a mapping"}},
		{"scalar where a list belongs", base + "\n    invited: everyone\n", []string{"invited", "want a list"}},
		{"bad zone", base + "\n    timezones: [{label: Mars, zone: Mars/Olympus_Mons}]\n", []string{`group "security-wg"`, "timezones[0].zone", "Mars/Olympus_Mons"}},
		{"missing org", strings.Replace(base, "    org: nodejs\n", "", 1), []string{`group "security-wg"`, "key org", "missing"}},
		{"missing repo", strings.Replace(base, "    repo: nodejs/security-wg\n", "", 1), []string{"key repo", "missing"}},
		{"bad repo", strings.Replace(base, "repo: nodejs/security-wg", "repo: security-wg", 1), []string{"key repo", "owner/name"}},
		{"neither calendar nor schedule", strings.Split(base, "    calendar:")[0], []string{"key calendar", "calendar or schedule"}},
		{"both calendar and schedule", base + "\n    schedule: {rrule: FREQ=WEEKLY, start: 2026-01-01T14:00:00Z}\n", []string{"not both"}},
		{"bad rrule", strings.Split(base, "    calendar:")[0] + "    schedule: {rrule: FREQ=FORTNIGHTLY, start: 2026-01-01T14:00:00Z}\n", []string{`group "security-wg"`, "key schedule", "rrule"}},
		{"bad schedule zone", strings.Split(base, "    calendar:")[0] + "    schedule: {rrule: FREQ=WEEKLY, start: 2026-01-01T14:00:00Z, timezone: Nowhere/City}\n", []string{"key schedule", "Nowhere/City"}},
		{"bad schedule start", strings.Split(base, "    calendar:")[0] + "    schedule: {rrule: FREQ=WEEKLY, start: next thursday}\n", []string{"key schedule", "start"}},
		{"negative duration", base + "\n    duration: -1h\n", []string{"key duration", "positive"}},
		{"bad calendar scheme", strings.Replace(base, "https://calendar.example", "ftp://calendar.example", 1), []string{"calendar.url"}},
		{"bad id", strings.Replace(base, "id: security-wg", "id: Security WG", 1), []string{"key id"}},
		{"duplicate id", base + "\n" + strings.TrimPrefix(base, "meetings:\n") + "\n", []string{"key id", "used twice"}},
		{"minutes path escapes the repository", base + "\n    minutes: {path: \"../{{.Date}}.md\"}\n", []string{"minutes.path", "clean relative path"}},
		{"bad title template", base + "\n    title: \"{{.Nope}}\"\n", []string{"key title"}},
		{"group is not a mapping", "meetings:\n  - security-wg\n", []string{"line 2", "want a mapping"}},
		{"unknown command override", base + "\n    commands: {minuts: [team]}\n", []string{`group "security-wg"`, "commands.minuts", "unknown command"}},
		{"unknown permission", base + "\n    commands: {agenda: [owners]}\n", []string{`group "security-wg"`, "commands.agenda"}},
		{"commands not a mapping", base + "\n    commands: [agenda]\n", []string{"commands", "want a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseMeetings(t, tt.doc)
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryBadKey(t *testing.T) {
	g := testGroup()
	g.Org, g.Duration, g.Timezones = "", 0, []Zone{{Label: "", Zone: "Local"}}
	err := g.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken group")
	}
	for _, w := range []string{"key org", "key duration", "timezones[0].label", "timezones[0].zone"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestConfigGroupNamesTheKnownGroupsWhenMissing(t *testing.T) {
	c := Config{Groups: []Group{testGroup()}}
	if _, err := c.Group("tsc"); err == nil || !strings.Contains(err.Error(), "security-wg") {
		t.Errorf("err = %v", err)
	}
}

func TestStandingQueryAsksForOpenResults(t *testing.T) {
	tests := []struct{ search, want string }{
		{"repo:nodejs/nodejs-dependency-vuln-assessments is:issue", "is:open repo:nodejs/nodejs-dependency-vuln-assessments is:issue"},
		{"  is:open   repo:a/b ", "is:open repo:a/b"},
		{"repo:a/b IS:OPEN", "repo:a/b IS:OPEN"},
	}
	for _, tt := range tests {
		if got := (StandingItem{Search: tt.search}).StandingQuery(); got != tt.want {
			t.Errorf("StandingQuery(%q) = %q, want %q", tt.search, got, tt.want)
		}
	}
	g := testGroup()
	g.StandingItems = []StandingItem{{Title: "x", Search: "repo:a/b\nlabel:y"}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "standing_items[0].search") {
		t.Errorf("Validate = %v, want the multi-line search named", err)
	}
}

func TestSyncIntervalZeroTurnsTheLoopOff(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       time.Duration
		err        string
	}{
		{"bare list keeps the default", minimalList, DefaultSyncInterval, ""},
		{"zero turns the loop off", "meetings:\n  sync_interval: 0s\n  groups: []\n", 0, ""},
		{"negative is refused", "meetings:\n  sync_interval: -5m\n  groups: []\n", 0, "sync_interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseMeetings(t, tt.yaml)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Interval() != tt.want {
				t.Fatalf("Interval() = %s, want %s", c.Interval(), tt.want)
			}
		})
	}
}

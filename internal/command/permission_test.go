package command

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// groupConfig is how the server config embeds the overrides.
type groupConfig struct {
	Team     string    `yaml:"team"`
	Commands Overrides `yaml:"commands"`
}

func decodeGroup(t *testing.T, src string) (groupConfig, error) {
	t.Helper()
	var g groupConfig
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	err := dec.Decode(&g)
	return g, err
}

func TestDefaultPermissionsMatchTheCommandTable(t *testing.T) {
	want := map[Kind]Permission{
		Agenda:       Team | Triage,
		AgendaRemove: Team | Triage,
		Recheck:      Author | Write,
		Meeting:      Anyone,
		Minutes:      Team,
		Help:         Anyone,
	}
	for k, p := range want {
		if got := Overrides(nil).For(k); got != p {
			t.Errorf("default for %s = %s, want %s", k, got, p)
		}
	}
}

func TestOverridesReplaceDefaultsPerCommandKey(t *testing.T) {
	g, err := decodeGroup(t, "team: nodejs/security-wg\ncommands:\n  agenda: [team, write]\n  minutes: team\n  meeting: [team]\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind Kind
		want Permission
	}{
		{Agenda, Team | Write},
		{AgendaRemove, Team | Write},
		{Minutes, Team},
		{Meeting, Team},
		{Recheck, Author | Write},
		{Help, Anyone},
	}
	for _, tt := range tests {
		if got := g.Commands.For(tt.kind); got != tt.want {
			t.Errorf("For(%s) = %s, want %s", tt.kind, got, tt.want)
		}
	}
}

func TestOverridesRejectMistakesNamingTheKey(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown command", "commands:\n  agnda: team\n", []string{"line 2", "commands.agnda", "unknown command", "agenda, help, meeting, minutes, recheck"}},
		{"alias key", "commands:\n  remove-agenda: team\n", []string{"commands.remove-agenda", `configure "agenda"`}},
		{"unknown permission", "commands:\n  agenda: [team, traige]\n", []string{"commands.agenda", `"traige"`, "anyone, author, team"}},
		{"empty list", "commands:\n  minutes: []\n", []string{"commands.minutes", "no one"}},
		{"anyone with others", "commands:\n  meeting: [anyone, team]\n", []string{"commands.meeting", "list it alone"}},
		{"mapping as permission", "commands:\n  agenda: {team: true}\n", []string{"commands.agenda", "not a mapping"}},
		{"nested list", "commands:\n  agenda: [[team]]\n", []string{"commands.agenda", "not a list"}},
		{"list instead of mapping", "commands: [agenda]\n", []string{"commands must be a mapping"}},
		{"duplicate key", "commands:\n  agenda: team\n  agenda: triage\n", []string{"agenda"}},
		{"upper case name", "commands:\n  agenda: Team\n", []string{`"Team"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeGroup(t, tt.src)
			if err == nil {
				t.Fatalf("decoding %q succeeded, want an error", tt.src)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPermissionRoundTripsThroughYAML(t *testing.T) {
	in := Overrides{"agenda": Team | Triage, "recheck": Author | Maintain}
	out, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back Overrides
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if len(back) != len(in) || back["agenda"] != in["agenda"] || back["recheck"] != in["recheck"] {
		t.Errorf("round trip = %v, want %v", back, in)
	}
}

func TestOverridesValidateCatchesCodeBuiltMistakes(t *testing.T) {
	tests := []struct {
		o    Overrides
		want string
	}{
		{Overrides{"agenda": Team}, ""},
		{Overrides{"agnda": Team}, "commands.agnda: unknown command"},
		{Overrides{"minutes": 0}, "commands.minutes: no permission"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tt.want == "" && got != "" || tt.want != "" && !strings.HasPrefix(got, tt.want) {
			t.Errorf("Validate(%v) = %q, want %q", tt.o, got, tt.want)
		}
	}
}

func TestDescribeNamesOnlyTheLowestRepositoryLevel(t *testing.T) {
	tests := []struct {
		p    Permission
		want string
	}{
		{Anyone, "anyone"},
		{Team, "members of the group's team"},
		{Team | Triage, "members of the group's team or people with triage access or higher"},
		{Author | Write | Admin, "the author or people with write access or higher"},
		{Author | Team | Maintain, "the author, members of the group's team or people with maintain access or higher"},
		{Admin, "people with admin access"},
		{0, "no one"},
	}
	for _, tt := range tests {
		if got := tt.p.Describe(); got != tt.want {
			t.Errorf("%s.Describe() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

package threatmodel

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// got renders findings as "rule entry line" so tables can list what they expect.
func got(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %d", f.Rule, f.Entry, f.Line))
	}
	return out
}

func check(t *testing.T, files ...string) *Report {
	t.Helper()
	var fs []File
	for i, f := range files {
		fs = append(fs, File{Path: fmt.Sprintf("f%d.md", i), Data: []byte(f)})
	}
	r, err := Check(fs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const mitigationAll = "\n#### M-A-1: Everything\n\n- **Status**: Implemented\n"

func TestEveryRuleFires(t *testing.T) {
	tests := []struct {
		rule  string
		files []string
		want  []string
	}{
		{RuleStrideMissing, []string{"# T-A-1: x (CWE-1)\n\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"stride-missing T-A-1 1"}},
		{RuleStrideMissing, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**:\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"stride-missing T-A-1 3"}},
		{RuleStrideUnknown, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing, Sneaking\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"stride-unknown T-A-1 3"}},
		{RuleMitigationMissing, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n"},
			[]string{"mitigation-missing T-A-1 1"}},
		{RuleMitigationUndefined, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1, M-B-2\n" + mitigationAll},
			[]string{"mitigation-undefined T-A-1 4"}},
		{RuleDuplicateID, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n" + mitigationAll,
			"\n\n# T-A-1: again (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n"},
			[]string{"duplicate-id T-A-1 3"}},
		{RuleStatusUnknown, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Fixed\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"status-unknown T-A-1 4"}},
		{RuleStatusUnknown, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n" + mitigationAll + "- **Environments**: All\n\n# M-B-1: y\n\n- **Status**: Mitigated\n"},
			[]string{"status-unknown M-B-1 13", "mitigation-unreferenced M-B-1 11"}},
		{RuleEnvironmentUnknown, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Environments**: Server, Browser\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"environment-unknown T-A-1 4"}},
		{RuleRationaleMissing, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n"},
			[]string{"rationale-missing T-A-1 4"}},
		{RuleFieldDuplicate, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n- **stride**: Tampering\n" + mitigationAll},
			[]string{"field-duplicate T-A-1 5"}},
		{RuleIDMalformed, []string{"# T-a-1: x\n- **STRIDE**: S\n\n# T_A_1: x\n- **STRIDE**: S\n\n# T-A-1 x\n- **STRIDE**: S\n\n# T-A--1: x\n- **STRIDE**: S\n"},
			[]string{"id-malformed T-a-1 1", "id-malformed T_A_1 4", "id-malformed T-A-1 7", "id-malformed T-A--1 10", "model-empty  1"}},
		{RuleIDDash, []string{"# T\u2013A\u20131: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M\u2014A-1\n" + mitigationAll},
			[]string{"id-dash T-A-1 1", "id-dash T-A-1 4"}},
		{RuleFieldMisplaced, []string{"# T-A-1: x (CWE-1)\n\n| Field | Value |\n|---|---|\n| STRIDE | Spoofing |\n"},
			[]string{"field-misplaced T-A-1 1", "model-empty  1"}},
		{RuleFieldUnknown, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigatons**: M-A-1\n" + mitigationAll},
			[]string{"field-unknown T-A-1 4", "mitigation-missing T-A-1 1", "mitigation-unreferenced M-A-1 6"}},
		{RuleModelEmpty, []string{"# Notes\n\nNothing here yet.\n"},
			[]string{"model-empty  1"}},
		{RuleLimitExceeded, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: r\n" + strings.Repeat("- x\n", MaxFieldItems)},
			[]string{"limit-exceeded T-A-1 103"}},
		{RuleIDMalformed, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1, m-a-2\n" + mitigationAll},
			[]string{"id-malformed T-A-1 4"}},
		{RuleStrideNoncanonical, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: DoS\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"stride-noncanonical T-A-1 3"}},
		{RuleMitigationUnreferenced, []string{mitigationAll},
			[]string{"mitigation-unreferenced M-A-1 2"}},
		{RuleMitigationExperimentalOnly, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Mitigated\n- **Mitigations**: M-A-1\n\n# M-A-1: y\n\n- **Status**: Experimental\n"},
			[]string{"mitigation-experimental-only T-A-1 4"}},
		{RuleEnvironmentUnmitigated, []string{"# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Environments**: Server, CLI, SEA\n- **Mitigations**: M-A-1\n\n# M-A-1: y\n\n- **Environments**: CLI\n"},
			[]string{"environment-unmitigated T-A-1 5"}},
		{RuleCWEMissing, []string{"# T-A-1: x\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-A-1\n" + mitigationAll},
			[]string{"cwe-missing T-A-1 1"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			g := got(check(t, tt.files...))
			slices.Sort(g)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(g, want) {
				t.Errorf("findings\n got %q\nwant %q", g, want)
			}
		})
		covered[tt.rule] = true
	}
	covered[RuleSectionMissing] = true            // needs a section option: TestParserReadsOnlyRealMarkdownStructure
	covered[RuleFormatUnsupported] = true         // needs a file name: TestThreatDragonMistakes, TestYAMLModelsAreNotRead
	covered[RuleSectionEmpty] = true              // needs sections: TestStructureRules
	covered[RuleEnvironmentSectionMissing] = true // needs sections: TestStructureRules
	covered[RuleJSONInvalid] = true               // needs a file name: TestThreatDragonMistakes
	for _, r := range Rules {
		if !covered[r.ID] {
			t.Errorf("rule %s has no case", r.ID)
		}
	}
}

func TestFindingsCarryRuleSeverityAndMessage(t *testing.T) {
	r := check(t, "# T-A-1: x (CWE-1)\n\n- **STRIDE**: Non-repudiation\n- **Mitigations**: M-A-1\n"+mitigationAll)
	if len(r.Findings) != 1 {
		t.Fatalf("findings %v", r.Findings)
	}
	f := r.Findings[0]
	want := Finding{Path: "f0.md", Line: 3, Column: 3, EndLine: 3, Severity: SeverityError, Rule: RuleStrideUnknown, Entry: "T-A-1"}
	msg := f.Message
	f.Message, f.Markdown = "", ""
	if f != want {
		t.Errorf("finding %+v, want %+v", f, want)
	}
	if !strings.Contains(msg, "Repudiation") {
		t.Errorf("message %q gives no hint", msg)
	}
}

func TestSeverityOverridesApply(t *testing.T) {
	src := "# T-A-1: x\n\n- **STRIDE**: Spoofing\n- **Mitigations**: M-B-1\n"
	tests := []struct {
		name       string
		severities map[string]Severity
		errors     int
		warnings   int
	}{
		{"defaults", nil, 1, 1},
		{"off", map[string]Severity{RuleCWEMissing: SeverityOff, RuleMitigationUndefined: SeverityOff}, 0, 0},
		{"raised", map[string]Severity{RuleCWEMissing: SeverityError}, 2, 0},
		{"lowered", map[string]Severity{RuleMitigationUndefined: SeverityWarning}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check([]File{{Path: "a.md", Data: []byte(src)}}, Options{Severities: tt.severities})
			if err != nil {
				t.Fatal(err)
			}
			if r.Counts.Errors != tt.errors || r.Counts.Warnings != tt.warnings || r.Failed() != (tt.errors > 0) {
				t.Errorf("errors %d warnings %d, want %d %d", r.Counts.Errors, r.Counts.Warnings, tt.errors, tt.warnings)
			}
		})
	}
}

func TestAliasesMapToCanonicalSpelling(t *testing.T) {
	tests := []struct {
		value string
		want  Category
	}{
		{"spoofing", Spoofing},
		{"TAMPERING", Tampering},
		{"Information-Disclosure", InformationDisclosure},
		{"denial_of_service", DenialOfService},
		{"DoS", DenialOfService},
		{"EoP", ElevationOfPrivilege},
		{"Info disclosure", InformationDisclosure},
		{"Privilege escalation", ElevationOfPrivilege},
		{"S", Spoofing}, {"T", Tampering}, {"R", Repudiation}, {"I", InformationDisclosure}, {"D", DenialOfService}, {"E", ElevationOfPrivilege},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			r := check(t, "# T-A-1: x (CWE-1)\n\n- **STRIDE**: "+tt.value+"\n- **Mitigations**: M-A-1\n"+mitigationAll)
			th := r.Documents[0].Threats[0]
			if !slices.Equal(th.STRIDE, []Category{tt.want}) {
				t.Errorf("STRIDE %v, want %v", th.STRIDE, tt.want)
			}
			if g := got(r); !slices.Equal(g, []string{"stride-noncanonical T-A-1 3"}) {
				t.Errorf("findings %q", g)
			}
			if !strings.Contains(r.Findings[0].Message, string(tt.want)) {
				t.Errorf("message %q lacks the canonical spelling", r.Findings[0].Message)
			}
		})
	}
}

func TestStatusAndEnvironmentAliasesAreUnderstood(t *testing.T) {
	tests := []struct {
		status, envs string
		wantStatus   string
		wantEnvs     []Environment
	}{
		{"N/A", "SEA", StatusNotApplicable, []Environment{SingleExecutableApplication}},
		{"not-applicable", "CI/CD, cli", StatusNotApplicable, []Environment{CICDPipelineComponents, CLI}},
		{"accepted", "desktop-application, SERVER", StatusAccepted, []Environment{DesktopApplication, Server}},
		{"Transferred", "all", StatusTransferred, Environments},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			r := check(t, "# T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: "+tt.status+"\n- **Environments**: "+tt.envs+"\n- **Rationale**: because\n")
			th := r.Documents[0].Threats[0]
			if th.Status != tt.wantStatus || !slices.Equal(th.Environments, tt.wantEnvs) {
				t.Errorf("status %q envs %v, want %q %v", th.Status, th.Environments, tt.wantStatus, tt.wantEnvs)
			}
			if len(r.Findings) != 0 {
				t.Errorf("findings %q", got(r))
			}
		})
	}
}

func TestLookalikesAreErrorsWithHints(t *testing.T) {
	tests := []struct{ value, hint string }{
		{"Non-repudiation", "Repudiation"},
		{"Confidentiality", "Information disclosure"},
		{"Injection", "technique"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			r := check(t, "# T-A-1: x (CWE-1)\n\n- **STRIDE**: "+tt.value+"\n- **Mitigations**: M-A-1\n"+mitigationAll)
			if len(r.Findings) != 1 || r.Findings[0].Rule != RuleStrideUnknown || !strings.Contains(r.Findings[0].Message, tt.hint) {
				t.Fatalf("findings %+v", r.Findings)
			}
			if len(r.Documents[0].Threats[0].STRIDE) != 0 {
				t.Errorf("look-alike was mapped to %v", r.Documents[0].Threats[0].STRIDE)
			}
		})
	}
}

func equalSorted(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

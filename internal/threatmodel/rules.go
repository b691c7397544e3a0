package threatmodel

import (
	"fmt"
	"strings"
)

// Severity is how much a finding matters. Off silences a rule; Notice is what an
// error or warning on an entry a change did not touch becomes in diff-aware mode.
type Severity int

// Severities from silent to failing.
const (
	SeverityOff Severity = iota
	SeverityNotice
	SeverityWarning
	SeverityError
)

// String returns the spelling used in configuration files and output.
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityNotice:
		return "notice"
	default:
		return "off"
	}
}

// ParseSeverity reads the spelling a repository configuration may use for a rule.
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return SeverityError, nil
	case "warning":
		return SeverityWarning, nil
	case "off":
		return SeverityOff, nil
	}
	return SeverityOff, fmt.Errorf("severity %q is not one of error, warning, off", s)
}

// Rule IDs are stable: configuration files and suppressions name them.
const (
	RuleStrideMissing              = "stride-missing"
	RuleStrideUnknown              = "stride-unknown"
	RuleMitigationMissing          = "mitigation-missing"
	RuleMitigationUndefined        = "mitigation-undefined"
	RuleDuplicateID                = "duplicate-id"
	RuleStatusUnknown              = "status-unknown"
	RuleEnvironmentUnknown         = "environment-unknown"
	RuleRationaleMissing           = "rationale-missing"
	RuleFieldDuplicate             = "field-duplicate"
	RuleIDMalformed                = "id-malformed"
	RuleStrideNoncanonical         = "stride-noncanonical"
	RuleMitigationUnreferenced     = "mitigation-unreferenced"
	RuleMitigationExperimentalOnly = "mitigation-experimental-only"
	RuleEnvironmentUnmitigated     = "environment-unmitigated"
	RuleCWEMissing                 = "cwe-missing"
	RuleIDDash                     = "id-dash"
	RuleFieldMisplaced             = "field-misplaced"
	RuleFieldUnknown               = "field-unknown"
	RuleModelEmpty                 = "model-empty"
	RuleSectionMissing             = "section-missing"
	RuleLimitExceeded              = "limit-exceeded"
	RuleFormatUnsupported          = "format-unsupported"
	RuleSectionEmpty               = "section-empty"
	RuleEnvironmentSectionMissing  = "environment-section-missing"
	RuleJSONInvalid                = "json-invalid"
)

// Rule describes one check. The table below is the only place rule metadata
// lives: output formats, configuration validation and documentation read it.
type Rule struct {
	ID       string
	Severity Severity
	Short    string
	Help     string
}

// Rules lists every rule in a stable order.
var Rules = []Rule{
	{RuleStrideMissing, SeverityError, "Threat has no STRIDE category",
		"Every threat needs a **STRIDE** field naming one or more of Spoofing, Tampering, Repudiation, Information disclosure, Denial of service, Elevation of privilege."},
	{RuleStrideUnknown, SeverityError, "STRIDE value is not a STRIDE category",
		"Use one of Spoofing, Tampering, Repudiation, Information disclosure, Denial of service, Elevation of privilege. Security properties such as Non-repudiation or Confidentiality and attack techniques such as Injection are not categories."},
	{RuleMitigationMissing, SeverityError, "Threat has no mitigation",
		"List mitigation IDs or nested bullets in a **Mitigations** field, or set **Status** to Accepted, Transferred or Not applicable with a **Rationale**."},
	{RuleMitigationUndefined, SeverityError, "Referenced mitigation is not defined",
		"Every M- ID a threat lists must be defined by a mitigation heading in one of the threat-model files."},
	{RuleDuplicateID, SeverityError, "ID is defined more than once",
		"Threat and mitigation IDs must be unique across all threat-model files."},
	{RuleStatusUnknown, SeverityError, "Status is not a known status",
		"Threat status is one of Open, Mitigated, Accepted, Transferred, Not applicable; mitigation status is one of Implemented, Planned, Experimental, Documentation."},
	{RuleEnvironmentUnknown, SeverityError, "Environment is not a known environment",
		"Use Server, Desktop application, CLI, Single executable application, CI/CD pipeline components, or All."},
	{RuleRationaleMissing, SeverityError, "Accepted, transferred or not applicable threat has no rationale",
		"A threat whose status is Accepted, Transferred or Not applicable needs a **Rationale** field saying why."},
	{RuleFieldDuplicate, SeverityError, "Field appears more than once",
		"Give each field once per entry; the first occurrence is used."},
	{RuleIDMalformed, SeverityError, "Entry ID is malformed",
		"Entry headings read `T-AREA-001: Title` or `M-AREA-001: Title`: T- or M-, then upper-case letters, digits and single hyphens, then a colon."},
	{RuleStrideNoncanonical, SeverityWarning, "STRIDE value is spelled in a non-canonical way",
		"The value was understood; write the canonical spelling so the model reads the same everywhere."},
	{RuleMitigationUnreferenced, SeverityWarning, "Mitigation is not referenced by any threat",
		"A mitigation no threat lists is either dead text or a missing link from a threat."},
	{RuleMitigationExperimentalOnly, SeverityWarning, "Mitigated threat relies only on planned or experimental mitigations",
		"A threat marked Mitigated should link at least one Implemented or Documentation mitigation."},
	{RuleEnvironmentUnmitigated, SeverityWarning, "An environment of the threat has no linked mitigation",
		"Each environment a threat applies to should be covered by at least one linked mitigation, or the threat should narrow its **Environments**."},
	{RuleCWEMissing, SeverityWarning, "Threat title names no CWE",
		"Name the weakness in the title, for example `(CWE-444)`."},
	{RuleIDDash, SeverityWarning, "ID is typed with a dash other than the hyphen",
		"The ID was understood; write it with hyphen-minus characters (`T-HTTP-001`) so that searches and links find it."},
	{RuleFieldMisplaced, SeverityError, "Entry fields are written where they are not read",
		"Fields go in a bullet list directly under the entry heading, one per bullet: `- **STRIDE**: Tampering`. Fields in a table, a code block, a numbered list or without bold labels are not read."},
	{RuleFieldUnknown, SeverityWarning, "Field label is a misspelling of a known field",
		"The bullet looks like a field whose label is close to a known one; fix the spelling so the field is read."},
	{RuleModelEmpty, SeverityWarning, "File holds no threat or mitigation",
		"A threat-model file with no entries checks nothing. Entries are headings such as `#### T-AREA-001: Title` followed by a bullet list of fields; see docs/threat-model-format.md."},
	{RuleSectionMissing, SeverityError, "Configured section is not in the model",
		"`threat_model.section` names a heading the file does not have, so nothing in it was checked; or `threat_model.sections` requires a heading no file of the model has. Fix the configuration or the heading."},
	{RuleLimitExceeded, SeverityError, "Input is past one of the checker's limits",
		"The file holds more link reference definitions, field bullets or findings than the checker reads; the rest was not checked. Real threat models never come near these limits."},
	{RuleSectionEmpty, SeverityWarning, "Required section is empty",
		"A heading `threat_model.sections` requires has nothing under it but comments. Write what the section covers, even if only what is not modelled yet."},
	{RuleEnvironmentSectionMissing, SeverityWarning, "An environment a threat names has no section",
		"With `threat_model.sections` set, each environment a threat's **Environments** field names needs a heading of its own (for example `### Server`) giving the threats and best practice there."},
	{RuleFormatUnsupported, SeverityWarning, "File is in a format secwg does not read",
		"secwg reads Markdown models and OWASP Threat Dragon v2 JSON. Other files named by threat_model.paths (Threagile YAML, Threat Dragon v1, other JSON) are not checked."},
	{RuleJSONInvalid, SeverityError, "Threat Dragon file is not valid JSON",
		"The file could not be read as JSON, so none of its threats were checked; open and save it in Threat Dragon, or fix the syntax at the position given."},
}

var rulesByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(Rules))
	for i := range Rules {
		m[Rules[i].ID] = &Rules[i]
	}
	return m
}()

// LookupRule returns the rule with the given ID.
func LookupRule(id string) (Rule, bool) {
	r, ok := rulesByID[id]
	if !ok {
		return Rule{}, false
	}
	return *r, true
}

// RuleIDs returns every rule ID, for messages that list the valid ones.
func RuleIDs() string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

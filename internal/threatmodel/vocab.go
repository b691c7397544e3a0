package threatmodel

import (
	"strings"
	"unicode"
)

// Category is a STRIDE category, spelled canonically.
type Category string

// The six STRIDE categories in their canonical order.
const (
	Spoofing              Category = "Spoofing"
	Tampering             Category = "Tampering"
	Repudiation           Category = "Repudiation"
	InformationDisclosure Category = "Information disclosure"
	DenialOfService       Category = "Denial of service"
	ElevationOfPrivilege  Category = "Elevation of privilege"
)

// Categories lists STRIDE in order.
var Categories = []Category{Spoofing, Tampering, Repudiation, InformationDisclosure, DenialOfService, ElevationOfPrivilege}

// Environment is a deployment environment of Node.js, spelled canonically.
type Environment string

// The environments the Security WG models threats for.
const (
	Server                      Environment = "Server"
	DesktopApplication          Environment = "Desktop application"
	CLI                         Environment = "CLI"
	SingleExecutableApplication Environment = "Single executable application"
	CICDPipelineComponents      Environment = "CI/CD pipeline components"
)

// Environments lists every environment in order; "All" expands to it.
var Environments = []Environment{Server, DesktopApplication, CLI, SingleExecutableApplication, CICDPipelineComponents}

// Threat statuses.
const (
	StatusOpen          = "Open"
	StatusMitigated     = "Mitigated"
	StatusAccepted      = "Accepted"
	StatusTransferred   = "Transferred"
	StatusNotApplicable = "Not applicable"
)

// Mitigation statuses.
const (
	StatusImplemented   = "Implemented"
	StatusPlanned       = "Planned"
	StatusExperimental  = "Experimental"
	StatusDocumentation = "Documentation"
)

// vocabulary maps normalised spellings to canonical values and names look-alikes
// that must not be mapped silently.
type vocabulary struct {
	canonical map[string]string
	lookalike map[string]string
	// names are what "did you mean" offers: the canonical values.
	names candidates
}

func newVocabulary(values []string, aliases, lookalikes map[string]string) vocabulary {
	v := vocabulary{canonical: map[string]string{}, lookalike: map[string]string{}, names: newCandidates(values)}
	for _, c := range values {
		v.canonical[normalize(c)] = c
	}
	for a, c := range aliases {
		v.canonical[normalize(a)] = c
	}
	for l, hint := range lookalikes {
		v.lookalike[normalize(l)] = hint
	}
	return v
}

// lookup returns the canonical spelling of s, or a hint when s is a known
// look-alike; ok is false when s is not understood.
func (v vocabulary) lookup(s string) (canonical, hint string, ok bool) {
	n := normalize(s)
	if c, found := v.canonical[n]; found {
		return c, "", true
	}
	return "", v.lookalike[n], false
}

// suggest returns the one value s most likely means: the value or alias a
// parenthesis adds to ("Denial of Service (DoS)"), or the one value within a
// typo or two ("Tampring").
func (v vocabulary) suggest(s string) (string, bool) {
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		outer, inner := s[:i], s[i+1:len(s)-1]
		c1, _, ok1 := v.lookup(outer)
		c2, _, ok2 := v.lookup(inner)
		switch {
		case ok1 && (!ok2 || c1 == c2):
			return c1, true
		case ok2 && !ok1:
			return c2, true
		}
	}
	return v.names.suggestion(s)
}

// normalize folds case, hyphens, underscores and every kind of space (the
// non-breaking one included) so spelling variants compare equal.
func normalize(s string) string {
	if isNormal(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// clean trims every kind of space and turns inner runs of them into one space,
// which is what a canonical spelling is compared against.
func clean(s string) string {
	if isClean(s) {
		return s // the common case, without allocating
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

func isClean(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c < ' ' && c != 0:
			return false
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}

var strideVocabulary = newVocabulary(
	[]string{string(Spoofing), string(Tampering), string(Repudiation), string(InformationDisclosure), string(DenialOfService), string(ElevationOfPrivilege)},
	map[string]string{
		"S": string(Spoofing), "T": string(Tampering), "R": string(Repudiation),
		"I": string(InformationDisclosure), "D": string(DenialOfService), "E": string(ElevationOfPrivilege),
		"DoS": string(DenialOfService), "EoP": string(ElevationOfPrivilege),
		"Info disclosure": string(InformationDisclosure), "Privilege escalation": string(ElevationOfPrivilege),
		"Elevation of privileges": string(ElevationOfPrivilege),
	},
	map[string]string{
		"Non-repudiation": "non-repudiation is the property a Repudiation threat violates; write Repudiation",
		"Nonrepudiation":  "non-repudiation is the property a Repudiation threat violates; write Repudiation",
		"Confidentiality": "confidentiality is the property an Information disclosure threat violates; write Information disclosure",
		"Integrity":       "integrity is the property a Tampering threat violates; write Tampering",
		"Availability":    "availability is the property a Denial of service threat violates; write Denial of service",
		"Authentication":  "authentication is the property a Spoofing threat violates; write Spoofing",
		"Authorization":   "authorization is the property an Elevation of privilege threat violates; write Elevation of privilege",
		"Injection":       "injection is an attack technique, not a STRIDE category; it is usually Tampering or Elevation of privilege",
	},
)

var threatStatusVocabulary = newVocabulary(
	threatStatuses,
	map[string]string{"N/A": StatusNotApplicable, "NA": StatusNotApplicable},
	map[string]string{
		"Fixed":    "a fixed threat is Mitigated",
		"Resolved": "a resolved threat is Mitigated",
		"Closed":   "write Mitigated, Accepted or Not applicable",
		"Wontfix":  "a risk left as is is Accepted, with a Rationale",
	},
)

var mitigationStatusVocabulary = newVocabulary(
	mitigationStatuses,
	map[string]string{"Documented": StatusDocumentation},
	map[string]string{"Done": "a mitigation in place is Implemented", "Open": "Open is a threat status; a mitigation not yet in place is Planned"},
)

const environmentAll = "All"

var environmentVocabulary = newVocabulary(
	[]string{string(Server), string(DesktopApplication), string(CLI), string(SingleExecutableApplication), string(CICDPipelineComponents), environmentAll},
	map[string]string{"SEA": string(SingleExecutableApplication), "CI/CD": string(CICDPipelineComponents), "CI": string(CICDPipelineComponents)},
	map[string]string{"Browser": "Node.js does not run in browsers; pick the environment the code runs in", "Desktop": "write Desktop application"},
)

// isNormal reports whether normalize would return s unchanged.
func isNormal(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c == '-' || c == '_' {
			return false
		}
	}
	return isClean(s)
}

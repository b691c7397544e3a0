// Package initmodel is `secwg init`: it writes a starter threat model in the working
// group's agreed outline and the repository config that checks it, or drafts one from prose.
package initmodel

import (
	"fmt"
	"path"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
)

// Paths written by default, relative to the repository root.
const (
	DefaultModelPath  = "THREAT_MODEL.md"
	DefaultConfigPath = ".github/secwg.yml"
)

// Headings of the outline the Security WG agreed on (2022-06-02): what is trusted,
// threats by STRIDE, environments, mitigations, asset references.
const (
	HeadingTrust        = "What we trust and what we do not trust"
	HeadingThreats      = "Threats"
	HeadingEnvironments = "Environments"
	HeadingMitigations  = "Threat mitigations"
	HeadingAssets       = "Security model asset references"
)

// Outline lists the required headings in order; it is what a starter's
// config asks threat_model.sections to enforce.
var Outline = []string{HeadingTrust, HeadingThreats, HeadingEnvironments, HeadingMitigations, HeadingAssets}

// strideExamples are the commented examples of the Threats section, one per
// STRIDE category, each a complete entry once uncommented.
var strideExamples = []struct {
	category                    threatmodel.Category
	id, title, envs, mitigation string
}{
	{threatmodel.Spoofing, "T-EXAMPLE-S01", "Forged TLS peer accepted through lax certificate checks (CWE-295)", "Server, CLI", "M-EXAMPLE-001"},
	{threatmodel.Tampering, "T-EXAMPLE-T01", "Request smuggling through lenient header parsing (CWE-444)", "Server", "M-EXAMPLE-001"},
	{threatmodel.Repudiation, "T-EXAMPLE-R01", "Release published without a verifiable signature (CWE-347)", "CI/CD pipeline components", "M-EXAMPLE-001"},
	{threatmodel.InformationDisclosure, "T-EXAMPLE-I01", "Secret compared in non-constant time (CWE-208)", "All", "M-EXAMPLE-001"},
	{threatmodel.DenialOfService, "T-EXAMPLE-D01", "Unbounded header size exhausts memory (CWE-400)", "Server", "M-EXAMPLE-001"},
	{threatmodel.ElevationOfPrivilege, "T-EXAMPLE-E01", "Module loaded from an attacker-writable search path (CWE-427)", "Desktop application, Single executable application", "M-EXAMPLE-001"},
}

// Starter returns a threat model in the agreed outline for project, to be
// written at modelPath (relative to the repository root). drafts,
// when not nil, fill the Threats section in place of the commented examples.
func Starter(project, modelPath string, drafts *Drafts) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# %s threat model", project)
	p("")
	p("This file is checked by secwg on every pull request: each threat is a heading such as")
	p("`#### T-AREA-001: Title (CWE-NNN)` followed by a list of fields. The format is described in")
	p("secwg's `docs/threat-model-format.md`; run `secwg lint %s` to check it locally.", modelPath)
	p("")
	p("## %s", HeadingTrust)
	p("")
	p("<!-- Name what %s trusts (for example the operating system, the code it is asked to run)", project)
	p("     and what it does not trust (for example data from the network). A vulnerability that")
	p("     needs a trusted element to be compromised first is outside this model. -->")
	p("")
	p("%s trusts: _to be written_.", project)
	p("")
	p("%s does not trust: _to be written_.", project)
	p("")
	p("## %s", HeadingThreats)
	p("")
	p("Each threat names its STRIDE categories, the environments it applies to, its status and")
	p("the mitigations that address it (see %s).", "[Threat mitigations](#threat-mitigations)")
	p("")
	if drafts != nil {
		writeDrafts(&b, drafts)
	} else {
		p("<!-- One example per STRIDE category follows. Copy one out of its comment, give it")
		p("     your own ID and title, and fill in the fields. -->")
		for _, ex := range strideExamples {
			p("")
			p("<!--")
			p("#### %s: %s", ex.id, ex.title)
			p("")
			p("- **STRIDE**: %s", ex.category)
			p("- **Environments**: %s", ex.envs)
			p("- **Status**: Open")
			p("- **Mitigations**: %s", ex.mitigation)
			p("-->")
		}
		p("")
	}
	p("## %s", HeadingEnvironments)
	p("")
	p("Threats and best practice differ by where %s runs. Each environment below refers", project)
	p("to the mitigations by ID rather than repeating them.")
	for _, env := range threatmodel.Environments {
		p("")
		p("### %s", env)
		p("")
		p("Threats that matter most here and best practice against them: _to be written, referring to mitigations by ID_.")
	}
	p("")
	p("## %s", HeadingMitigations)
	p("")
	p("Each mitigation is a heading `#### M-AREA-001: Title` with a **Status** (Implemented,")
	p("Planned, Experimental or Documentation) and the **Environments** it covers.")
	p("")
	p("<!--")
	p("#### M-EXAMPLE-001: Strict parsing and validation by default")
	p("")
	p("- **Status**: Implemented")
	p("- **Environments**: All")
	p("- **Link**: https://example.org/the-code-or-the-documentation")
	p("-->")
	p("")
	p("## %s", HeadingAssets)
	p("")
	p("<!-- Choose one reference for the assets this model protects and use it throughout. -->")
	p("")
	p("The assets this model protects: _to be written_.")
	return []byte(b.String())
}

// Config returns a .github/secwg.yml that checks modelPath and requires the outline.
func Config(modelPath string) []byte {
	var b strings.Builder
	b.WriteString("# secwg repository configuration; see secwg's docs/threat-model-format.md.\n")
	b.WriteString("threat_model:\n")
	b.WriteString("  # Files the threat-model check reads on every pull request (globs, ** for any depth).\n")
	b.WriteString("  paths:\n")
	fmt.Fprintf(&b, "    - %s\n", yamlString(path.Clean(modelPath)))
	b.WriteString("  # Headings every model must have: a missing one fails the check, an empty one warns.\n")
	b.WriteString("  sections:\n")
	for _, h := range Outline {
		fmt.Fprintf(&b, "    - %s\n", yamlString(h))
	}
	return []byte(b.String())
}

// yamlString quotes s when YAML would read it as something other than the plain string.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}

package threatmodel

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Finding is one problem at one place.
type Finding struct {
	Path     string
	Line     int
	Column   int
	EndLine  int
	Severity Severity
	Rule     string
	Message  string
	// Entry is the ID of the threat or mitigation the finding is about.
	Entry string
	// Markdown is Message as Markdown, field labels in bold.
	Markdown string
	// Fix, when set, is the one edit that resolves the finding.
	Fix *Fix
}

// Fix is an edit of one line: Old, which occurs on the line exactly once as a
// whole word, becomes New.
type Fix struct {
	Line     int
	Old, New string
}

// File is a threat-model file as read from disk or from a commit.
type File struct {
	Path string
	Data []byte
}

// Options tune a check. The zero value checks every rule at its default
// severity over whole files.
type Options struct {
	// Section limits each file to the part under the heading with this text.
	Section string
	// Severities overrides rule severities by rule ID; SeverityOff drops a rule.
	Severities map[string]Severity
	// Sections are headings the model must have (see structure.go).
	Sections []string
}

func (o Options) severity(rule string, def Severity) Severity {
	if s, ok := o.Severities[rule]; ok {
		return s
	}
	return def
}

// Report is the outcome of a check.
type Report struct {
	// Documents are the files at head.
	Documents []*Document
	Findings  []Finding
	// Diff is set in diff-aware mode.
	Diff *Diff
	// Enforced lists, in diff-aware mode, the IDs at head whose errors and
	// warnings count: those the change added, changed or renamed and those
	// linked to them.
	Enforced []string
	Coverage Coverage
	Counts   Counts
}

// Counts summarise a report.
type Counts struct {
	Files, Threats, Mitigations int
	Errors, Warnings, Notices   int
	// Untouched counts entries a change left alone, whose findings are notices.
	Untouched int
}

// Failed reports whether the check fails: any finding at error severity.
func (r *Report) Failed() bool { return r.Counts.Errors > 0 }

// Check checks files as a whole: every entry is enforced.
func Check(files []File, opts Options) (*Report, error) {
	head, err := parseAll(files, opts.Section)
	if err != nil {
		return nil, err
	}
	return report(head, nil, nil, nil, opts), nil
}

// CheckChange checks head against base: errors and warnings are enforced only
// on entries the change adds or changes (and on entries whose links those
// touch); findings on untouched entries become notices. A file missing from
// base is new; one missing from head was deleted.
func CheckChange(base, head []File, opts Options) (*Report, error) {
	b, err := parseAll(base, opts.Section)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	h, err := parseAll(head, opts.Section)
	if err != nil {
		return nil, err
	}
	d := diff(b, h)
	return report(h, b, d, affected(b, h, d), opts), nil
}

// ErrModelTooLarge is returned when the files of one check together exceed
// MaxModelSize.
var ErrModelTooLarge = errors.New("threat model files too large together")

func parseAll(files []File, section string) ([]*Document, error) {
	total := 0
	for _, f := range files {
		total += len(f.Data)
	}
	if total > MaxModelSize {
		return nil, fmt.Errorf("%w: %d files of %d bytes, the limit is %d", ErrModelTooLarge, len(files), total, MaxModelSize)
	}
	docs := make([]*Document, 0, len(files))
	for _, f := range files {
		d, err := Parse(f.Path, f.Data, section)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// Finding caps: MaxFindingsPerFile are reported per file, then one finding
// says how many more there are; the parser and the rules stop collecting at
// MaxParseFindings so that a hostile file cannot exhaust memory with them.
const (
	MaxFindingsPerFile = 1000
	MaxParseFindings   = 10 * MaxFindingsPerFile
	// MaxFieldItems is how many bullets of an entry's field list are read.
	MaxFieldItems = 100
)

// report turns documents into a report. In diff-aware mode (d set) errors
// and warnings are enforced on the entries in enforced; a finding on no entry
// of head (a malformed heading, an empty file) is enforced unless base
// showed the same finding.
func report(head, base []*Document, d *Diff, enforced map[string]bool, opts Options) *Report {
	r := &Report{Documents: head, Diff: d}
	var raw []Finding
	entries := map[string]bool{}
	for _, doc := range head {
		raw = append(raw, doc.Findings...)
		r.Counts.Threats += len(doc.Threats)
		r.Counts.Mitigations += len(doc.Mitigations)
		for _, t := range doc.Threats {
			entries[t.ID] = true
		}
		for _, m := range doc.Mitigations {
			entries[m.ID] = true
		}
	}
	var before map[string]bool
	if d != nil {
		before = map[string]bool{}
		for _, doc := range base {
			for _, f := range doc.Findings {
				before[findingKey(f)] = true
			}
		}
		for _, f := range structure(base, opts.Sections) {
			before[findingKey(f)] = true
		}
	}
	r.Counts.Files = len(head)
	raw = append(raw, validate(head)...)
	raw = append(raw, structure(head, opts.Sections)...)
	kept := raw[:0]
	for _, f := range raw {
		f.Severity = opts.severity(f.Rule, f.Severity)
		if f.Severity == SeverityOff {
			continue
		}
		if d != nil {
			if entries[f.Entry] {
				if !enforced[f.Entry] {
					f.Severity = SeverityNotice
				}
			} else if before[findingKey(f)] {
				f.Severity = SeverityNotice
			}
		}
		kept = append(kept, f)
	}
	r.Findings = capFindings(kept)
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			r.Counts.Errors++
		case SeverityWarning:
			r.Counts.Warnings++
		default:
			r.Counts.Notices++
		}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if d != nil {
		r.Counts.Untouched = d.Untouched
		for id := range enforced {
			if entries[id] {
				r.Enforced = append(r.Enforced, id)
			}
		}
		slices.Sort(r.Enforced)
	}
	r.Coverage = coverage(head)
	return r
}

// findingKey identifies a finding across two versions of a file, apart from
// where it sits.
func findingKey(f Finding) string { return f.Rule + "\x00" + f.Entry + "\x00" + f.Message }

// capFindings keeps MaxFindingsPerFile findings per file, the most severe
// first, and adds one that says how many more there are, as severe as the
// worst of them.
func capFindings(fs []Finding) []Finding {
	perFile := map[string]int{}
	for _, f := range fs {
		perFile[f.Path]++
	}
	over := false
	for _, n := range perFile {
		over = over || n > MaxFindingsPerFile
	}
	if !over {
		return fs
	}
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	shown := map[string]int{}
	worst := map[string]Severity{}
	first := map[string]Finding{}
	out := fs[:0]
	for _, f := range fs {
		if shown[f.Path] >= MaxFindingsPerFile {
			worst[f.Path] = max(worst[f.Path], f.Severity)
			continue
		}
		if shown[f.Path] == 0 {
			first[f.Path] = f
		}
		shown[f.Path]++
		out = append(out, f)
	}
	for path, sev := range worst {
		f := newFinding(path, Position{Line: 1, Column: 1, EndLine: 1}, RuleLimitExceeded, "",
			fmt.Sprintf("%d more findings in this file are not shown: at most %d are reported per file", perFile[path]-MaxFindingsPerFile, MaxFindingsPerFile))
		f.Severity = sev
		out = append(out, f)
	}
	return out
}

// validate runs the rules that look at one entry against the whole model.
func validate(docs []*Document) []Finding {
	var out []Finding
	perFile := map[string]int{}
	add := func(e *Entry, pos Position, rule, msg string) {
		if perFile[e.Path]++; perFile[e.Path] > MaxParseFindings {
			return
		}
		out = append(out, newFinding(e.Path, pos, rule, e.ID, msg))
	}
	first := map[string]*Entry{}
	mitigations := map[string]*Mitigation{}
	referenced := map[string]bool{}
	for _, doc := range docs {
		for _, m := range doc.Mitigations {
			if prev, dup := first[m.ID]; dup {
				add(&m.Entry, m.Pos, RuleDuplicateID, fmt.Sprintf("%s is already defined at %s:%d", m.ID, prev.Path, prev.Pos.Line))
				continue
			}
			first[m.ID] = &m.Entry
			mitigations[m.ID] = m
		}
	}
	for _, doc := range docs {
		for _, t := range doc.Threats {
			if prev, dup := first[t.ID]; dup {
				add(&t.Entry, t.Pos, RuleDuplicateID, fmt.Sprintf("%s is already defined at %s:%d", t.ID, prev.Path, prev.Pos.Line))
			} else {
				first[t.ID] = &t.Entry
			}
			for _, id := range t.MitigationIDs {
				referenced[id] = true
			}
			if t.Format == FormatMarkdown {
				validateThreat(t, mitigations, add)
			}
		}
	}
	for _, doc := range docs {
		for _, m := range doc.Mitigations {
			if !referenced[m.ID] {
				add(&m.Entry, m.Pos, RuleMitigationUnreferenced, fmt.Sprintf("no threat lists %s", m.ID))
			}
		}
	}
	return out
}

func validateThreat(t *Threat, mitigations map[string]*Mitigation, add func(*Entry, Position, string, string)) {
	field := func(label string) Position {
		if f, ok := t.Field(label); ok {
			return f.Pos
		}
		return t.Pos
	}
	if f, ok := t.Field(labelSTRIDE); !ok {
		add(&t.Entry, t.Pos, RuleStrideMissing, fmt.Sprintf("%s has no %s field", t.ID, em("STRIDE")))
	} else if len(splitList(f.Value)) == 0 {
		add(&t.Entry, field(labelSTRIDE), RuleStrideMissing, fmt.Sprintf("%s has an empty %s field", t.ID, em("STRIDE")))
	}
	if !hasCWE(t) {
		add(&t.Entry, t.Pos, RuleCWEMissing, fmt.Sprintf("%s names no CWE in its title, for example (CWE-400)", t.ID))
	}
	risk := t.Status == StatusAccepted || t.Status == StatusTransferred || t.Status == StatusNotApplicable
	if risk && t.Rationale == "" {
		add(&t.Entry, field(labelStatus), RuleRationaleMissing, fmt.Sprintf("%s is %s but has no %s", t.ID, t.Status, em("Rationale")))
	}
	if !risk && len(t.MitigationIDs) == 0 && len(t.InlineMitigations) == 0 {
		add(&t.Entry, field(labelMitigations), RuleMitigationMissing, fmt.Sprintf("%s lists no mitigation; add %s or set %s to Accepted, Transferred or Not applicable", t.ID, em("Mitigations"), em("Status")))
	}
	var linked []*Mitigation
	for _, id := range t.MitigationIDs {
		m, ok := mitigations[id]
		if !ok {
			add(&t.Entry, field(labelMitigations), RuleMitigationUndefined, fmt.Sprintf("%s links %s, which no threat-model file defines", t.ID, id))
			continue
		}
		linked = append(linked, m)
	}
	if risk || len(linked) == 0 {
		return
	}
	if t.Status == StatusMitigated && len(t.InlineMitigations) == 0 && !slices.ContainsFunc(linked, func(m *Mitigation) bool {
		return m.Status != StatusPlanned && m.Status != StatusExperimental
	}) {
		add(&t.Entry, field(labelStatus), RuleMitigationExperimentalOnly, fmt.Sprintf("%s is Mitigated but every linked mitigation is Planned or Experimental", t.ID))
	}
	if len(t.InlineMitigations) > 0 {
		return // written-out mitigations name no environments: assume they cover the threat
	}
	var missing []string
	for _, env := range t.Environments {
		if !slices.ContainsFunc(linked, func(m *Mitigation) bool { return slices.Contains(m.Environments, env) }) {
			missing = append(missing, string(env))
		}
	}
	if len(missing) > 0 {
		add(&t.Entry, field(labelMitigations), RuleEnvironmentUnmitigated, fmt.Sprintf("no linked mitigation of %s covers %s", t.ID, strings.Join(missing, ", ")))
	}
}

func hasCWE(t *Threat) bool {
	return strings.Contains(t.Title, "CWE-") && cweRef.MatchString(t.Title)
}

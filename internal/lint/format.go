package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
)

// formats write a report; root is the directory its paths are relative to.
var formats = map[string]func(w io.Writer, r *threatmodel.Report, root string) error{
	"text":   ignoreRoot(writeText),
	"json":   ignoreRoot(writeJSON),
	"sarif":  writeSARIF,
	"github": ignoreRoot(writeGitHub),
}

func ignoreRoot(write func(io.Writer, *threatmodel.Report) error) func(io.Writer, *threatmodel.Report, string) error {
	return func(w io.Writer, r *threatmodel.Report, _ string) error { return write(w, r) }
}

func writeText(w io.Writer, r *threatmodel.Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s [%s]\n", f.Path, f.Line, f.Column, f.Severity, f.Message, f.Rule)
	}
	if r.Diff != nil {
		changes := r.Diff.Changes()
		fmt.Fprintf(&b, "compared with the base: %d %s\n", len(changes), plural(len(changes), "change", "changes"))
		for _, ch := range changes {
			fmt.Fprintf(&b, "  %s\n", threatmodel.ChangeLine(ch))
		}
		if len(r.Enforced) > 0 {
			fmt.Fprintf(&b, "enforced: %s\n", strings.Join(r.Enforced, ", "))
		} else {
			b.WriteString("enforced: no entry (the change adds, changes and renames none)\n")
		}
	}
	c := r.Counts
	fmt.Fprintf(&b, "%d files, %d threats, %d mitigations: %d errors, %d warnings", c.Files, c.Threats, c.Mitigations, c.Errors, c.Warnings)
	if r.Diff != nil {
		fmt.Fprintf(&b, ", %d notices on %d untouched entries", c.Notices, c.Untouched)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	EndLine  int    `json:"end_line"`
	Severity string `json:"severity"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
	Entry    string `json:"entry"`
}

type jsonChange struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Path string `json:"path"`
	Line int    `json:"line"`
}

type jsonSummary struct {
	Files       int `json:"files"`
	Threats     int `json:"threats"`
	Mitigations int `json:"mitigations"`
	Errors      int `json:"errors"`
	Warnings    int `json:"warnings"`
	Notices     int `json:"notices"`
	Untouched   int `json:"untouched"`
}

func writeJSON(w io.Writer, r *threatmodel.Report) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
		// Changes and Enforced are there with --base only.
		Changes  *[]jsonChange `json:"changes,omitempty"`
		Enforced []string      `json:"enforced,omitempty"`
		Summary  jsonSummary   `json:"summary"`
	}{Findings: []jsonFinding{}, Enforced: r.Enforced}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{f.Path, f.Line, f.Column, f.EndLine, f.Severity.String(), f.Rule, f.Message, f.Entry})
	}
	if r.Diff != nil {
		changes := []jsonChange{}
		for _, c := range r.Diff.Changes() {
			changes = append(changes, jsonChange{c.Kind, c.ID, c.From, c.To, c.Path, c.Line})
		}
		out.Changes = &changes
	}
	c := r.Counts
	out.Summary = jsonSummary{c.Files, c.Threats, c.Mitigations, c.Errors, c.Warnings, c.Notices, c.Untouched}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// GitHub workflow commands need %, CR and LF escaped in the message, and
// also : and , in properties.
var (
	commandData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	commandProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func writeGitHub(w io.Writer, r *threatmodel.Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "::%s file=%s,line=%d,endLine=%d,col=%d,title=%s::%s\n",
			githubLevel(f.Severity), commandProperty.Replace(f.Path), f.Line, f.EndLine, f.Column,
			commandProperty.Replace(f.Rule), commandData.Replace(f.Message))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func githubLevel(s threatmodel.Severity) string {
	switch s {
	case threatmodel.SeverityError:
		return "error"
	case threatmodel.SeverityWarning:
		return "warning"
	}
	return "notice"
}

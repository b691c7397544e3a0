package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
)

var formats = map[string]func(io.Writer, *threatmodel.Report) error{
	"text":   writeText,
	"json":   writeJSON,
	"sarif":  writeSARIF,
	"github": writeGitHub,
}

func writeText(w io.Writer, r *threatmodel.Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s [%s]\n", f.Path, f.Line, f.Column, f.Severity, f.Message, f.Rule)
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
		Summary  jsonSummary   `json:"summary"`
	}{Findings: []jsonFinding{}}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{f.Path, f.Line, f.Column, f.EndLine, f.Severity.String(), f.Rule, f.Message, f.Entry})
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

package threatmodel

import (
	"fmt"
	"strings"
)

// MaxSummaryLength is GitHub's limit on a check run's summary, in characters.
const MaxSummaryLength = 65535

// summaryWriter writes whole lines until the budget runs out, then counts
// what it had to leave out.
type summaryWriter struct {
	b       strings.Builder
	budget  int
	omitted int
}

func (w *summaryWriter) line(format string, args ...any) bool {
	s := fmt.Sprintf(format, args...) + "\n"
	if w.omitted > 0 || w.b.Len()+len(s) > w.budget {
		w.omitted++
		return false
	}
	w.b.WriteString(s)
	return true
}

// Summary renders a report as the Markdown summary of a check run: counts,
// the STRIDE × environment table at head, accepted and transferred risks
// with their rationale, and what a change removed, renamed or re-statused.
// It stays under MaxSummaryLength and says so when it had to cut.
func Summary(r *Report) string {
	const note = "\n---\n_The summary was cut to fit GitHub's limit; %d lines were left out. Run `secwg lint` for the full report._\n"
	w := &summaryWriter{budget: MaxSummaryLength - len(note) - 20}
	c := r.Counts
	w.line("**%d %s, %d %s** in %d threats and %d mitigations across %d %s.",
		c.Errors, plural(c.Errors, "error", "errors"), c.Warnings, plural(c.Warnings, "warning", "warnings"),
		c.Threats, c.Mitigations, c.Files, plural(c.Files, "file", "files"))
	if c.Threats+c.Mitigations == 0 {
		writeGettingStarted(w)
	}
	if d := r.Diff; d != nil {
		w.line("")
		w.line("This change adds %d, changes %d, renames %d and removes %d entries. %d untouched entries are counted but not enforced (%d %s on them).",
			len(d.Added), len(d.Changed), len(d.Renamed), len(d.Removed), c.Untouched, c.Notices, plural(c.Notices, "notice", "notices"))
	}
	for _, doc := range r.Documents {
		if doc.SectionMissing {
			w.line("")
			w.line("%s has no heading matching the configured section; nothing in it was checked.", code(doc.Path))
		}
	}
	w.line("")
	w.line("### STRIDE × environment at head")
	w.line("")
	w.line("Threats per category and environment (open ones in brackets); Not applicable threats are left out.")
	w.line("")
	header := "| STRIDE |"
	for _, e := range Environments {
		header += " " + EscapeMarkdown(string(e)) + " |"
	}
	w.line("%s", header)
	w.line("|---|%s", strings.Repeat("---:|", len(Environments)))
	for i, cat := range Categories {
		row := "| " + string(cat) + " |"
		for j := range Environments {
			cell := r.Coverage[i][j]
			switch {
			case cell.Threats == 0:
				row += " – |"
			case cell.Open > 0:
				row += fmt.Sprintf(" %d (%d) |", cell.Threats, cell.Open)
			default:
				row += fmt.Sprintf(" %d |", cell.Threats)
			}
		}
		w.line("%s", row)
	}
	writeUncovered(w, r.Coverage)
	var risks []*Threat
	for _, doc := range r.Documents {
		for _, t := range doc.Threats {
			if t.Status == StatusAccepted || t.Status == StatusTransferred {
				risks = append(risks, t)
			}
		}
	}
	if len(risks) > 0 {
		w.line("")
		w.line("### Accepted and transferred risks")
		w.line("")
		w.line("| ID | Threat | Status | Rationale |")
		w.line("|---|---|---|---|")
		for _, t := range risks {
			status := t.Status
			if t.TransferredTo != "" {
				status += " to " + t.TransferredTo
			}
			w.line("| %s | %s | %s | %s |", EscapeMarkdown(t.ID), EscapeMarkdown(t.Title), EscapeMarkdown(status), EscapeMarkdown(orDash(t.Rationale)))
		}
	}
	if d := r.Diff; d != nil && len(d.Removed)+len(d.Renamed)+len(d.StatusChanges) > 0 {
		w.line("")
		w.line("### For reviewers")
		if len(d.Removed) > 0 {
			w.line("")
			w.line("Removed:")
			for _, e := range d.Removed {
				w.line("- %s: %s (%s)", EscapeMarkdown(e.ID), EscapeMarkdown(e.Title), code(e.Path))
			}
		}
		if len(d.Renamed) > 0 {
			w.line("")
			w.line("Renamed IDs:")
			for _, rn := range d.Renamed {
				w.line("- %s → %s: %s", EscapeMarkdown(rn.From.ID), EscapeMarkdown(rn.To.ID), EscapeMarkdown(rn.To.Title))
			}
		}
		if len(d.StatusChanges) > 0 {
			w.line("")
			w.line("Status changes:")
			for _, s := range d.StatusChanges {
				w.line("- %s: %s → %s", EscapeMarkdown(s.Entry.ID), EscapeMarkdown(orDash(s.From)), EscapeMarkdown(orDash(s.To)))
			}
		}
	}
	if w.omitted > 0 {
		fmt.Fprintf(&w.b, note, w.omitted)
	}
	return w.b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// code renders a path as inline code, which needs no escaping inside; a path
// holding a backtick falls back to escaped text.
func code(s string) string {
	if strings.ContainsAny(s, "`\n\r|") {
		return EscapeMarkdown(s)
	}
	return "`" + s + "`"
}

package threatmodel

import (
	"fmt"
	"strings"

	"github.com/secwg/secwg/internal/mdsafe"
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
			w.line("%s has no heading matching the configured section; nothing in it was checked.", mdsafe.Code(doc.Path))
		}
	}
	w.line("")
	w.line("### STRIDE × environment at head")
	w.line("")
	w.line("Threats per category and environment (open ones in brackets); Not applicable threats are left out.")
	w.line("")
	header := "| STRIDE |"
	for _, e := range Environments {
		header += " " + mdsafe.Cell(string(e)) + " |"
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
			w.line("| %s | %s | %s | %s |", mdsafe.Cell(t.ID), mdsafe.Cell(t.Title), mdsafe.Cell(status), mdsafe.Cell(orDash(t.Rationale)))
		}
	}
	if changes := r.Diff.Changes(); len(changes) > 0 {
		w.line("")
		w.line("### What this change does to the model")
		w.line("")
		w.line("Added, changed and renamed entries are enforced, and so are the entries linked to them; removed entries and status changes are listed for reviewers.")
		w.line("")
		for _, c := range changes {
			w.line("- %s", changeLine(c, mdsafe.Cell, mdsafe.Code))
		}
	}
	if w.omitted > 0 {
		fmt.Fprintf(&w.b, note, w.omitted)
	}
	return w.b.String()
}

// ChangeLine renders a change as one line of plain text, the way `secwg lint`
// and the check-run summary list it.
func ChangeLine(c Change) string {
	return changeLine(c, func(s string) string { return s }, func(s string) string { return s })
}

func changeLine(c Change, text, path func(string) string) string {
	place := fmt.Sprintf("%s:%d", c.Path, c.Line)
	switch c.Kind {
	case ChangeRenamed:
		return fmt.Sprintf("renamed %s → %s: %s (%s)", text(c.From), text(c.To), text(c.Title), path(place))
	case ChangeStatus:
		return fmt.Sprintf("status %s: %s → %s (%s)", text(c.ID), text(c.From), text(c.To), path(place))
	}
	return fmt.Sprintf("%s %s: %s (%s)", c.Kind, text(c.ID), text(c.Title), path(place))
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

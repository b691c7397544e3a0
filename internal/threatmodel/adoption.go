package threatmodel

import (
	"slices"
	"strconv"
	"strings"

	"github.com/secwg/secwg/internal/mdsafe"
)

// FormatDoc is where the format is described, for messages that point adopters to it.
const FormatDoc = "docs/threat-model-format.md"

// writeGettingStarted explains, in a summary of a model with no entries yet,
// how a working group gets from here to a checked model.
func writeGettingStarted(w *summaryWriter) {
	w.line("")
	w.line("### No threats or mitigations yet")
	w.line("")
	w.line("The configured files hold no entry, so nothing was checked and the run is neutral rather than green. To start:")
	w.line("")
	w.line("1. Run `secwg init` in the repository for a starter model in the agreed outline, or `secwg init --from SECURITY.md --section \"The Node.js threat model\"` to draft one entry per example in an existing document.")
	w.line("2. Give each threat a heading such as `#### T-AREA-001: Title (CWE-NNN)` and the fields **STRIDE**, **Environments**, **Status** and **Mitigations**; a table with ID, STRIDE and Mitigations columns works too.")
	w.line("3. Point `threat_model.paths` in `.github/secwg.yml` at the file and open a pull request.")
	w.line("")
	w.line("The format is described in secwg's `%s`; adopting it step by step in `docs/adopting.md`.", FormatDoc)
}

// writeUncovered names, under the coverage table, the STRIDE categories and
// environments no threat addresses, so the table's blanks read as a to-do list.
func writeUncovered(w *summaryWriter, c Coverage) {
	var cats, envs []string
	for i, cat := range Categories {
		if !slices.ContainsFunc(c[i][:], func(x Cell) bool { return x.Threats > 0 }) {
			cats = append(cats, string(cat))
		}
	}
	for j, env := range Environments {
		covered := false
		for i := range Categories {
			covered = covered || c[i][j].Threats > 0
		}
		if !covered {
			envs = append(envs, string(env))
		}
	}
	empty := 0
	for i := range Categories {
		for j := range Environments {
			if c[i][j].Threats == 0 {
				empty++
			}
		}
	}
	if empty == 0 {
		return
	}
	w.line("")
	msg := "**Not covered:** " + strconv.Itoa(empty) + " of " + strconv.Itoa(len(Categories)*len(Environments)) + " cells have no threat"
	if len(cats) > 0 {
		msg += "; no threat is categorised " + strings.Join(cats, ", ")
	}
	if len(envs) > 0 {
		msg += "; no threat applies to " + mdsafe.Cell(strings.Join(envs, ", "))
	}
	w.line("%s.", msg)
}

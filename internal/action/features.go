package action

import (
	"fmt"
	"slices"
	"strings"
)

// Feature is one part of secwg a workflow runs. A workflow names the ones it
// grants permissions for, so that an event two features share (a reopened
// pull request is both a check and an agenda change) runs only the one the
// workflow's token may do.
type Feature string

// The features.
const (
	// Checks is the threat-model check: pull_request(_target), check_run and
	// check_suite re-runs, and /recheck.
	Checks Feature = "checks"
	// Commands answers slash commands in issue_comment.
	Commands Feature = "commands"
	// Meetings keeps meeting issues and agendas: issues and pull request label
	// changes, the schedule and workflow_dispatch pass, /meeting and /minutes.
	Meetings Feature = "meetings"
)

// AllFeatures is the default: what the server runs.
var AllFeatures = Features{Checks, Commands, Meetings}

// Features is a set of features.
type Features []Feature

// Has reports whether f is in the set.
func (fs Features) Has(f Feature) bool { return slices.Contains(fs, f) }

// ParseFeatures reads a comma- or space-separated list; empty is AllFeatures.
func ParseFeatures(s string) (Features, error) {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	if len(words) == 0 {
		return AllFeatures, nil
	}
	var out Features
	for _, w := range words {
		f := Feature(strings.ToLower(w))
		if !AllFeatures.Has(f) {
			return nil, fmt.Errorf("feature %q: want checks, commands or meetings", w)
		}
		if !out.Has(f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Package threatmodel parses Markdown threat models into threats and mitigations,
// checks them against the format's rules, diffs two versions and renders the results.
package threatmodel

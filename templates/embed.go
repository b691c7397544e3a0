// Package templates holds the text/template files secwg renders: meeting issues,
// minutes, check summaries, command help and the setup page.
package templates

import "embed"

// FS holds every template file of this directory.
//
//go:embed *.tmpl
var FS embed.FS

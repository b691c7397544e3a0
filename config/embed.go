// Package config embeds the files of config/ that the binary itself needs:
// the GitHub App manifest used by the setup page.
package config

import _ "embed"

// AppManifest is config/app.yml.
//
//go:embed app.yml
var AppManifest []byte

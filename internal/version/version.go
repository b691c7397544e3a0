// Package version reports which build of secwg is running; the release build sets
// Version with -ldflags "-X github.com/secwg/secwg/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version, set at link time.
var Version = ""

// String returns the release version, or the module version or VCS revision when
// the binary was built without one, so that logs and the user agent always name it.
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

// UserAgent is the User-Agent secwg sends to GitHub.
func UserAgent() string { return "secwg/" + String() }

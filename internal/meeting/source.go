package meeting

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// FilePath reads a file:// URL (file:///abs/cal.ics, file:cal.ics) as a path.
func FilePath(source string) (string, error) {
	u, err := url.Parse(source)
	if err != nil || !strings.EqualFold(u.Scheme, "file") {
		return "", fmt.Errorf("%q is not a file URL", source)
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", fmt.Errorf("%q names host %q; want a file on this machine", source, u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has a query or fragment; want a plain file URL", source)
	}
	p := u.Path
	if u.Opaque != "" {
		p, err = url.PathUnescape(u.Opaque)
		if err != nil {
			return "", fmt.Errorf("%q: %v", source, err)
		}
	}
	if p == "" {
		return "", fmt.Errorf("%q names no file", source)
	}
	return filepath.FromSlash(p), nil
}

func isHTTP(source string) bool {
	return strings.HasPrefix(source, "https://") || strings.HasPrefix(source, "http://")
}

// ResolvePaths makes every calendar that is a file (a path or a file:// URL)
// an absolute path, reading relative ones against dir, the folder of the
// configuration file that names them, so the working directory never matters.
func (c *Config) ResolvePaths(dir string) {
	for i := range c.Groups {
		cal := c.Groups[i].Calendar
		if cal == nil || isHTTP(cal.URL) || strings.TrimSpace(cal.URL) == "" {
			continue
		}
		p := cal.URL
		if strings.HasPrefix(strings.ToLower(p), "file:") {
			fp, err := FilePath(p)
			if err != nil {
				continue // Validate names it
			}
			p = fp
		} else if strings.Contains(p, "://") {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		cal.URL = p
	}
}

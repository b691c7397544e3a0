package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestInitThenLintPasses runs what a new adopter runs: the starter, checked
// with the configuration init wrote, has no error.
func TestInitThenLintPasses(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := run([]string{"init"}, &stdout, &stderr); code != 0 {
		t.Fatalf("init: exit %d, stderr %q", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"lint", "THREAT_MODEL.md"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), ": 0 errors") {
		t.Errorf("lint of the starter: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if code := run([]string{"init"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("second init: exit %d, stderr %q", code, stderr.String())
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestServeRefusesToStartHalfConfigured(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"empty webhook secret", map[string]string{"GITHUB_APP_INTEGRATION_ID": "1", "GITHUB_APP_PRIVATE_KEY": "k", "GITHUB_APP_WEBHOOK_SECRET": ""},
			[]string{"GITHUB_APP_WEBHOOK_SECRET"}},
		{"no key", map[string]string{"GITHUB_APP_INTEGRATION_ID": "1", "GITHUB_APP_WEBHOOK_SECRET": "s"},
			[]string{"GITHUB_APP_PRIVATE_KEY"}},
		{"only a secret", map[string]string{"GITHUB_APP_WEBHOOK_SECRET": "s"},
			[]string{"GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_PRIVATE_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for _, k := range []string{"GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_PATH", "GITHUB_APP_WEBHOOK_SECRET"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			t.Setenv("SECWG_PORT", "1")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"serve"}, &stdout, &stderr); code != 2 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not name %s", stderr.String(), w)
				}
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		out, inErr string
	}{
		{[]string{"version"}, 0, "secwg ", ""},
		{[]string{"help"}, 0, "secwg serve", ""},
		{nil, 2, "", "Usage"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "extra"}, 2, "", "unexpected argument"},
		{[]string{"serve", "--config", "/nonexistent/secwg.yml"}, 2, "", "nonexistent"},
		{[]string{"meeting", "next", "--config", "testdata/meetings.yml", "--group", "security-wg", "--now", "2026-11-23T00:00:00Z"}, 0,
			"Node.js Security team Meeting 2026-11-26", ""},
		{[]string{"meeting", "next", "--config", "testdata/meetings.yml", "--group", "nope"}, 2, "", "nope"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.inErr) {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
			}
		})
	}
}

func TestLintIsWired(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"lint", "--format", "text", "testdata/threats.md"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), "stride-missing") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

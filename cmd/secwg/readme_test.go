package main

import (
	"os"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/command"
)

// TestReadmeListsTheCommandsFromTheTable keeps the README's command table the one
// the parser and /help are generated from.
func TestReadmeListsTheCommandsFromTheTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), command.ReadmeTable()) {
		t.Errorf("README.md's command table differs from the command table; replace it with:\n%s", command.ReadmeTable())
	}
}

// TestReadmeShowsTheTwoFirstCommands pins the quick start a newcomer runs.
func TestReadmeShowsTheTwoFirstCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"go run ./cmd/secwg serve", "make test"} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md lacks %q", cmd)
		}
	}
}

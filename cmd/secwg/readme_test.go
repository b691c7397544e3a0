package main

import (
	"os"
	"os/exec"
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

// TestReadmeCommandsRunAsWritten runs every line of the README's "Other
// commands" block from the repository root, offline: the secwg lines with the
// real binary, the make lines as dry runs (they build or measure at length).
func TestReadmeCommandsRunAsWritten(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "Other commands")
	if start < 0 {
		t.Fatal("README.md has no \"Other commands\" block")
	}
	block := text[start:]
	block = block[strings.Index(block, "```sh\n")+6:]
	block = block[:strings.Index(block, "```")]
	bin := secwgBinary(t)
	ran := 0
	for _, line := range strings.Split(block, "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		t.Run(strings.Join(fields, " "), func(t *testing.T) {
			var cmd *exec.Cmd
			switch fields[0] {
			case "bin/secwg":
				cmd = exec.Command(bin, fields[1:]...)
			case "make":
				if _, err := exec.LookPath("make"); err != nil {
					t.Skip("no make")
				}
				cmd = exec.Command("make", append([]string{"-n"}, fields[1:]...)...)
			default:
				t.Fatalf("the block holds a command this test does not know how to run: %s", line)
			}
			cmd.Dir = "../.."
			// Offline: nothing but loopback would answer, and nothing should be asked.
			cmd.Env = append(os.Environ(), "HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(strings.TrimSpace(string(out))) == 0 {
				t.Error("printed nothing")
			}
		})
		ran++
	}
	if ran < 5 {
		t.Errorf("only %d commands in the block", ran)
	}
}

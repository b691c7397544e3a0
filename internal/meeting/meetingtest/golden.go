// Package meetingtest holds helpers the meeting packages' tests share: golden
// files compared byte for byte and rewritten with -update.
package meetingtest

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// Golden compares got with the file at path, or rewrites the file under -update.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test -update rewrites it)\n--- got ---\n%s", path, got)
	}
}

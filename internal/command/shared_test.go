package command

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseReadsRealWorkingGroupDocuments runs the parser over the working
// group's real minutes and threat models: rich Markdown with code, quotes,
// tables and HTML, and no commands. Only a command appended after a blank
// line may be found.
func TestParseReadsRealWorkingGroupDocuments(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the shared directory with the reference documents")
	}
	var docs []string
	err := filepath.WalkDir(filepath.Join(shared, "anchors"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			docs = append(docs, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatalf("no Markdown documents under %s/anchors", shared)
	}
	for _, path := range docs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc := string(b)
			if got := Parse(doc); len(got) != 0 {
				t.Errorf("found commands in a document without any: %s", describe(got))
			}
			if len(doc) > MaxBodyBytes-100 {
				return
			}
			body := strings.TrimRight(doc, "\n") + "\n\n/help\n"
			want := strings.Count(body, "\n")
			got := Parse(body)
			if len(got) != 1 || got[0].Kind != Help || got[0].Line != want {
				t.Errorf("appended /help on line %d: got %s", want, describe(got))
			}
		})
	}
}

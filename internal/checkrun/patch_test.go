package checkrun

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/threatmodel"
)

func TestApplyPatchRebuildsTheOtherVersion(t *testing.T) {
	tests := []struct {
		name, base, head, patch string
	}{
		{"changed line in the middle",
			"a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n",
			"@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e"},
		{"two hunks with untouched lines between",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nx\n3\n4\n5\n6\n7\n8\ny\n10\n",
			"@@ -1,3 +1,3 @@\n 1\n-2\n+x\n 3\n@@ -8,3 +8,3 @@\n 8\n-9\n+y\n 10"},
		{"pure insertion",
			"a\nb\n", "a\nnew\nb\n",
			"@@ -1,0 +2 @@\n+new"},
		{"pure deletion",
			"a\nold\nb\n", "a\nb\n",
			"@@ -2 +1,0 @@\n-old"},
		{"added file", "", "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y"},
		{"removed file", "x\ny\n", "", "@@ -1,2 +0,0 @@\n-x\n-y"},
		{"newline added at end",
			"a\nb", "a\nb\n",
			"@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b"},
		{"newline removed at end",
			"a\nb\n", "a\nb",
			"@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file"},
		{"neither side ends with a newline",
			"a\nb", "a\nc",
			"@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file"},
		{"CRLF lines",
			"a\r\nb\r\n", "a\r\nB\r\n",
			"@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r"},
		{"empty context line",
			"a\n\nb\n", "A\n\nb\n",
			"@@ -1,3 +1,3 @@\n-a\n+A\n \n b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := applyPatch([]byte(tt.head), tt.patch, true)
			if err != nil || string(base) != tt.base {
				t.Errorf("reverse: %q, %v; want %q", base, err, tt.base)
			}
			head, err := applyPatch([]byte(tt.base), tt.patch, false)
			if err != nil || string(head) != tt.head {
				t.Errorf("forward: %q, %v; want %q", head, err, tt.head)
			}
		})
	}
}

func TestApplyPatchRefusesAPatchOfAnotherFile(t *testing.T) {
	tests := []struct{ name, src, patch string }{
		{"context differs", "a\nb\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n x"},
		{"file too short", "a\n", "@@ -1,3 +1,3 @@\n a\n b\n-c\n+C"},
		{"hunks out of order", "1\n2\n3\n4\n", "@@ -3 +3 @@\n-3\n+x\n@@ -1 +1 @@\n-1\n+y"},
		{"malformed header", "a\n", "@@ -x +1 @@\n a"},
		{"text before the first hunk", "a\n", "diff --git a/f b/f\n@@ -1 +1 @@\n a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := applyPatch([]byte(tt.src), tt.patch, false); !errors.Is(err, errPatch) {
				t.Errorf("got %q, %v; want errPatch", got, err)
			}
		})
	}
}

// BenchmarkApplyPatchAtTheSizeCap rebuilds the base of a model file at
// threatmodel.MaxDocumentSize whose every line the patch changes: the
// largest patch a check applies, in time and memory linear in its size.
func BenchmarkApplyPatchAtTheSizeCap(b *testing.B) {
	line := "- **Status**: Implemented in lib/internal/http.js"
	var head, patch strings.Builder
	n := threatmodel.MaxDocumentSize / (len(line) + 1)
	fmt.Fprintf(&patch, "@@ -1,%d +1,%d @@\n", n, n)
	for i := 0; i < n; i++ {
		head.WriteString(line + "\n")
		patch.WriteString("-" + strings.ToUpper(line) + "\n+" + line + "\n")
	}
	src, p := []byte(head.String()), patch.String()
	b.SetBytes(int64(len(src) + len(p)))
	b.ReportAllocs()
	for range b.N {
		if _, err := applyPatch(src, p, true); err != nil {
			b.Fatal(err)
		}
	}
}

package checkrun

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// FuzzApplyPatch feeds hostile patches and files to applyPatch: it must
// answer with a file or an errPatch, never panic, and never write more than
// the file and the patch hold between them.
func FuzzApplyPatch(f *testing.F) {
	seeds := []struct{ src, patch string }{
		{"a\nb\nc\nd\ne\n", "@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "@@ -1,3 +1,3 @@\n 1\n-2\n+x\n 3\n@@ -8,3 +8,3 @@\n 8\n-9\n+y\n 10"},
		{"a\nb\n", "@@ -1,0 +2 @@\n+new"},
		{"", "@@ -0,0 +1,2 @@\n+x\n+y"},
		{"a\nb", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b"},
		{"a\r\nb\r\n", "@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r"},
		{"1\n2\n3\n4\n", "@@ -3 +3 @@\n-3\n+x\n@@ -1 +1 @@\n-1\n+y"},
		{"a\n", "@@ -9223372036854775807,1 +1 @@\n a"},
		{"a\n", "@@ -1,99999999999999999999 +1 @@\n a"},
		{"a\n", "@@ -0 +0 @@\n\\\n\\\n-a"},
		{"", "@@"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.src), s.patch, false)
		f.Add([]byte(s.src), s.patch, true)
	}
	f.Fuzz(func(t *testing.T, src []byte, patch string, reverse bool) {
		out, err := applyPatch(src, patch, reverse)
		if err != nil {
			if !errors.Is(err, errPatch) {
				t.Fatalf("error %v is not errPatch", err)
			}
			if out != nil {
				t.Fatalf("error %v came with a file", err)
			}
			return
		}
		if limit := len(src) + len(patch) + 1; len(out) > limit {
			t.Fatalf("%d bytes out of a %d-byte file and a %d-byte patch", len(out), len(src), len(patch))
		}
	})
}

// wholeFileDiff is the unified diff that replaces every line of base with
// head's, as GitHub writes it for a rewritten file.
func wholeFileDiff(base, head []byte) string {
	b, bEOL := splitLines(base)
	h, hEOL := splitLines(head)
	var p strings.Builder
	fmt.Fprintf(&p, "@@ -%s +%s @@\n", hunkSpan(len(b)), hunkSpan(len(h)))
	side := func(lines []string, eol bool, prefix string) {
		for _, l := range lines {
			p.WriteString(prefix + l + "\n")
		}
		if len(lines) > 0 && !eol {
			p.WriteString("\\ No newline at end of file\n")
		}
	}
	side(b, bEOL, "-")
	side(h, hEOL, "+")
	return p.String()
}

func hunkSpan(n int) string {
	if n == 0 {
		return "0,0"
	}
	return "1," + strconv.Itoa(n)
}

// FuzzApplyPatchRoundTrip checks that a well-formed patch rebuilds each side
// from the other exactly, final newline included.
func FuzzApplyPatchRoundTrip(f *testing.F) {
	f.Add([]byte("a\nb\n"), []byte("a\nc"))
	f.Add([]byte(""), []byte("x\n"))
	f.Add([]byte("\n"), []byte(""))
	f.Add([]byte("a\r\n"), []byte("a\r\nb"))
	f.Fuzz(func(t *testing.T, base, head []byte) {
		patch := wholeFileDiff(base, head)
		if got, err := applyPatch(base, patch, false); err != nil || !bytes.Equal(got, head) {
			t.Fatalf("forward over %q: %q, %v; want %q", patch, got, err, head)
		}
		if got, err := applyPatch(head, patch, true); err != nil || !bytes.Equal(got, base) {
			t.Fatalf("reverse over %q: %q, %v; want %q", patch, got, err, base)
		}
	})
}

package meeting

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// skeleton keeps the lines that give minutes their shape: top headings, link labels,
// the "Extracted from" line and the calendar lines, without what people wrote.
func skeleton(doc string) []string {
	keep := regexp.MustCompile(`^(#{1,2} .*|\* \*\*[^*]+\*\*:|\*Extracted from .*|\* \*\*Node\.js Project Calendar\*\*: .*|Click .*)`)
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n") {
		if m := keep.FindString(strings.TrimPrefix(l, "\ufeff")); m != "" {
			out = append(out, m)
		}
	}
	return out
}

func TestMinutesHaveTheShapeOfTheWGsLatestMinutes(t *testing.T) {
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the shared reference directory holding anchors/security-wg-minutes")
	}
	want, err := os.ReadFile(filepath.Join(shared, "anchors", "security-wg-minutes", "2026-03-19.md"))
	if err != nil {
		t.Fatal(err)
	}
	g, m := fixtureMeeting(t)
	got, err := mustRenderer(t).RenderMinutes(g, m)
	if err != nil {
		t.Fatal(err)
	}
	gs, ws := skeleton(got), skeleton(string(want))
	if strings.Join(gs, "\n") != strings.Join(ws, "\n") {
		t.Errorf("minutes skeleton differs from the WG's 2026-03-19 minutes\n--- got ---\n%s\n--- want ---\n%s", strings.Join(gs, "\n"), strings.Join(ws, "\n"))
	}
	for _, item := range []string{
		"* Node.js PURL is missing namespace [#1552](https://github.com/nodejs/security-wg/issues/1552)",
		"* Auditing permissions [#59935](https://github.com/nodejs/node/issues/59935)",
		"* Proposal: Moving security reports to a public workflow [#1826](https://github.com/nodejs/TSC/issues/1826)",
	} {
		if !strings.Contains(got, item+"\n") || !strings.Contains(string(want), item+"\n") {
			t.Errorf("item line %q is not written alike in both", item)
		}
	}
}

package meeting

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/golden"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

func fixtureMeeting(t *testing.T) (*Group, Meeting) {
	t.Helper()
	body, err := os.ReadFile("testdata/search-agenda.json")
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := ParseSearchItems(body)
	if err != nil {
		t.Fatal(err)
	}
	g := testGroup()
	start := utc("2026-03-19T14:00:00Z")
	return &g, Meeting{
		Occurrence: Occurrence{Start: start, End: start.Add(time.Hour)},
		Agenda:     NewAgenda(g.Repo, items),
		IssueURL:   "https://github.com/nodejs/security-wg/issues/1555",
		MinutesURL: "https://hackmd.io/@openjs-nodejs/rkHBMRRl5-x",
	}
}

func mustRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := DefaultRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRenderIssueMatchesGolden(t *testing.T) {
	g, m := fixtureMeeting(t)
	issue, err := mustRenderer(t).RenderIssue(g, m)
	if err != nil {
		t.Fatal(err)
	}
	if issue.Title != "Node.js Security team Meeting 2026-03-19" {
		t.Errorf("title = %q", issue.Title)
	}
	golden.File(t, filepath.Join("testdata", "issue.golden"), issue.Body)
}

func TestRenderMinutesMatchesGolden(t *testing.T) {
	g, m := fixtureMeeting(t)
	got, err := mustRenderer(t).RenderMinutes(g, m)
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, filepath.Join("testdata", "minutes.golden"), got)
}

func TestRenderIssueWithoutMinutesOrAgenda(t *testing.T) {
	g, m := fixtureMeeting(t)
	m.Agenda, m.MinutesURL = Agenda{}, ""
	g.Observers = []string{"Guest: @guest"}
	issue, err := mustRenderer(t).RenderIssue(g, m)
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, filepath.Join("testdata", "issue-empty-agenda.golden"), issue.Body)
}

func TestIssueBodyCarriesMarkersThatFindItAgain(t *testing.T) {
	g, m := fixtureMeeting(t)
	issue, err := mustRenderer(t).RenderIssue(g, m)
	if err != nil {
		t.Fatal(err)
	}
	id, date, ok := FindMarker(issue.Body)
	if !ok || id != "security-wg" || date != "2026-03-19" {
		t.Errorf("FindMarker = %q %q %v", id, date, ok)
	}
	region := regexp.MustCompile(`(?s)<!-- secwg:agenda:start group=security-wg -->\n(.*)\n<!-- secwg:agenda:end group=security-wg -->`).FindStringSubmatch(issue.Body)
	if region == nil {
		t.Fatal("no agenda region")
	}
	if !strings.HasPrefix(region[1], "Extracted from **security-wg-agenda** labelled issues and pull requests from the **nodejs org** prior to the meeting.") {
		t.Errorf("region starts %q", region[1][:80])
	}
	agenda, err := mustRenderer(t).RenderAgenda(g, m.Agenda)
	if err != nil {
		t.Fatal(err)
	}
	replaced, err := ReplaceAgenda(issue.Body, g.ID, agenda)
	if err != nil || replaced != issue.Body {
		t.Errorf("replacing the agenda with the same agenda changed the body (err %v)", err)
	}
}

func TestAgendaGroupsByRepositoryHomeFirstThenAlphabetical(t *testing.T) {
	items := []Item{
		{Repo: "nodejs/TSC", Number: 2},
		{Repo: "nodejs/node", Number: 9},
		{Repo: "nodejs/security-wg", Number: 30},
		{Repo: "nodejs/node", Number: 1},
		{Repo: "nodejs/Security-WG", Number: 4},
		{Repo: "nodejs/admin", Number: 7},
		{Repo: "nodejs/node", Number: 1},
	}
	a := NewAgenda("nodejs/security-wg", items)
	var got []string
	for _, r := range a.Repos {
		var nums []string
		for _, it := range r.Items {
			nums = append(nums, fmt.Sprint(it.Number))
		}
		got = append(got, r.Repo+":"+strings.Join(nums, ","))
	}
	want := "nodejs/security-wg:4,30 nodejs/admin:7 nodejs/node:1,9 nodejs/TSC:2"
	if strings.Join(got, " ") != want {
		t.Errorf("agenda = %s\nwant      %s", strings.Join(got, " "), want)
	}
	if a.Len() != 6 {
		t.Errorf("Len = %d, want 6 (duplicate dropped)", a.Len())
	}
}

func TestParseSearchItemsReadsRepoAndKind(t *testing.T) {
	body, _ := os.ReadFile("testdata/search-agenda.json")
	items, total, err := ParseSearchItems(body)
	if err != nil {
		t.Fatal(err)
	}
	if total != 6 || len(items) != 6 {
		t.Fatalf("total %d, %d items", total, len(items))
	}
	want := Item{Repo: "nodejs/security-wg", Number: 1549, Title: "regenerate node.openvex.json", URL: "https://github.com/nodejs/security-wg/pull/1549", PullRequest: true}
	if items[3] != want {
		t.Errorf("item 3 = %+v, want %+v", items[3], want)
	}
	if items[4].PullRequest || items[0].PullRequest {
		t.Error("issues read as pull requests (null or absent pull_request)")
	}
	for _, bad := range []string{`{`, `{"items":[{"number":1,"repository_url":"https://api.github.com/users/x"}]}`, `{"items":[{"number":0,"repository_url":"https://api.github.com/repos/a/b"}]}`, `[]`} {
		if _, _, err := ParseSearchItems([]byte(bad)); err == nil {
			t.Errorf("ParseSearchItems(%s) succeeded", bad)
		}
	}
	if items, total, err := ParseSearchItems([]byte(`{"items":[]}`)); err != nil || total != 0 || len(items) != 0 {
		t.Errorf("empty response: %v %d %v", items, total, err)
	}
}

// mention is what GitHub would treat as a mention: @ after a non-word character,
// followed by a user or team name.
var mention = regexp.MustCompile(`(^|[^\w&;])@[A-Za-z0-9]`)

func TestHostileTitlesRenderSafely(t *testing.T) {
	titles := []string{
		"ping @nodejs/security-wg and @octocat please",
		"@user at the start",
		"email@example.com",
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"&lt;b&gt; entity and &#64;user",
		"click [here](https://evil.example) or ![img](https://evil.example/x.png)",
		"title](https://evil.example) [x",
		"| a | b |\n|---|---|\n| c | d |",
		"`code` and ``` fence",
		"line one\nline two\r\n# heading\n> quote",
		"# looks like a heading",
		"- looks like a list",
		"2024. looks like an ordered list",
		"*emphasis* _under_ ~~strike~~ $x^2$ \\",
		"<!-- secwg:agenda:end group=security-wg -->",
		"\u202eevil bidi override\u202c and \x00 nul",
		strings.Repeat("A", 10000),
		strings.Repeat("@a ", 4000),
		strings.Repeat("é", 9999) + "<",
	}
	g := testGroup()
	var items []Item
	for i, title := range titles {
		items = append(items, Item{Repo: "nodejs/security-wg", Number: i + 1, Title: title, URL: fmt.Sprintf("https://github.com/nodejs/security-wg/issues/%d", i+1)})
	}
	items = append(items, Item{Repo: "nodejs/node", Number: 99, Title: "bad url", URL: "javascript:alert(1)"})
	r := mustRenderer(t)
	agenda, err := r.RenderAgenda(&g, NewAgenda(g.Repo, items))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(agenda, "\n")
	itemLines := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "* ") {
			continue
		}
		itemLines++
		if n := len([]rune(l)); n > 2*MaxTitleRunes*len("&#8203;") {
			t.Errorf("item line of %d characters", n)
		}
		if mention.MatchString(l) {
			t.Errorf("line can mention: %q", l)
		}
		if strings.ContainsAny(strings.TrimSuffix(l, l[strings.LastIndex(l, " [#"):]), "<>") {
			t.Errorf("raw angle bracket in %q", l)
		}
	}
	if itemLines != len(items) {
		t.Errorf("%d item lines, want %d: a title broke out of its line", itemLines, len(items))
	}
	if strings.Contains(agenda, "javascript:") {
		t.Error("javascript: URL kept")
	}
	if strings.Count(agenda, "<!-- secwg:agenda:end") != 0 {
		t.Error("a title forged a marker")
	}

	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(agenda), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, bad := range []string{"<script", "<img", "<table", "<h1", "<blockquote", "<ol", "<code", "<em", "<del"} {
		if strings.Contains(out, bad) {
			t.Errorf("rendered HTML contains %q", bad)
		}
	}
	// Bare URLs may be autolinked as GitHub does, showing their own address; no
	// link may hide its destination behind other text except the item links.
	itemLinks := 0
	for _, m := range regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`).FindAllStringSubmatch(out, -1) {
		switch {
		case regexp.MustCompile(`^#\d+$`).MatchString(m[2]):
			itemLinks++
		case m[1] != m[2]:
			t.Errorf("link text %q hides %q", m[2], m[1])
		}
	}
	if itemLinks != len(items) {
		t.Errorf("rendered HTML has %d item links, want one per item (%d)", itemLinks, len(items))
	}
	if got := strings.Count(out, "<li>"); got != len(items) {
		t.Errorf("rendered HTML has %d list items, want %d", got, len(items))
	}
	if !strings.Contains(out, "ping @\u200bnodejs/security-wg") && !strings.Contains(out, "ping @&#8203;nodejs/security-wg") {
		t.Errorf("mention text no longer reads as written:\n%s", out[:400])
	}
}

func TestEscapeTitleCapsLength(t *testing.T) {
	got := EscapeTitle(strings.Repeat("a", 10000))
	if n := len([]rune(got)); n != MaxTitleRunes || !strings.HasSuffix(got, "…") {
		t.Errorf("escaped 10,000 characters to %d ending %q", n, got[len(got)-6:])
	}
	if EscapeTitle(" \n\t ") != "(untitled)" {
		t.Errorf("blank title = %q", EscapeTitle(" \n\t "))
	}
}

func BenchmarkRenderAgenda1000(b *testing.B) {
	g := testGroup()
	repos := []string{"nodejs/security-wg", "nodejs/node", "nodejs/TSC", "nodejs/admin", "nodejs/build"}
	items := make([]Item, 1000)
	for i := range items {
		repo := repos[i%len(repos)]
		items[i] = Item{Repo: repo, Number: 1000 + i, Title: fmt.Sprintf("Item %d: review @team/x <b>|</b> [link](u)", i),
			URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, 1000+i)}
	}
	r := mustRenderer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.RenderAgenda(&g, NewAgenda(g.Repo, items)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAgendaQuerySearchesTheLabelAcrossTheOrg(t *testing.T) {
	g := testGroup()
	if got, want := g.AgendaQuery(), `is:open label:"security-wg-agenda" org:nodejs`; got != want {
		t.Errorf("AgendaQuery = %s, want %s", got, want)
	}
}

func TestEscapeTitleDropsBidiAndZeroWidthCharacters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Fix\u200b @\u200dnodejs/tsc", "Fix @&#8203;nodejs/tsc"},
		{"Review gnp.\u202eexe\u2066", "Review gnp.exe"},
		{"\ufeff\u2060", "(untitled)"},
	}
	for _, tt := range tests {
		if got := EscapeTitle(tt.in); got != tt.want {
			t.Errorf("EscapeTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package meetingcli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/secwg/secwg/internal/calendarfeed"
	"github.com/secwg/secwg/internal/golden"
)

const (
	exampleConfig = "../../config/secwg.example.yml"
	lfxFeed       = "https://webcal.prod.itx.linuxfoundation.org/lfx/a092M00001IV4HSQA1"
	wgNote        = "https://hackmd.io/@openjs-nodejs/rkHBMRRl5-x"
)

// lfxTransport serves the WG's calendar feed from testdata, in-process.
type lfxTransport struct{ t *testing.T }

func (l lfxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.String() != lfxFeed {
		l.t.Errorf("unexpected request for %s", r.URL)
		return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Request: r}, nil
	}
	f, err := os.Open("testdata/lfx-security-wg.ics")
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: f, Header: http.Header{"Content-Type": {"text/calendar"}}, Request: r}, nil
}

func renderExample(t *testing.T, kind string) string {
	t.Helper()
	d := testDeps(nil)
	d.fetcher = &calendarfeed.Fetcher{Client: &http.Client{Transport: lfxTransport{t}}}
	code, out, errOut := runCLI(t, d, "render", "--config", exampleConfig, "--group", "security-wg", "--kind", kind,
		"--now", "2026-03-12T15:00:00Z", "--agenda-json", "testdata/security-wg-2026-03-19-agenda.json", "--minutes-url", wgNote)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	return out
}

func TestExampleConfigRendersTheWGsMeetingIssue(t *testing.T) {
	out := renderExample(t, "issue")
	golden.File(t, "testdata/security-wg-issue.golden", out)
	for _, want := range []string{
		"* Minutes: <" + wgNote + ">",
		"* link for participants: <https://zoom-lfx.platform.linuxfoundation.org/meeting/92626800362?password=78ffb026-dfb9-4549-b8cd-c3b82bd907f7>",
		"| US / Pacific  | Thu 19-Mar-2026 07:00 (07:00 AM) |",
		"### nodejs/security-wg\n\n* update deps index.json [#1547](https://github.com/nodejs/security-wg/pull/1547)\n* regenerate node.openvex.json",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("issue lacks %q", want)
		}
	}
}

var (
	itemLine     = regexp.MustCompile(`^[*-] .*\[#\d+\]\(https://github\.com/[^)]+\)$`)
	standingLine = regexp.MustCompile(`^- \[[ xX]\] `)
	linkLine     = regexp.MustCompile(`^\* \*\*[^*]+\*\*:`)
)

// minutesShape is what the WG's minutes share whatever people wrote in them:
// headings (repository sections in any order), link labels, standing items
// (unticked) and agenda item lines.
func minutesShape(doc string) (headings, links, standing, items []string) {
	var repos []string
	for _, l := range strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "### "):
			repos = append(repos, l)
		case strings.HasPrefix(l, "#"):
			headings = append(headings, l)
		case linkLine.MatchString(l):
			links = append(links, linkLine.FindString(l))
		case standingLine.MatchString(l):
			standing = append(standing, "- [ ] "+l[len("- [ ] "):])
		case itemLine.MatchString(l):
			items = append(items, "* "+l[2:])
		}
	}
	sort.Strings(repos)
	sort.Strings(items)
	return append(headings, repos...), links, standing, items
}

func TestExampleConfigMinutesHaveTheShapeOfTheWGsLatestMinutes(t *testing.T) {
	out := renderExample(t, "minutes")
	golden.File(t, "testdata/security-wg-minutes.golden", out)
	shared := os.Getenv("SECWG_SHARED")
	if shared == "" {
		t.Skip("SECWG_SHARED is not set; it names the shared reference directory holding anchors/security-wg-minutes")
	}
	f, err := os.Open(filepath.Join(shared, "anchors", "security-wg-minutes", "2026-03-19.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	real, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	gh, gl, gs, gi := minutesShape(out)
	wh, wl, ws, wi := minutesShape(string(real))
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"headings", gh, wh}, {"link labels", gl, wl}, {"standing items", gs, ws}, {"agenda items", gi, wi}} {
		if strings.Join(c.got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s differ from the WG's 2026-03-19 minutes\n--- got ---\n%s\n--- want ---\n%s", c.what, strings.Join(c.got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	if !strings.Contains(out, "* **Minutes**: "+wgNote+"\n") || !strings.Contains(string(real), "* **Minutes**: "+wgNote+"\n") {
		t.Error("the Minutes line does not link the note alike in both")
	}
}

func TestMinutesAgendaIsATightList(t *testing.T) {
	lines := strings.Split(renderExample(t, "minutes"), "\n")
	for i := 1; i+1 < len(lines); i++ {
		if lines[i] == "" && itemLine.MatchString(lines[i-1]) && itemLine.MatchString(lines[i+1]) {
			t.Errorf("blank line between agenda items %q and %q", lines[i-1], lines[i+1])
		}
	}
}

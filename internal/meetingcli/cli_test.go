package meetingcli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/calendarfeed"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/golden"
	"github.com/secwg/secwg/internal/meeting"
)

// loadConfig reads a server configuration file without any environment.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(path, func(string) (string, bool) { return "", false })
}

// noSearch fails any live search, so tests prove when one is not made.
type noSearch struct{}

func (noSearch) Search(context.Context, string) ([]meeting.Item, error) {
	return nil, fmt.Errorf("unexpected live search")
}

func testDeps(env map[string]string) deps {
	return deps{
		getenv:   func(k string) string { return env[k] },
		now:      func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) },
		fetcher:  &calendarfeed.Fetcher{},
		searcher: func(string, string) AgendaSearcher { return noSearch{} },
	}
}

func runCLI(t *testing.T, d deps, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, loadConfig, d)
	return code, out.String(), errOut.String()
}

func TestNextPrintsUTCAndEveryZone(t *testing.T) {
	code, out, errOut := runCLI(t, testDeps(nil), "next", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--now", "2026-03-10T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `Node.js Security team Meeting 2026-03-19
starts  2026-03-19T14:00:00Z
ends    2026-03-19T15:00:00Z

UTC           Thu 19-Mar-2026 14:00 (02:00 PM)  UTC
US / Eastern  Thu 19-Mar-2026 10:00 (10:00 AM)  America/New_York
EU / Central  Thu 19-Mar-2026 15:00 (03:00 PM)  Europe/Amsterdam
`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestNextReadsTheCalendarFileWithTheDefaultZones(t *testing.T) {
	code, out, errOut := runCLI(t, testDeps(nil), "next", "--config", "testdata/meetings.yaml", "--group", "security-wg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Third Thursday of March 2026, 15:00 in Amsterdam before Europe's summer time.
	for _, want := range []string{"Node.js Security team Meeting 2026-03-19", "starts  2026-03-19T14:00:00Z", "Sydney", "Fri 20-Mar-2026 01:00 (01:00 AM)", "Australia/Sydney"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "\n"); got != 3+1+1+12 {
		t.Errorf("%d lines, want title, 2 times, blank, UTC and 12 zones", got)
	}
}

func TestNextFetchesAnHTTPCalendar(t *testing.T) {
	ics, err := os.ReadFile("testdata/security-wg.ics")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(ics) }))
	defer srv.Close()
	dir := t.TempDir()
	cfg := strings.Replace(mustRead(t, "testdata/meetings.yaml"), "url: security-wg.ics", "url: "+srv.URL+"/basic.ics", 1)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, testDeps(nil), "next", "--config", path, "--group", "security-wg", "--now", "2026-03-20T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "starts  2026-04-16T13:00:00Z") {
		t.Errorf("want April's meeting in Europe's summer time:\n%s", out)
	}
}

func TestRenderIssueFromSavedSearch(t *testing.T) {
	code, out, errOut := runCLI(t, testDeps(nil), "render", "--config", "testdata/meetings.yaml", "--group", "biweekly",
		"--kind", "issue", "--date", "2026-03-19", "--agenda-json", "testdata/search-page1.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errOut != "title: Node.js Security team Meeting 2026-03-19\n" {
		t.Errorf("stderr = %q", errOut)
	}
	golden.File(t, filepath.Join("testdata", "render-issue.golden"), out)
}

func TestRenderMinutesSearchesLiveAcrossPages(t *testing.T) {
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/api/v3/search/issues" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("q") != `is:open label:"security-wg-agenda" org:nodejs` || q.Get("per_page") != "100" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusUnprocessableEntity)
			return
		}
		if r.Header.Get("Authorization") != "Bearer test-token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		page := "1"
		if q.Get("page") == "2" {
			page = "2"
		} else {
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/search/issues?q=%s&per_page=100&page=2>; rel="next", <%s/api/v3/search/issues?page=2>; rel="last"`,
				srv.URL, url.QueryEscape(q.Get("q")), srv.URL))
		}
		_, _ = w.Write([]byte(mustRead(t, "testdata/search-page"+page+".json")))
	}))
	defer srv.Close()
	d := testDeps(map[string]string{"GITHUB_V3_API_URL": srv.URL + "/api/v3", "GITHUB_TOKEN": "test-token"})
	d.searcher = func(base, token string) AgendaSearcher {
		return &RESTSearcher{BaseURL: base, Token: token, Client: srv.Client()}
	}
	code, out, errOut := runCLI(t, d, "render", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--kind", "minutes", "--now", "2026-03-10T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if calls.Load() != 2 {
		t.Errorf("%d search calls, want 2 pages", calls.Load())
	}
	golden.File(t, filepath.Join("testdata", "render-minutes.golden"), out)
}

func TestSearchRefusesToFollowLinksOffTheAPIHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") != "" {
			t.Error("followed a next link to another host")
		}
		w.Header().Set("Link", `<http://evil.example/search/issues?page=2>; rel="next"`)
		_, _ = w.Write([]byte(`{"total_count":0,"items":[]}`))
	}))
	defer srv.Close()
	s := &RESTSearcher{BaseURL: srv.URL, Token: "secret", Client: srv.Client()}
	if _, err := s.Search(context.Background(), "is:open"); err == nil || !strings.Contains(err.Error(), "not on") {
		t.Fatalf("err = %v", err)
	}
}

func TestSearchReportsAPIErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"API rate limit exceeded"}`, http.StatusForbidden)
	}))
	defer srv.Close()
	s := &RESTSearcher{BaseURL: srv.URL, Client: srv.Client()}
	if _, err := s.Search(context.Background(), "is:open"); err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("err = %v", err)
	}
}

func TestUsageErrorsExitTwoWithAReason(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "usage"},
		{"sync without the App's credentials", []string{"sync", "--config", "testdata/meetings.yaml"}, "GITHUB_APP_INTEGRATION_ID"},
		{"sync with a bad instant", []string{"sync", "--config", "testdata/meetings.yaml", "--now", "tomorrow"}, "--now"},
		{"unknown subcommand", []string{"frobnicate"}, "unknown meeting subcommand"},
		{"missing group", []string{"next", "--config", "testdata/meetings.yaml"}, "--group"},
		{"unknown group", []string{"next", "--config", "testdata/meetings.yaml", "--group", "tsc"}, `no group "tsc"`},
		{"unknown flag", []string{"next", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--later"}, "later"},
		{"stray argument", []string{"next", "--config", "testdata/meetings.yaml", "--group", "biweekly", "extra"}, "unexpected argument"},
		{"bad now", []string{"next", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--now", "tomorrow"}, "--now"},
		{"missing config", []string{"next", "--config", "testdata/nope.yaml", "--group", "biweekly"}, "nope.yaml"},
		{"bad kind", []string{"render", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--kind", "slides"}, "--kind"},
		{"no meeting that day", []string{"render", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--date", "2026-03-20", "--agenda-json", "testdata/search-page1.json"}, "no upcoming occurrence on 2026-03-20"},
		{"missing agenda file", []string{"render", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--agenda-json", "testdata/nope.json"}, "--agenda-json"},
		{"agenda file is not a search response", []string{"render", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--agenda-json", "testdata/meetings.yaml"}, "--agenda-json"},
		{"live search fails", []string{"render", "--config", "testdata/meetings.yaml", "--group", "biweekly"}, "unexpected live search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, testDeps(nil), tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing on failure", out)
			}
		})
	}
}

func TestRunUsesTheEnvironmentDefaults(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"next", "--config", "testdata/meetings.yaml", "--group", "biweekly", "--now", "2026-03-10T00:00:00Z"}, &out, &errOut, loadConfig)
	if code != 0 || !strings.HasPrefix(out.String(), "Node.js Security team Meeting 2026-03-19\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCalendarPathsAreReadAgainstTheConfigFilesFolder(t *testing.T) {
	cfg, err := filepath.Abs("testdata/meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	feed, err := filepath.Abs("testdata/security-wg.ics")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fileURL := filepath.Join(dir, "file-url.yaml")
	text := strings.Replace(mustRead(t, cfg), "url: security-wg.ics", "url: "+(&url.URL{Scheme: "file", Path: filepath.ToSlash(feed)}).String(), 1)
	if err := os.WriteFile(fileURL, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the working directory holds no testdata
	for _, config := range []string{cfg, fileURL} {
		code, out, errOut := runCLI(t, testDeps(nil), "next", "--config", config, "--group", "security-wg")
		if code != 0 || !strings.Contains(out, "starts  2026-03-19T14:00:00Z") {
			t.Errorf("--config %s: exit %d, out %q, stderr %q", config, code, out, errOut)
		}
	}
}

// Package meetingcli implements `secwg meeting next`, `render` and `sync`: offline
// previews of a group's next meeting and of its issue or minutes, and one
// reconcile pass over every group, as a CronJob runs it.
package meetingcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/secwg/secwg/internal/calendarfeed"
	"github.com/secwg/secwg/internal/config"
	"github.com/secwg/secwg/internal/meeting"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a sync pass ran and failed
	exitUsage  = 2 // bad usage, unreadable input or a failed lookup
)

const maxAgendaJSON = 16 << 20

// deps is what a run reaches outside itself; tests replace it.
type deps struct {
	getenv   func(string) string
	now      func() time.Time
	fetcher  *calendarfeed.Fetcher
	searcher func(baseURL, token string) AgendaSearcher
}

// Loader reads the server configuration file.
type Loader func(path string) (*config.Config, error)

// Run runs `secwg meeting …`; args start with the subcommand (next, render or
// sync). load reads the server configuration, whose meetings key every
// subcommand reads and whose GitHub App credentials sync uses.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader) int {
	return run(ctx, args, stdout, stderr, load, deps{
		getenv:  os.Getenv,
		now:     time.Now,
		fetcher: &calendarfeed.Fetcher{UserAgent: "secwg"},
		searcher: func(baseURL, token string) AgendaSearcher {
			return &RESTSearcher{BaseURL: baseURL, Token: token, Client: &http.Client{Timeout: 30 * time.Second}}
		},
	})
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader, d deps) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: secwg meeting next|render|sync [flags]")
		return exitUsage
	}
	var err error
	switch args[0] {
	case "next":
		err = runNext(ctx, args[1:], stdout, stderr, load, d)
	case "render":
		err = runRender(ctx, args[1:], stdout, stderr, load, d)
	case "sync":
		err = runSync(ctx, args[1:], stdout, stderr, load, d)
	default:
		fmt.Fprintf(stderr, "secwg meeting: unknown meeting subcommand %q (want next, render or sync)\n", args[0])
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errSyncFailed):
		fmt.Fprintf(stderr, "secwg meeting %s: %v\n", args[0], err)
		return exitFailed
	default:
		fmt.Fprintf(stderr, "secwg meeting %s: %v\n", args[0], err)
		return exitUsage
	}
}

// common holds the flags both subcommands take.
type common struct {
	config, group, now, calendarFile string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "server configuration `file` (required)")
	fs.StringVar(&c.group, "group", "", "meeting group `id` (required)")
	fs.StringVar(&c.now, "now", "", "pretend the time is this RFC 3339 `instant`")
	fs.StringVar(&c.calendarFile, "calendar", "", "read the group's calendar from this iCalendar `file` instead of its configured feed")
}

func parseFlags(fs *flag.FlagSet, args []string, c *common) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.config == "" || c.group == "" {
		return errors.New("--config and --group are required")
	}
	return nil
}

func (c *common) instant(d deps) (time.Time, error) {
	if c.now == "" {
		return d.now(), nil
	}
	t, err := time.Parse(time.RFC3339, c.now)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now: want RFC 3339 such as 2026-03-19T14:00:00Z, got %q", c.now)
	}
	return t, nil
}

// calendar reads --now, the configuration and the group's calendar; what the
// feed had that could not be read is listed on stderr.
func (c *common) calendar(ctx context.Context, load Loader, d deps, stderr io.Writer) (time.Time, *meeting.Group, *meeting.Calendar, error) {
	now, err := c.instant(d)
	if err != nil {
		return now, nil, nil, err
	}
	cfg, err := load(c.config)
	if err != nil {
		return now, nil, nil, fmt.Errorf("loading %s: %w", c.config, err)
	}
	if cfg == nil {
		return now, nil, nil, fmt.Errorf("%s declares no meetings", c.config)
	}
	g, err := cfg.Meetings.Group(c.group)
	if err != nil {
		return now, nil, nil, err
	}
	if c.calendarFile != "" {
		if g.Calendar == nil {
			return now, nil, nil, fmt.Errorf("--calendar: group %q has a schedule, not a calendar", c.group)
		}
		// An offline copy of the feed: the same filter applies.
		cal := *g.Calendar
		if cal.URL, err = filepath.Abs(c.calendarFile); err != nil {
			return now, nil, nil, err
		}
		g.Calendar = &cal
	}
	var ics []byte
	if g.Calendar != nil {
		if ics, err = d.fetcher.Fetch(ctx, g.Calendar.URL); err != nil {
			return now, nil, nil, err
		}
	}
	cal, err := g.LoadCalendarContext(ctx, ics)
	if err == nil {
		for _, w := range cal.Warnings {
			fmt.Fprintf(stderr, "warning: calendar %s: %s\n", g.Calendar.URL, w)
		}
	}
	return now, g, cal, err
}

func runNext(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader, d deps) error {
	var c common
	fs := flag.NewFlagSet("secwg meeting next", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs)
	if err := parseFlags(fs, args, &c); err != nil {
		return err
	}
	now, g, cal, err := c.calendar(ctx, load, d, stderr)
	if err != nil {
		return err
	}
	occ, err := cal.Next(now)
	if err != nil {
		return fmt.Errorf("group %q: %w after %s", g.ID, err, now.UTC().Format(time.RFC3339))
	}
	title, err := g.MeetingTitle(occ.Start)
	if err != nil {
		return err
	}
	zones, err := meeting.ZoneTimes(occ.Start, g.Timezones)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "%s\n", title)
	fmt.Fprintf(w, "starts\t%s\n", occ.Start.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "ends\t%s\n\n", occ.End.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "UTC\t%s\tUTC\n", meeting.FormatTime(occ.Start.UTC()))
	for _, z := range zones {
		fmt.Fprintf(w, "%s\t%s\t%s\n", z.Label, z.Local, z.Zone)
	}
	return w.Flush()
}

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader, d deps) error {
	var c common
	var kind, date, agendaJSON, minutesURL string
	fs := flag.NewFlagSet("secwg meeting render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs)
	fs.StringVar(&kind, "kind", "issue", "what to render: `issue` or minutes")
	fs.StringVar(&date, "date", "", "the meeting on this UTC `date` (YYYY-MM-DD); default the next one")
	fs.StringVar(&agendaJSON, "agenda-json", "", "a saved Search API response `file`; default search GitHub live")
	fs.StringVar(&minutesURL, "minutes-url", "", "the minutes document (HackMD note) `URL`; default the minutes file in the repository")
	if err := parseFlags(fs, args, &c); err != nil {
		return err
	}
	if kind != "issue" && kind != "minutes" {
		return fmt.Errorf("--kind: want issue or minutes, got %q", kind)
	}
	now, g, cal, err := c.calendar(ctx, load, d, stderr)
	if err != nil {
		return err
	}
	var occ meeting.Occurrence
	if date != "" {
		occ, err = cal.On(date)
	} else {
		occ, err = cal.Next(now)
	}
	if err != nil {
		return fmt.Errorf("group %q: %w", g.ID, err)
	}
	items, err := agendaItems(ctx, g, agendaJSON, d)
	if err != nil {
		return err
	}
	r, err := meeting.DefaultRenderer()
	if err != nil {
		return err
	}
	standing, err := standingResults(ctx, g, agendaJSON, d)
	if err != nil {
		return err
	}
	agenda := meeting.NewAgenda(g.Repo, items)
	agenda.Standing = standing
	m := meeting.Meeting{Occurrence: occ, Agenda: agenda, MinutesURL: minutesURL}
	if kind == "minutes" {
		out, err := r.RenderMinutes(g, m)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, out)
		return err
	}
	issue, err := r.RenderIssue(g, m)
	if err != nil {
		return err
	}
	// The title goes to stderr so stdout is exactly the issue body.
	fmt.Fprintf(stderr, "title: %s\n", issue.Title)
	_, err = io.WriteString(stdout, issue.Body)
	return err
}

func agendaItems(ctx context.Context, g *meeting.Group, agendaJSON string, d deps) ([]meeting.Item, error) {
	if agendaJSON != "" {
		f, err := os.Open(agendaJSON)
		if err != nil {
			return nil, fmt.Errorf("--agenda-json: %w", err)
		}
		defer f.Close()
		body, err := io.ReadAll(io.LimitReader(f, maxAgendaJSON+1))
		if err != nil {
			return nil, fmt.Errorf("--agenda-json: %w", err)
		}
		if len(body) > maxAgendaJSON {
			return nil, fmt.Errorf("--agenda-json: %s is over %d bytes", agendaJSON, maxAgendaJSON)
		}
		items, _, err := meeting.ParseSearchItems(body)
		if err != nil {
			return nil, fmt.Errorf("--agenda-json %s: %w", agendaJSON, err)
		}
		return items, nil
	}
	return d.liveSearcher().Search(ctx, g.AgendaQuery())
}

func (d deps) liveSearcher() AgendaSearcher {
	base := d.getenv("GITHUB_V3_API_URL")
	if base == "" {
		base = "https://api.github.com"
	}
	return d.searcher(base, d.getenv("GITHUB_TOKEN"))
}

// standingResults runs the standing items' searches live; a saved agenda
// (--agenda-json) stands for a render without them.
func standingResults(ctx context.Context, g *meeting.Group, agendaJSON string, d deps) ([]meeting.StandingResults, error) {
	if agendaJSON != "" {
		return nil, nil
	}
	var out []meeting.StandingResults
	for _, si := range g.StandingItems {
		if si.Search == "" {
			continue
		}
		items, err := d.liveSearcher().Search(ctx, si.StandingQuery())
		if err != nil {
			return nil, fmt.Errorf("standing item %q: %w", si.Title, err)
		}
		out = append(out, meeting.StandingResults{Title: si.Title, Items: items})
	}
	return out, nil
}

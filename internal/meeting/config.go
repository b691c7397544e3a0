// Package meeting computes a working group's meetings: the next occurrence from a calendar
// or a rule, the agenda from labelled items, and the issue and minutes rendered from templates.
package meeting

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/yamlstrict"
)

// DefaultSyncInterval is how often the server reconciles every group when the
// configuration does not say.
const DefaultSyncInterval = 15 * time.Minute

// Config is the server configuration's `meetings:` key. It accepts a bare list of
// groups or a mapping `{sync_interval: 15m, groups: [...]}`.
type Config struct {
	SyncInterval time.Duration
	// SyncOff turns the server's sync loop off; `sync_interval: 0` sets it.
	SyncOff bool
	Groups  []Group
}

// Group is one meeting series and everything needed to run it.
type Group struct {
	// ID names the group in --group and in the markers of its issues.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	Host string `yaml:"host"`
	// Title is a template over TitleData; the default gives
	// "Node.js Security team Meeting 2026-03-19".
	Title       string `yaml:"title"`
	Org         string `yaml:"org"`
	Repo        string `yaml:"repo"`
	AgendaLabel string `yaml:"agenda_label"`
	Team        string `yaml:"team"`
	// Exactly one of Calendar and Schedule is set.
	Calendar      *CalendarSource `yaml:"calendar"`
	Schedule      *Schedule       `yaml:"schedule"`
	Duration      time.Duration   `yaml:"duration"`
	LeadTime      time.Duration   `yaml:"lead_time"`
	Timezones     []Zone          `yaml:"timezones"`
	Invited       []string        `yaml:"invited"`
	Observers     []string        `yaml:"observers"`
	Joining       Joining         `yaml:"joining"`
	StandingItems []StandingItem  `yaml:"standing_items"`
	Minutes       Minutes         `yaml:"minutes"`
	CalendarPage  CalendarPage    `yaml:"calendar_page"`
	// Commands overrides who may run each bot command for this group.
	Commands command.Overrides `yaml:"commands"`
}

// CalendarSource is an iCalendar feed and the text that picks the group's events.
type CalendarSource struct {
	// URL is an http(s) URL, a file:// URL or a file path; a relative path is
	// read against the folder of the configuration file.
	URL string `yaml:"url"`
	// Filter is matched in SUMMARY, else in DESCRIPTION, ignoring case.
	Filter string `yaml:"filter"`
}

// Schedule is a recurrence rule used instead of a calendar.
type Schedule struct {
	RRule string `yaml:"rrule"`
	// Start is RFC 3339, or a local date-time (2006-01-02T15:04:05) in Timezone.
	Start    string `yaml:"start"`
	Timezone string `yaml:"timezone"`
}

// Zone is one row of the time table.
type Zone struct {
	Label string `yaml:"label"`
	Zone  string `yaml:"zone"`
}

// Joining says how to attend.
type Joining struct {
	Participant string `yaml:"participant"`
	Observer    string `yaml:"observer"`
}

// StandingItem is discussed at every meeting; minutes list it as a checkbox.
type StandingItem struct {
	Title string `yaml:"title"`
	URL   string `yaml:"url"`
	// Search is a GitHub issue search (for instance
	// "repo:nodejs/nodejs-dependency-vuln-assessments"); the agenda lists its
	// open results under the item.
	Search string `yaml:"search"`
}

// maxStandingSearch bounds a standing item's query; GitHub refuses longer ones.
const maxStandingSearch = 256

// StandingQuery is the Search API query of a standing item with a search: its
// open issues and pull requests.
func (s StandingItem) StandingQuery() string {
	q := strings.Join(strings.Fields(s.Search), " ")
	if !strings.Contains(" "+strings.ToLower(q)+" ", " is:open ") {
		q = "is:open " + q
	}
	return q
}

// Minutes says where minutes go.
type Minutes struct {
	// Path is a template over the occurrence (.Date) giving the file in Repo.
	Path       string `yaml:"path"`
	HackMDTeam string `yaml:"hackmd_team"`
	// Delay is how long after the meeting ends the minutes pull request is proposed.
	Delay time.Duration `yaml:"delay"`
}

// CalendarPage is the calendar people subscribe to, linked from the minutes.
type CalendarPage struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	Note string `yaml:"note"`
}

// Interval is how often the server reconciles every group: SyncInterval, or the
// default when it is unset; 0 when SyncOff, for operators who run `secwg meeting
// sync` from a CronJob instead.
func (c *Config) Interval() time.Duration {
	switch {
	case c.SyncOff:
		return 0
	case c.SyncInterval > 0:
		return c.SyncInterval
	}
	return DefaultSyncInterval
}

// Group returns the group with the given ID.
func (c *Config) Group(id string) (*Group, error) {
	for i := range c.Groups {
		if c.Groups[i].ID == id {
			return &c.Groups[i], nil
		}
	}
	ids := make([]string, len(c.Groups))
	for i := range c.Groups {
		ids[i] = c.Groups[i].ID
	}
	return nil, fmt.Errorf("meetings: no group %q (configured: %s)", id, strings.Join(ids, ", "))
}

// UnmarshalYAML reads either shape of `meetings:` strictly: unknown keys and bad
// values are errors that name the group, the key and the line.
func (c *Config) UnmarshalYAML(node *yaml.Node) error {
	*c = Config{SyncInterval: DefaultSyncInterval}
	groups := node
	switch node.Kind {
	case yaml.SequenceNode:
	case yaml.MappingNode:
		groups = nil
		if e := yamlstrict.Keys(node, "", []string{"sync_interval", "groups"}); e != nil {
			if e.Problem == yamlstrict.RepeatedKey {
				return fmt.Errorf("meetings: key %s (line %d): given twice", e.Name, e.Line)
			}
			return fmt.Errorf("meetings: unknown key %q (line %d); want sync_interval or groups", e.Name, e.Line)
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			switch k.Value {
			case "sync_interval":
				d, err := parseDuration(v)
				if err == nil && d < 0 {
					err = fmt.Errorf("want 0 (no sync loop) or a positive duration, got %q", v.Value)
				}
				if err != nil {
					return fmt.Errorf("meetings: key sync_interval (line %d): %w", v.Line, err)
				}
				c.SyncInterval, c.SyncOff = d, d == 0
			case "groups":
				if v.Kind != yaml.SequenceNode {
					return fmt.Errorf("meetings: key groups (line %d): want a list of groups", v.Line)
				}
				groups = v
			}
		}
	case 0:
		return nil
	default:
		if node.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("meetings (line %d): want a list of groups or a mapping with sync_interval and groups", node.Line)
	}
	if groups != nil {
		for _, gn := range groups.Content {
			var g Group
			if err := g.UnmarshalYAML(gn); err != nil {
				return err
			}
			c.Groups = append(c.Groups, g)
		}
	}
	return c.Validate()
}

// UnmarshalYAML fills the Node.js Security WG defaults, then the keys present.
func (g *Group) UnmarshalYAML(node *yaml.Node) error {
	id := "?"
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("meetings: group at line %d: want a mapping", node.Line)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == "id" {
			id = node.Content[i+1].Value
		}
	}
	if err := checkGroup(node); err != nil {
		return fmt.Errorf("meetings: group %q: %w", id, err)
	}
	*g = DefaultGroup()
	type plain Group // drops this method so Decode does not recurse
	if err := node.Decode((*plain)(g)); err != nil {
		return fmt.Errorf("meetings: group %q: %w", id, err)
	}
	return nil
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}$`)
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	labelPattern = regexp.MustCompile(`^[^"\r\n]{1,50}$`)
)

// Validate checks every group; errors name the group, the key and the reason.
func (c *Config) Validate() error {
	if c.SyncInterval < 0 {
		return errors.New("meetings: key sync_interval: must not be negative")
	}
	seen := map[string]bool{}
	var errs []error
	for i := range c.Groups {
		g := &c.Groups[i]
		if seen[g.ID] {
			errs = append(errs, fmt.Errorf("meetings: group %q: key id: used twice", g.ID))
		}
		seen[g.ID] = true
		if err := g.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Validate checks the group; each error names the group, the key and the reason.
func (g *Group) Validate() error {
	p := &problems{group: g.ID}
	g.validateNames(p)
	g.validateSource(p)
	g.validateTimes(p)
	g.validateLists(p)
	g.validateTemplates(p)
	return errors.Join(p.errs...)
}

// problems gathers what is wrong with one group's configuration.
type problems struct {
	group string
	errs  []error
}

func (p *problems) bad(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("meetings: group %q: key %s: %s", p.group, key, fmt.Sprintf(format, args...)))
}

// validateNames checks the group's id and the GitHub names it uses.
func (g *Group) validateNames(p *problems) {
	if !idPattern.MatchString(g.ID) {
		p.bad("id", "want lower-case letters, digits, '.', '_' or '-', got %q", g.ID)
	}
	if g.Org == "" {
		p.bad("org", "missing")
	} else if !namePattern.MatchString(g.Org) {
		p.bad("org", "%q is not a GitHub organisation name", g.Org)
	}
	if g.Repo == "" {
		p.bad("repo", "missing")
	} else if !repoPattern.MatchString(g.Repo) {
		p.bad("repo", "want owner/name, got %q", g.Repo)
	}
	if !labelPattern.MatchString(g.AgendaLabel) {
		p.bad("agenda_label", "want 1 to 50 characters without quotes or newlines, got %q", g.AgendaLabel)
	}
	if g.Team != "" && !repoPattern.MatchString(g.Team) {
		p.bad("team", "want org/team-slug, got %q", g.Team)
	}
}

// validateSource checks where the meetings come from: a calendar or a schedule.
func (g *Group) validateSource(p *problems) {
	switch {
	case g.Calendar == nil && g.Schedule == nil:
		p.bad("calendar", "set calendar or schedule")
	case g.Calendar != nil && g.Schedule != nil:
		p.bad("calendar", "set calendar or schedule, not both")
	case g.Calendar != nil:
		if strings.TrimSpace(g.Calendar.URL) == "" {
			p.bad("calendar.url", "missing")
		} else if strings.HasPrefix(strings.ToLower(g.Calendar.URL), "file:") {
			if _, err := FilePath(g.Calendar.URL); err != nil {
				p.bad("calendar.url", "%v", err)
			}
		} else if strings.Contains(g.Calendar.URL, "://") && !isHTTP(g.Calendar.URL) {
			p.bad("calendar.url", "want an http(s) URL, a file:// URL or a file path, got %q", g.Calendar.URL)
		}
	case g.Schedule != nil:
		if _, err := newRuleSeries(*g.Schedule); err != nil {
			p.bad("schedule", "%v", err)
		}
	}
}

func (g *Group) validateTimes(p *problems) {
	if g.Duration <= 0 {
		p.bad("duration", "must be positive, got %s", g.Duration)
	}
	if g.LeadTime < 0 {
		p.bad("lead_time", "must not be negative, got %s", g.LeadTime)
	}
	if g.Minutes.Delay < 0 {
		p.bad("minutes.delay", "must not be negative, got %s", g.Minutes.Delay)
	}
}

func (g *Group) validateLists(p *problems) {
	for i, z := range g.Timezones {
		if z.Label == "" {
			p.bad(fmt.Sprintf("timezones[%d].label", i), "missing")
		}
		if _, err := loadZone(z.Zone); err != nil {
			p.bad(fmt.Sprintf("timezones[%d].zone", i), "%v", err)
		}
	}
	for i, s := range g.StandingItems {
		if strings.TrimSpace(s.Title) == "" {
			p.bad(fmt.Sprintf("standing_items[%d].title", i), "missing")
		}
		if len(s.Search) > maxStandingSearch || strings.ContainsAny(s.Search, "\r\n") ||
			(s.Search != "" && strings.TrimSpace(s.Search) == "") {
			p.bad(fmt.Sprintf("standing_items[%d].search", i), "want one line of at most %d characters, got %q", maxStandingSearch, s.Search)
		}
	}
}

// validateTemplates renders the title and minutes path once, for an example date.
func (g *Group) validateTemplates(p *problems) {
	if _, err := g.titleTemplate(); err != nil {
		p.bad("title", "%v", err)
	} else if _, err := g.MeetingTitle(time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC)); err != nil {
		p.bad("title", "%v", err)
	}
	if _, err := g.MinutesPath(Occurrence{Start: time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC)}); err != nil {
		p.bad("minutes.path", "%v", err)
	}
}

func (g *Group) titleTemplate() (*template.Template, error) {
	return template.New("title").Option("missingkey=error").Parse(g.Title)
}

// TitleData is what the title and minutes path templates see.
type TitleData struct {
	Host, Name, Date string
}

// MeetingTitle is the issue and minutes title for a meeting starting at start.
func (g *Group) MeetingTitle(start time.Time) (string, error) {
	t, err := g.titleTemplate()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, TitleData{Host: g.Host, Name: g.Name, Date: MeetingDate(start)}); err != nil {
		return "", err
	}
	title := strings.Join(strings.Fields(b.String()), " ")
	if title == "" {
		return "", errors.New("renders empty")
	}
	return title, nil
}

// MeetingDate is the UTC date that names a meeting in titles, markers and files.
func MeetingDate(start time.Time) string { return start.UTC().Format(time.DateOnly) }

// MinutesFileURL is where the minutes file of occ reads on GitHub once its pull
// request is merged (HEAD follows the default branch, whatever its name).
func (g *Group) MinutesFileURL(occ Occurrence) (string, error) {
	p, err := g.MinutesPath(occ)
	if err != nil {
		return "", err
	}
	return "https://github.com/" + g.Repo + "/blob/HEAD/" + (&url.URL{Path: p}).EscapedPath(), nil
}

// MinutesPath is the minutes file for occ inside Repo, from the minutes.path template.
func (g *Group) MinutesPath(occ Occurrence) (string, error) {
	t, err := template.New("path").Option("missingkey=error").Parse(g.Minutes.Path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, TitleData{Host: g.Host, Name: g.Name, Date: MeetingDate(occ.Start)}); err != nil {
		return "", err
	}
	p := b.String()
	if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." ||
		strings.ContainsAny(p, "\\\r\n\x00") {
		return "", fmt.Errorf("%q is not a clean relative path", p)
	}
	return p, nil
}

package meeting

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"

	"github.com/secwg/secwg/templates"
)

// Template names in templates/.
const (
	issueTemplate   = "meeting-issue.md.tmpl"
	agendaTemplate  = "meeting-agenda.md.tmpl"
	minutesTemplate = "minutes.md.tmpl"
)

// Meeting is what the issue and minutes are rendered from.
type Meeting struct {
	Occurrence Occurrence
	Agenda     Agenda
	// IssueURL is the meeting issue, for the minutes.
	IssueURL string
	// MinutesURL is the shared minutes document (a HackMD note); without one
	// the Minutes line links the minutes file in the group's repository.
	MinutesURL string
	// MinutesPending leaves the Minutes line empty: the document being
	// rendered is the note itself, whose URL is not known until it exists.
	MinutesPending bool
	RecordingURL   string
}

// minutesLink is the Minutes line's URL for m.
func (g *Group) minutesLink(m Meeting) (string, error) {
	switch {
	case m.MinutesPending:
		return "", nil
	case m.MinutesURL != "":
		return safeURL(m.MinutesURL), nil
	}
	return g.MinutesFileURL(m.Occurrence)
}

// Issue is a rendered meeting issue.
type Issue struct {
	Title, Body string
}

// Renderer renders meeting issues, agendas and minutes from templates.
type Renderer struct {
	t *template.Template
}

// NewRenderer parses the meeting-*.tmpl and minutes*.tmpl files of fsys.
func NewRenderer(fsys fs.FS) (*Renderer, error) {
	t, err := template.New("meeting").Option("missingkey=error").ParseFS(fsys, "meeting-*.tmpl", "minutes*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parsing meeting templates: %w", err)
	}
	for _, name := range []string{issueTemplate, agendaTemplate, minutesTemplate} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("parsing meeting templates: %s is missing", name)
		}
	}
	return &Renderer{t: t}, nil
}

var defaultRenderer = sync.OnceValues(func() (*Renderer, error) { return NewRenderer(templates.FS) })

// DefaultRenderer renders from the templates built into secwg.
func DefaultRenderer() (*Renderer, error) { return defaultRenderer() }

// itemView is an agenda item made safe to render.
type itemView struct {
	Title  string
	Number int
	URL    string
	Kind   string
}

type repoView struct {
	Repo  string
	Items []itemView
}

// agendaView is what meeting-agenda.md.tmpl and the minutes' agenda see.
type agendaView struct {
	Label, Org string
	Repos      []repoView
	// Standing are the standing items with a search, and their open results.
	Standing []standingView
}

// standingView is a standing item with the open results of its search.
type standingView struct {
	Title, URL string
	Items      []itemView
}

func newAgendaView(g *Group, a Agenda) agendaView {
	v := agendaView{Label: g.AgendaLabel, Org: g.Org, Repos: make([]repoView, 0, len(a.Repos))}
	for _, r := range a.Repos {
		repo := r.Repo
		if !repoPattern.MatchString(repo) {
			repo = EscapeTitle(repo)
		}
		rv := repoView{Repo: repo, Items: make([]itemView, 0, len(r.Items))}
		for _, it := range r.Items {
			rv.Items = append(rv.Items, newItemView(repo, it))
		}
		v.Repos = append(v.Repos, rv)
	}
	// Only the standing items whose search ran: a render from a saved agenda
	// has none, and must not claim that nothing is open.
	for _, s := range g.StandingItems {
		if s.Search == "" || !a.searched(s.Title) {
			continue
		}
		sv := standingView{Title: EscapeTitle(s.Title), URL: safeURL(s.URL)}
		for _, it := range a.results(s.Title) {
			sv.Items = append(sv.Items, newItemView(it.Repo, it))
		}
		v.Standing = append(v.Standing, sv)
	}
	return v
}

func newItemView(repo string, it Item) itemView {
	kind := "issues"
	if it.PullRequest {
		kind = "pull"
	}
	u := safeURL(it.URL)
	if u == "" {
		u = fmt.Sprintf("https://github.com/%s/%s/%d", repo, kind, it.Number)
	}
	return itemView{Title: EscapeTitle(it.Title), Number: it.Number, URL: u, Kind: kind}
}

// RenderAgenda renders the inside of the issue's marked agenda region.
func (r *Renderer) RenderAgenda(g *Group, a Agenda) (string, error) {
	var b strings.Builder
	b.Grow(128 * (a.Len() + 4))
	if err := r.t.ExecuteTemplate(&b, agendaTemplate, newAgendaView(g, a)); err != nil {
		return "", fmt.Errorf("rendering agenda of group %q: %w", g.ID, err)
	}
	return b.String(), nil
}

// issueView is what meeting-issue.md.tmpl sees.
type issueView struct {
	Title, Date                     string
	Marker                          string
	UTC                             string
	Zones                           []ZoneTime
	TimeAndDateURL, WolframAlphaURL string
	MinutesURL                      string
	AgendaRegion                    string
	Label, Org                      string
	Invited, Observers              []string
	Participant, Observer           string
}

// RenderIssue renders the meeting issue for m.
func (r *Renderer) RenderIssue(g *Group, m Meeting) (Issue, error) {
	fail := func(err error) (Issue, error) {
		return Issue{}, fmt.Errorf("rendering meeting issue of group %q: %w", g.ID, err)
	}
	title, err := g.MeetingTitle(m.Occurrence.Start)
	if err != nil {
		return fail(err)
	}
	zones, err := ZoneTimes(m.Occurrence.Start, g.Timezones)
	if err != nil {
		return fail(err)
	}
	agenda, err := r.RenderAgenda(g, m.Agenda)
	if err != nil {
		return Issue{}, err
	}
	minutes, err := g.minutesLink(m)
	if err != nil {
		return fail(err)
	}
	v := issueView{
		Title:           title,
		Date:            MeetingDate(m.Occurrence.Start),
		Marker:          MeetingMarker(g.ID, m.Occurrence),
		UTC:             FormatTime(m.Occurrence.Start.UTC()),
		Zones:           zones,
		TimeAndDateURL:  TimeAndDateURL(title, m.Occurrence.Start),
		WolframAlphaURL: WolframAlphaURL(m.Occurrence.Start),
		MinutesURL:      minutes,
		AgendaRegion:    agendaRegion(g.ID, agenda, "\n"),
		Label:           g.AgendaLabel,
		Org:             g.Org,
		Invited:         g.Invited,
		Observers:       g.Observers,
		Participant:     angleURL(g.Joining.Participant),
		Observer:        g.Joining.Observer,
	}
	var b strings.Builder
	if err := r.t.ExecuteTemplate(&b, issueTemplate, v); err != nil {
		return fail(err)
	}
	return Issue{Title: title, Body: b.String()}, nil
}

// minutesView is what minutes.md.tmpl sees.
type minutesView struct {
	Title, Date                        string
	RecordingURL, IssueURL, MinutesURL string
	Present                            []string
	Label, Org                         string
	StandingItems                      []standingView
	Agenda                             agendaView
	CalendarPage                       CalendarPage
}

// standingItems are the group's standing items, each with the open results of
// its search when it has one.
func standingItems(g *Group, a Agenda) []standingView {
	out := make([]standingView, 0, len(g.StandingItems))
	for _, s := range g.StandingItems {
		sv := standingView{Title: s.Title, URL: s.URL}
		for _, it := range a.results(s.Title) {
			sv.Items = append(sv.Items, newItemView(it.Repo, it))
		}
		out = append(out, sv)
	}
	return out
}

// angleURL writes a bare URL as an autolink, as the WG's issues do; text stays.
func angleURL(s string) string {
	if u := safeURL(s); u != "" && u == strings.TrimSpace(s) {
		return "<" + u + ">"
	}
	return s
}

// RenderMinutes renders the minutes document for m in the WG's shape.
func (r *Renderer) RenderMinutes(g *Group, m Meeting) (string, error) {
	title, err := g.MeetingTitle(m.Occurrence.Start)
	if err != nil {
		return "", fmt.Errorf("rendering minutes of group %q: %w", g.ID, err)
	}
	minutes, err := g.minutesLink(m)
	if err != nil {
		return "", fmt.Errorf("rendering minutes of group %q: %w", g.ID, err)
	}
	v := minutesView{
		Title:         title,
		Date:          MeetingDate(m.Occurrence.Start),
		RecordingURL:  safeURL(m.RecordingURL),
		IssueURL:      safeURL(m.IssueURL),
		MinutesURL:    minutes,
		Present:       g.Invited,
		Label:         g.AgendaLabel,
		Org:           g.Org,
		StandingItems: standingItems(g, m.Agenda),
		Agenda:        newAgendaView(g, m.Agenda),
		CalendarPage:  g.CalendarPage,
	}
	var b strings.Builder
	if err := r.t.ExecuteTemplate(&b, minutesTemplate, v); err != nil {
		return "", fmt.Errorf("rendering minutes of group %q: %w", g.ID, err)
	}
	return b.String(), nil
}

package meeting

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Occurrence is one meeting: a single instance of a recurring event, a moved
// instance at its new time, or a one-off event.
type Occurrence struct {
	Start, End time.Time
	UID        string
	Summary    string
}

// ErrNoOccurrence means the calendar holds no meeting in the searched window.
var ErrNoOccurrence = errors.New("no upcoming occurrence")

const (
	// horizon bounds the search for the next meeting; a group that has not met in
	// two years has no next meeting worth an issue.
	horizon = 2 * 366 * 24 * time.Hour
	// maxSteps bounds the expansion of one recurrence rule, so a dense or
	// hostile rule costs a clear error instead of minutes of CPU.
	maxSteps = 200_000
)

// Calendar is the set of meetings a group's calendar or schedule yields.
type Calendar struct {
	series []*series
}

// series is one recurring or one-off event with its exceptions and moved instances.
type series struct {
	uid, summary string
	start        time.Time // in the event's own zone, so rules follow its wall clock
	dur          time.Duration
	rule         *rrule.ROption
	rdates       []time.Time
	exdates      map[int64]bool
	// overrides are moved or cancelled instances, keyed by the original start.
	overrides map[int64]override
}

type override struct {
	occ       Occurrence
	cancelled bool
}

// LoadCalendar builds the group's calendar: from ics when the group reads a
// calendar feed (the caller fetched it), else from its schedule.
func (g *Group) LoadCalendar(ics []byte) (*Calendar, error) {
	if g.Schedule != nil {
		s, err := newRuleSeries(*g.Schedule)
		if err != nil {
			return nil, fmt.Errorf("group %q: schedule: %w", g.ID, err)
		}
		s.dur = g.Duration
		s.summary, _ = g.MeetingTitle(s.start)
		return &Calendar{series: []*series{s}}, nil
	}
	if g.Calendar == nil {
		return nil, fmt.Errorf("group %q: neither calendar nor schedule is set", g.ID)
	}
	c, err := ParseICS(ics, g.Calendar.Filter, g.Duration)
	if err != nil {
		return nil, fmt.Errorf("group %q: calendar %s: %w", g.ID, g.Calendar.URL, err)
	}
	return c, nil
}

// newRuleSeries reads a schedule: an RRULE, a start and the zone whose wall clock
// the rule follows.
func newRuleSeries(s Schedule) (*series, error) {
	tz := s.Timezone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := loadZone(tz)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	var start time.Time
	if t, err := time.Parse(time.RFC3339, s.Start); err == nil {
		start = t.In(loc)
	} else if t, err := time.ParseInLocation("2006-01-02T15:04:05", s.Start, loc); err == nil {
		start = t
	} else if t, err := time.ParseInLocation("2006-01-02T15:04", s.Start, loc); err == nil {
		start = t
	} else {
		return nil, fmt.Errorf("start: want RFC 3339 such as 2025-01-09T14:00:00Z, got %q", s.Start)
	}
	rule, err := parseRule(s.RRule, loc)
	if err != nil {
		return nil, fmt.Errorf("rrule: %w", err)
	}
	if rule == nil {
		return nil, errors.New("rrule: missing")
	}
	return &series{uid: "schedule", start: start, rule: rule}, nil
}

func parseRule(text string, loc *time.Location) (*rrule.ROption, error) {
	text = strings.TrimPrefix(strings.TrimSpace(text), "RRULE:")
	if text == "" {
		return nil, nil
	}
	opt, err := rrule.StrToROptionInLocation(text, loc)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", text, err)
	}
	switch opt.Freq {
	case rrule.SECONDLY, rrule.MINUTELY:
		return nil, fmt.Errorf("%q: meetings recur at most hourly", text)
	}
	if !opt.Dtstart.IsZero() {
		return nil, fmt.Errorf("%q: DTSTART belongs in start, not in the rule", text)
	}
	// Build once to surface invalid BY* values now rather than at expansion.
	probe := *opt
	probe.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, loc)
	if _, err := rrule.NewRRule(probe); err != nil {
		return nil, fmt.Errorf("%q: %v", text, err)
	}
	return opt, nil
}

// ParseICS reads an iCalendar feed and keeps the events whose SUMMARY, else
// DESCRIPTION, contains filter (ignoring case; an empty filter keeps all).
// defaultDuration applies to timed events that carry neither DTEND nor DURATION.
func ParseICS(data []byte, filter string, defaultDuration time.Duration) (*Calendar, error) {
	cal, err := decodeICS(data)
	if err != nil {
		return nil, fmt.Errorf("parsing iCalendar: %w", err)
	}
	if cal.Name != ical.CompCalendar {
		return nil, fmt.Errorf("parsing iCalendar: want VCALENDAR, got %s", cal.Name)
	}
	z := newZoneResolver(cal)
	byUID := map[string]*series{}
	var out []*series
	var moved []ical.Event
	for _, ev := range cal.Events() {
		if ev.Props.Get(ical.PropRecurrenceID) != nil {
			moved = append(moved, ev)
			continue
		}
		if !matches(ev, filter) {
			continue
		}
		s, cancelled, err := readEvent(ev, z, defaultDuration)
		if err != nil {
			return nil, err
		}
		if cancelled {
			// A cancelled master cancels the series, including its moved instances.
			byUID[s.uid] = nil
			continue
		}
		if _, dup := byUID[s.uid]; !dup {
			byUID[s.uid] = s
		}
		out = append(out, s)
	}
	for _, ev := range moved {
		uid := textProp(ev, ical.PropUID)
		master, known := byUID[uid]
		if known && master == nil {
			continue
		}
		if !known && !matches(ev, filter) {
			continue
		}
		o, cancelled, err := readEvent(ev, z, defaultDuration)
		if err != nil {
			return nil, err
		}
		rid, err := z.times(ev.Props.Get(ical.PropRecurrenceID))
		if err != nil || len(rid) != 1 {
			return nil, fmt.Errorf("event %q: RECURRENCE-ID: want one date-time (%v)", uid, err)
		}
		ov := override{occ: Occurrence{Start: o.start, End: o.start.Add(o.dur), UID: uid, Summary: o.summary}, cancelled: cancelled}
		if master == nil {
			// An instance whose series is outside this feed stands alone.
			if !cancelled {
				o.uid = uid
				byUID[uid] = o
				out = append(out, o)
			}
			continue
		}
		if master.overrides == nil {
			master.overrides = map[int64]override{}
		}
		master.overrides[rid[0].Unix()] = ov
	}
	return &Calendar{series: out}, nil
}

// decodeICS turns go-ical's panics on malformed parameters into errors: feeds
// are input from elsewhere and must not take the process down.
func decodeICS(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("malformed content line (%v)", r)
		}
	}()
	return ical.NewDecoder(bytes.NewReader(data)).Decode()
}

func matches(ev ical.Event, filter string) bool {
	if filter == "" {
		return true
	}
	f := strings.ToLower(filter)
	if strings.Contains(strings.ToLower(textProp(ev, ical.PropSummary)), f) {
		return true
	}
	return strings.Contains(strings.ToLower(textProp(ev, ical.PropDescription)), f)
}

func textProp(ev ical.Event, name string) string {
	s, err := ev.Props.Text(name)
	if err != nil {
		return ""
	}
	return s
}

// readEvent reads one VEVENT into a series and says whether it is cancelled.
func readEvent(ev ical.Event, z *zoneResolver, defaultDuration time.Duration) (*series, bool, error) {
	uid := textProp(ev, ical.PropUID)
	fail := func(format string, args ...any) (*series, bool, error) {
		return nil, false, fmt.Errorf("event %q (%s): %s", uid, textProp(ev, ical.PropSummary), fmt.Sprintf(format, args...))
	}
	startProp := ev.Props.Get(ical.PropDateTimeStart)
	if startProp == nil {
		return fail("no DTSTART")
	}
	starts, err := z.times(startProp)
	if err != nil || len(starts) != 1 {
		return fail("DTSTART: want one date-time (%v)", err)
	}
	s := &series{uid: uid, summary: textProp(ev, ical.PropSummary), start: starts[0], exdates: map[int64]bool{}}
	allDay := isDate(startProp)
	switch {
	case ev.Props.Get(ical.PropDateTimeEnd) != nil:
		ends, err := z.times(ev.Props.Get(ical.PropDateTimeEnd))
		if err != nil || len(ends) != 1 {
			return fail("DTEND: want one date-time (%v)", err)
		}
		s.dur = ends[0].Sub(s.start)
	case ev.Props.Get(ical.PropDuration) != nil:
		d, err := ev.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return fail("DURATION: %v", err)
		}
		s.dur = d
	case allDay:
		s.dur = 24 * time.Hour
	default:
		s.dur = defaultDuration
	}
	if s.dur < 0 {
		return fail("ends before it starts")
	}
	if p := ev.Props.Get(ical.PropRecurrenceRule); p != nil {
		if s.rule, err = parseRule(p.Value, s.start.Location()); err != nil {
			return fail("RRULE: %v", err)
		}
	}
	for _, p := range ev.Props.Values(ical.PropRecurrenceDates) {
		ts, err := z.times(&p)
		if err != nil {
			return fail("RDATE: %v", err)
		}
		s.rdates = append(s.rdates, ts...)
	}
	for _, p := range ev.Props.Values(ical.PropExceptionDates) {
		ts, err := z.times(&p)
		if err != nil {
			return fail("EXDATE: %v", err)
		}
		for _, t := range ts {
			s.exdates[t.Unix()] = true
		}
	}
	status, _ := ev.Props.Text(ical.PropStatus)
	return s, strings.EqualFold(strings.TrimSpace(status), string(ical.EventCancelled)), nil
}

func isDate(p *ical.Prop) bool {
	return p.ValueType() == ical.ValueDate || (p.ValueType() == ical.ValueDefault && len(p.Value) == len("20060102"))
}

// zoneResolver turns TZID parameters into locations, once per name.
type zoneResolver struct {
	floating *time.Location
	aliases  map[string]string
	cache    map[string]*time.Location
}

var ianaSuffix = regexp.MustCompile(`([A-Z][A-Za-z_]+(?:/[A-Za-z0-9_+-]+){1,2})$`)

func newZoneResolver(cal *ical.Calendar) *zoneResolver {
	z := &zoneResolver{floating: time.UTC, aliases: map[string]string{}, cache: map[string]*time.Location{}}
	if p := cal.Props.Get("X-WR-TIMEZONE"); p != nil {
		if loc, err := loadZone(p.Value); err == nil {
			z.floating = loc
		}
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		id := c.Props.Get(ical.PropTimezoneID)
		loc := c.Props.Get("X-LIC-LOCATION")
		if id != nil && loc != nil {
			z.aliases[id.Value] = loc.Value
		}
	}
	return z
}

func (z *zoneResolver) location(tzid string) (*time.Location, error) {
	if loc, ok := z.cache[tzid]; ok {
		return loc, nil
	}
	loc, err := loadZone(tzid)
	if err != nil && z.aliases[tzid] != "" {
		loc, err = loadZone(z.aliases[tzid])
	}
	if err != nil {
		// Some producers prefix IANA names, as in /mozilla.org/20070129_1/Europe/Berlin.
		if m := ianaSuffix.FindString(tzid); m != "" {
			loc, err = loadZone(m)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("unknown TZID %q", tzid)
	}
	z.cache[tzid] = loc
	return loc, nil
}

// times reads a DATE or DATE-TIME property, which may list several values.
func (z *zoneResolver) times(p *ical.Prop) ([]time.Time, error) {
	loc := z.floating
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		l, err := z.location(tzid)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "/") // PERIOD values: keep the start
		var t time.Time
		var err error
		switch {
		case len(v) == len("20060102T150405Z") && strings.HasSuffix(v, "Z"):
			t, err = time.Parse("20060102T150405Z", v)
		case len(v) == len("20060102T150405"):
			t, err = time.ParseInLocation("20060102T150405", v, loc)
		case len(v) == len("20060102"):
			t, err = time.ParseInLocation("20060102", v, loc)
		default:
			err = fmt.Errorf("%q is not a date or date-time", v)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Between lists the meetings that overlap [from, to), by start time.
func (c *Calendar) Between(from, to time.Time) ([]Occurrence, error) {
	var out []Occurrence
	for _, s := range c.series {
		occs, err := s.between(from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, occs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].UID < out[j].UID
	})
	return out, nil
}

// Next is the earliest meeting that has not ended at now: the one in progress,
// else the next to start.
func (c *Calendar) Next(now time.Time) (Occurrence, error) {
	occs, err := c.Between(now, now.Add(horizon))
	if err != nil {
		return Occurrence{}, err
	}
	for _, o := range occs {
		if o.End.After(now) {
			return o, nil
		}
	}
	return Occurrence{}, ErrNoOccurrence
}

// On is the first meeting starting on the given UTC date (YYYY-MM-DD).
func (c *Calendar) On(date string) (Occurrence, error) {
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return Occurrence{}, fmt.Errorf("date: want YYYY-MM-DD, got %q", date)
	}
	occs, err := c.Between(day, day.Add(24*time.Hour))
	if err != nil {
		return Occurrence{}, err
	}
	for _, o := range occs {
		if MeetingDate(o.Start) == date {
			return o, nil
		}
	}
	return Occurrence{}, fmt.Errorf("%w on %s", ErrNoOccurrence, date)
}

func (s *series) between(from, to time.Time) ([]Occurrence, error) {
	starts := map[int64]time.Time{}
	if s.rule == nil {
		starts[s.start.Unix()] = s.start
	} else {
		opt := *s.rule
		opt.Dtstart = s.start
		if opt.Count == 0 && (opt.Until.IsZero() || opt.Until.After(to)) {
			opt.Until = to // bounds rrule's own search as well as ours
		}
		r, err := rrule.NewRRule(opt)
		if err != nil {
			return nil, fmt.Errorf("event %q: RRULE: %v", s.uid, err)
		}
		next := r.Iterator()
		for steps := 0; ; steps++ {
			if steps == maxSteps {
				return nil, fmt.Errorf("event %q: RRULE yields more than %d instances before %s", s.uid, maxSteps, to.Format(time.DateOnly))
			}
			t, ok := next()
			if !ok || !t.Before(to) {
				break
			}
			starts[t.Unix()] = t
		}
	}
	for _, t := range s.rdates {
		starts[t.Unix()] = t
	}
	var out []Occurrence
	for key, start := range starts {
		if s.exdates[key] {
			continue
		}
		if _, moved := s.overrides[key]; moved {
			continue
		}
		end := start.Add(s.dur)
		if start.Before(to) && end.After(from) {
			out = append(out, Occurrence{Start: start.UTC(), End: end.UTC(), UID: s.uid, Summary: s.summary})
		}
	}
	for _, o := range s.overrides {
		if !o.cancelled && o.occ.Start.Before(to) && o.occ.End.After(from) {
			occ := o.occ
			occ.Start, occ.End = occ.Start.UTC(), occ.End.UTC()
			out = append(out, occ)
		}
	}
	return out, nil
}

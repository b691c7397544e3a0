package meeting

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// vevent is one VEVENT as read.
type vevent struct {
	line          int
	uid           string
	summary       string
	match         bool // the filter takes it
	seq           int
	stamp         time.Time
	start         time.Time
	allDay        bool
	dur           span
	rules         []*rrule.ROption
	rdates        []rdate
	exdates       []time.Time
	exdays        []string
	rid           *time.Time
	thisAndFuture bool
	cancelled     bool
}

// newer says whether e supersedes o: the higher SEQUENCE, then the later DTSTAMP,
// then the later in the file.
func (e *vevent) newer(o *vevent) bool {
	if e.seq != o.seq {
		return e.seq > o.seq
	}
	if !e.stamp.Equal(o.stamp) {
		return e.stamp.After(o.stamp)
	}
	return e.line > o.line
}

// eventError is an event that cannot be read, with the line at fault.
type eventError struct {
	line int
	uid  string
	msg  string
}

func (e *eventError) Error() string {
	if e.uid == "" {
		return fmt.Sprintf("line %d: event: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d: event %q: %s", e.line, e.uid, e.msg)
}

// ParseICS reads an iCalendar feed and keeps the events whose SUMMARY, else
// DESCRIPTION, contains filter (ignoring case; an empty filter keeps all).
// defaultDuration applies to timed events that carry neither DTEND nor DURATION.
func ParseICS(data []byte, filter string, defaultDuration time.Duration) (*Calendar, error) {
	return ParseICSContext(context.Background(), data, filter, defaultDuration)
}

// ParseICSContext is ParseICS under ctx. Lines and events that cannot be read
// are skipped and named in the calendar's Warnings; the feed fails only when no
// readable event matches the filter and an unreadable one might have.
func ParseICSContext(ctx context.Context, data []byte, filter string, defaultDuration time.Duration) (*Calendar, error) {
	raw, err := scanFeed(ctx, data, filter)
	if err != nil {
		return nil, fmt.Errorf("parsing iCalendar: %w", err)
	}
	z := newZoneResolver(raw)
	masters := map[string]*vevent{}
	var masterOrder []string
	rivals := raw.rivals
	type ridKey struct {
		uid string
		at  int64
	}
	overrides := map[ridKey]*vevent{}
	var overrideOrder []ridKey
	var unreadable *eventError
	readable := 0
	for i, rc := range raw.events {
		if i&0xff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("parsing iCalendar: reading the event at line %d: %w", rc.line, err)
			}
		}
		summary, match, might := raw.matches(rc)
		raw.events[i] = nil // read once; let it go
		ev, err := readEvent(rc, z, defaultDuration)
		if err != nil {
			if might && unreadable == nil {
				unreadable = err
			}
			raw.warn(err.line, "event skipped: %s", err.msg)
			continue
		}
		// The calendar keeps its own copies: a piece of the feed's text would
		// keep all of it alive.
		ev.summary, ev.match = strings.Clone(summary), match
		if match {
			readable++
		}
		if ev.rid != nil {
			k := ridKey{ev.uid, ev.rid.Unix()}
			if old := overrides[k]; old == nil {
				overrides[k] = ev
				overrideOrder = append(overrideOrder, k)
			} else if ev.newer(old) {
				overrides[k] = ev
			}
			continue
		}
		if !match {
			continue
		}
		if old := masters[ev.uid]; old == nil {
			masters[ev.uid] = ev
			masterOrder = append(masterOrder, ev.uid)
		} else if ev.newer(old) {
			masters[ev.uid] = ev
		}
	}
	if unreadable == nil {
		unreadable = raw.unclosed
	}
	if readable == 0 && unreadable != nil {
		return nil, fmt.Errorf("parsing iCalendar: no readable event matches %q: %w", filter, unreadable)
	}
	cal := &Calendar{}
	byUID := map[string]*series{}
	cancelled := map[string]bool{} // series gone, with their moved instances
	for _, uid := range masterOrder {
		m := masters[uid]
		if r := rivals[uid]; r != nil && r.newer(m) {
			cancelled[uid] = true // renamed away from the filter
			continue
		}
		if m.cancelled {
			// A cancelled master cancels the series, including its moved instances.
			cancelled[uid] = true
			continue
		}
		s := m.series()
		byUID[uid] = s
		cal.series = append(cal.series, s)
	}
	for _, k := range overrideOrder {
		o := overrides[k]
		if cancelled[o.uid] {
			continue
		}
		if r := rivals[o.uid]; r != nil && masters[o.uid] == nil {
			continue // its series is another group's
		}
		ov := &override{rid: *o.rid, start: o.start, dur: o.dur, summary: o.summary, cancelled: o.cancelled}
		master := byUID[o.uid]
		if master == nil {
			// An instance whose series is outside this feed stands alone.
			if !o.cancelled && o.match {
				s := &series{uid: o.uid, summary: o.summary, start: o.start, dur: o.dur}
				cal.series = append(cal.series, s)
			}
			continue
		}
		if o.thisAndFuture {
			master.future = append(master.future, ov)
			continue
		}
		if master.overrides == nil {
			master.overrides = map[int64]*override{}
		}
		master.overrides[k.at] = ov
	}
	for _, s := range cal.series {
		sort.Slice(s.future, func(i, j int) bool { return s.future[i].rid.Before(s.future[j].rid) })
	}
	cal.Warnings, cal.Skipped = raw.warnings, raw.skipped
	return cal, nil
}

func (e *vevent) series() *series {
	s := &series{uid: e.uid, summary: e.summary, start: e.start, dur: e.dur, rules: e.rules, rdates: e.rdates}
	sort.Slice(s.rdates, func(i, j int) bool { return s.rdates[i].start.Before(s.rdates[j].start) })
	if len(e.exdates) > 0 {
		s.exdates = make(map[int64]bool, len(e.exdates))
		for _, t := range e.exdates {
			s.exdates[t.Unix()] = true
		}
	}
	if len(e.exdays) > 0 {
		s.exdays = make(map[string]bool, len(e.exdays))
		for _, d := range e.exdays {
			s.exdays[d] = true
		}
	}
	return s
}

func sequence(rc *rawComponent) int {
	if p := rc.get("SEQUENCE"); p != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(p.value)); err == nil {
			return n
		}
	}
	return 0
}

func stamp(rc *rawComponent) time.Time {
	if p := rc.get("DTSTAMP"); p != nil {
		if t, err := parseDateTime(strings.TrimSpace(p.value), time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// readEvent reads one VEVENT.
func readEvent(rc *rawComponent, z *zoneResolver, defaultDuration time.Duration) (*vevent, *eventError) {
	ev := &vevent{line: rc.line, seq: sequence(rc), stamp: stamp(rc)}
	if u := rc.get("UID"); u != nil {
		ev.uid = strings.Clone(strings.TrimSpace(u.value))
	}
	fail := func(line int, format string, args ...any) (*vevent, *eventError) {
		return nil, &eventError{line: line, uid: ev.uid, msg: fmt.Sprintf(format, args...)}
	}
	if ev.uid == "" {
		ev.uid = fmt.Sprintf("line-%d", rc.line) // a UID-less event is its own series
	}
	ds := rc.get("DTSTART")
	if ds == nil {
		if len(rc.broken) > 0 {
			return fail(rc.broken[0], "no readable DTSTART (line %d is malformed)", rc.broken[0])
		}
		return fail(rc.line, "no DTSTART")
	}
	starts, err := z.times(ds)
	if err != nil || len(starts) != 1 {
		return fail(ds.line, "DTSTART: want one date or date-time (%v)", err)
	}
	ev.start = starts[0]
	ev.allDay = isDate(ds)
	switch de, du := rc.get("DTEND"), rc.get("DURATION"); {
	case de != nil:
		ends, err := z.times(de)
		if err != nil || len(ends) != 1 {
			return fail(de.line, "DTEND: want one date or date-time (%v)", err)
		}
		if ends[0].Before(ev.start) {
			return fail(de.line, "DTEND is before DTSTART")
		}
		if ev.allDay && isDate(de) {
			ev.dur = span{days: civilDays(ev.start, ends[0])}
		} else {
			ev.dur = span{exact: ends[0].Sub(ev.start)}
		}
	case du != nil:
		d, err := parseDuration8601(du.value)
		if err != nil {
			return fail(du.line, "DURATION: %v", err)
		}
		if d.days < 0 || d.exact < 0 {
			return fail(du.line, "DURATION is negative")
		}
		ev.dur = d
	case ev.allDay:
		ev.dur = span{days: 1}
	default:
		ev.dur = span{exact: defaultDuration}
	}
	for _, p := range rc.all("RRULE") {
		r, err := parseRule(p.value, ev.start.Location())
		if err != nil {
			return fail(p.line, "RRULE: %v", err)
		}
		if r == nil {
			return fail(p.line, "RRULE is empty")
		}
		if why := neverMatches(r, ev.start); why != "" {
			return fail(p.line, "RRULE %q can never match: %s", clip(strings.TrimSpace(p.value)), why)
		}
		ev.rules = append(ev.rules, r)
	}
	for _, p := range rc.all("RDATE") {
		rds, err := z.rdates(p)
		if err != nil {
			return fail(p.line, "RDATE: %v", err)
		}
		ev.rdates = append(ev.rdates, rds...)
	}
	for _, p := range rc.all("EXDATE") {
		if strings.TrimSpace(p.value) == "" {
			return fail(p.line, "EXDATE is empty")
		}
		ts, err := z.times(p)
		if err != nil {
			return fail(p.line, "EXDATE: %v", err)
		}
		if isDate(p) && !ev.allDay {
			// A date excludes that day's instance of a timed series.
			for _, t := range ts {
				ev.exdays = append(ev.exdays, t.Format(time.DateOnly))
			}
			continue
		}
		ev.exdates = append(ev.exdates, ts...)
	}
	if p := rc.get("RECURRENCE-ID"); p != nil {
		rid, err := z.times(p)
		if err != nil || len(rid) != 1 {
			return fail(p.line, "RECURRENCE-ID: want one date or date-time (%v)", err)
		}
		ev.rid = &rid[0]
		ev.thisAndFuture = strings.EqualFold(p.param("RANGE"), "THISANDFUTURE")
	}
	if p := rc.get("STATUS"); p != nil {
		ev.cancelled = strings.EqualFold(strings.TrimSpace(p.value), "CANCELLED")
	}
	return ev, nil
}

func isDate(p *contentLine) bool {
	if v := p.param("VALUE"); v != "" {
		return strings.EqualFold(v, "DATE")
	}
	v := strings.TrimSpace(p.value)
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	return len(v) == len("20060102")
}

// civilDays is the number of calendar days from a's date to b's.
func civilDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// zoneOf is the zone a property's local times are in: its TZID, else the
// calendar's floating zone.
func (z *zoneResolver) zoneOf(p *contentLine) (*time.Location, error) {
	if tzid := p.param("TZID"); tzid != "" {
		return z.location(tzid)
	}
	return z.floating, nil
}

// times reads a DATE or DATE-TIME property, which may list several values.
func (z *zoneResolver) times(p *contentLine) ([]time.Time, error) {
	loc, err := z.zoneOf(p)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, v := range strings.Split(p.value, ",") {
		v = strings.TrimSpace(v)
		if strings.Contains(v, "/") {
			return nil, fmt.Errorf("%q: a period is not allowed here", clip(v))
		}
		t, err := parseDateTime(v, loc)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// rdates reads an RDATE, whose values may be periods with their own length.
func (z *zoneResolver) rdates(p *contentLine) ([]rdate, error) {
	loc, err := z.zoneOf(p)
	if err != nil {
		return nil, err
	}
	var out []rdate
	for _, v := range strings.Split(p.value, ",") {
		v = strings.TrimSpace(v)
		first, second, period := strings.Cut(v, "/")
		start, err := parseDateTime(first, loc)
		if err != nil {
			return nil, err
		}
		r := rdate{start: start}
		if period {
			var d span
			if strings.HasPrefix(second, "P") || strings.HasPrefix(second, "+P") {
				if d, err = parseDuration8601(second); err != nil {
					return nil, err
				}
			} else {
				end, err := parseDateTime(second, loc)
				if err != nil {
					return nil, err
				}
				d = span{exact: end.Sub(start)}
			}
			if d.days < 0 || d.exact < 0 {
				return nil, fmt.Errorf("period %q ends before it starts", clip(v))
			}
			r.dur = &d
		}
		out = append(out, r)
	}
	return out, nil
}

// parseDuration8601 reads an RFC 5545 DURATION: [+-]P nW, or [+-]P nD T nH nM nS.
func parseDuration8601(v string) (span, error) {
	s := strings.TrimSpace(v)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return span{}, fmt.Errorf("%q is not a duration", clip(v))
	}
	s = s[1:]
	var d span
	inTime, any := false, false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return span{}, fmt.Errorf("%q is not a duration", clip(v))
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return span{}, fmt.Errorf("%q is not a duration", clip(v))
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		any = true
		switch {
		case unit == 'W' && !inTime:
			d.days += 7 * n
		case unit == 'D' && !inTime:
			d.days += n
		case unit == 'H' && inTime:
			d.exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			d.exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			d.exact += time.Duration(n) * time.Second
		default:
			return span{}, fmt.Errorf("%q is not a duration", clip(v))
		}
	}
	if !any {
		return span{}, fmt.Errorf("%q is not a duration", clip(v))
	}
	if neg {
		d.days, d.exact = -d.days, -d.exact
	}
	return d, nil
}

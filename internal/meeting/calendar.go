package meeting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// ErrTooMuchWork means a search needed more recurrence steps than a feed may cost.
var ErrTooMuchWork = errors.New("calendar needs too much work")

const (
	// horizon bounds the search for the next meeting; a group that has not met in
	// two years has no next meeting worth an issue.
	horizon = 2 * 366 * 24 * time.Hour
	// maxWork bounds the recurrence steps of one search over a whole feed, so a
	// dense or hostile feed costs a clear error instead of seconds of CPU.
	maxWork = 200_000
)

// Calendar is the set of meetings a group's calendar or schedule yields.
type Calendar struct {
	series []*series
	// Warnings name the lines and events that were skipped (at most a few
	// dozen); Skipped counts them all.
	Warnings []Warning
	Skipped  int
}

// span is a duration as RFC 5545 measures it: nominal days (which follow the
// wall clock across daylight saving) and then exact time.
type span struct {
	days  int
	exact time.Duration
}

func (d span) end(start time.Time) time.Time {
	if d.days != 0 {
		start = start.AddDate(0, 0, d.days)
	}
	return start.Add(d.exact)
}

// series is one recurring or one-off event with its exceptions and moved instances.
type series struct {
	uid, summary string
	start        time.Time // in the event's own zone, so rules follow its wall clock
	dur          span
	rules        []*rrule.ROption
	rdates       []rdate
	exdates      map[int64]bool
	exdays       map[string]bool // VALUE=DATE exclusions, as dates in start's zone
	// overrides are moved or cancelled instances, keyed by the original start.
	overrides map[int64]*override
	// future are RANGE=THISANDFUTURE overrides, by original start.
	future []*override
}

type rdate struct {
	start time.Time
	dur   *span // a PERIOD's own length
}

type override struct {
	rid, start time.Time
	dur        span
	summary    string
	cancelled  bool
}

// LoadCalendar builds the group's calendar: from ics when the group reads a
// calendar feed (the caller fetched it), else from its schedule.
func (g *Group) LoadCalendar(ics []byte) (*Calendar, error) {
	return g.LoadCalendarContext(context.Background(), ics)
}

// LoadCalendarContext is LoadCalendar that stops reading the feed when ctx ends.
func (g *Group) LoadCalendarContext(ctx context.Context, ics []byte) (*Calendar, error) {
	if g.Schedule != nil {
		s, err := newRuleSeries(*g.Schedule)
		if err != nil {
			return nil, fmt.Errorf("group %q: schedule: %w", g.ID, err)
		}
		s.dur = span{exact: g.Duration}
		s.summary, _ = g.MeetingTitle(s.start)
		return &Calendar{series: []*series{s}}, nil
	}
	if g.Calendar == nil {
		return nil, fmt.Errorf("group %q: neither calendar nor schedule is set", g.ID)
	}
	c, err := ParseICSContext(ctx, ics, g.Calendar.Filter, g.Duration)
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
	return &series{uid: "schedule", start: start, rules: []*rrule.ROption{rule}}, nil
}

// checkOrdinals refuses numbered weekdays RFC 5545 does not allow: only in a
// MONTHLY rule (1 to 5 either way) or a YEARLY one (1 to 53, or 1 to 5 with
// BYMONTH). rrule-go indexes its tables with them unchecked, so one out of
// range in a stranger's calendar would panic the expansion.
func checkOrdinals(opt *rrule.ROption) error {
	limit := 0
	switch {
	case opt.Freq == rrule.MONTHLY, opt.Freq == rrule.YEARLY && len(opt.Bymonth) > 0:
		limit = 5
	case opt.Freq == rrule.YEARLY:
		limit = 53
	}
	for _, d := range opt.Byweekday {
		if n := d.N(); n != 0 && (n > limit || n < -limit) {
			if limit == 0 {
				return fmt.Errorf("BYDAY=%s: a numbered weekday needs FREQ=MONTHLY or YEARLY", d)
			}
			return fmt.Errorf("BYDAY=%s: the number must be 1 to %d, or -1 to -%d", d, limit, limit)
		}
	}
	return nil
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
	if err := checkOrdinals(opt); err != nil {
		return nil, fmt.Errorf("%q: %v", text, err)
	}
	// Build once to surface invalid BY* values now rather than at expansion.
	probe := *opt
	probe.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, loc)
	if _, err := rrule.NewRRule(probe); err != nil {
		return nil, fmt.Errorf("%q: %v", text, err)
	}
	return opt, nil
}

package meeting

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/teambition/rrule-go"
)

// budget counts the recurrence steps one search may take over a whole feed,
// and the share of them the series being searched may still take.
type budget struct{ left, share int }

func newBudget() *budget { return &budget{left: maxWork, share: maxWork} }

// errSeriesOver means one series used up its share of a search's budget.
var errSeriesOver = errors.New("series over its share of the work")

func (b *budget) spend() error {
	if b.share <= 0 || b.left <= 0 {
		return errSeriesOver
	}
	b.share--
	b.left--
	return nil
}

// search runs one search over every series. Each series may take an equal
// share of what is left of the budget; a series that runs out is searched
// again, once the others are done, with an equal share of what they left, and
// is skipped if it runs out again. skipped lists those series.
func (c *Calendar) search(run func(s *series, b *budget) error) (skipped []*series, err error) {
	b := &budget{left: maxWork}
	var over []*series
	for i, s := range c.series {
		b.share = b.left / (len(c.series) - i)
		switch err := run(s, b); {
		case errors.Is(err, errSeriesOver):
			over = append(over, s)
		case err != nil:
			return nil, err
		}
	}
	for i, s := range over {
		b.share = b.left / (len(over) - i)
		switch err := run(s, b); {
		case errors.Is(err, errSeriesOver):
			skipped = append(skipped, s)
		case err != nil:
			return nil, err
		}
	}
	return skipped, nil
}

// skipWarnings name the series a search skipped. The search does not know
// their lines, so Line is 0.
func skipWarnings(skipped []*series) []Warning {
	var out []Warning
	for _, s := range skipped {
		out = append(out, Warning{Message: fmt.Sprintf("event %q skipped: it needs more than its share of %d recurrence steps; its rules are too dense", s.uid, maxWork)})
	}
	return out
}

// tooMuchWork is the error of a search that found nothing while skipping
// series that might have held a meeting.
func tooMuchWork(skipped []*series) error {
	return fmt.Errorf("%w: event %q needs more than its share of %d recurrence steps to find the meetings; its rules are too dense",
		ErrTooMuchWork, skipped[0].uid, maxWork)
}

// Next is the earliest meeting that has not ended at now: the one in progress,
// else the next to start. Each series is searched lazily from now, so the cost
// does not grow with the series' history. A series that needs more than its
// share of the search's work is left out (NextWithWarnings names it); only when
// no other series has a meeting does that fail the search, with ErrTooMuchWork.
func (c *Calendar) Next(now time.Time) (Occurrence, error) {
	o, _, err := c.NextWithWarnings(now)
	return o, err
}

// NextWithWarnings is Next that also names the series it skipped because they
// needed more than their share of the work; the answer leaves them out.
func (c *Calendar) NextWithWarnings(now time.Time) (Occurrence, []Warning, error) {
	var best *Occurrence
	skipped, err := c.search(func(s *series, b *budget) error {
		o, err := s.next(now, b)
		if err == nil && o != nil && (best == nil || o.Start.Before(best.Start) || o.Start.Equal(best.Start) && o.UID < best.UID) {
			best = o
		}
		return err
	})
	if err != nil {
		return Occurrence{}, nil, err
	}
	if best == nil {
		if len(skipped) > 0 {
			return Occurrence{}, nil, tooMuchWork(skipped)
		}
		return Occurrence{}, nil, ErrNoOccurrence
	}
	return *best, skipWarnings(skipped), nil
}

// Between lists the meetings that overlap [from, to), by start time.
func (c *Calendar) Between(from, to time.Time) ([]Occurrence, error) {
	var out []Occurrence
	skipped, err := c.search(func(s *series, b *budget) error {
		var mine []Occurrence
		err := s.each(from, to, b, func(o Occurrence) bool {
			if o.Start.Before(to) && o.End.After(from) {
				mine = append(mine, o)
			}
			return true
		})
		if err == nil {
			out = append(out, mine...)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && len(skipped) > 0 {
		return nil, tooMuchWork(skipped)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].UID < out[j].UID
	})
	return out, nil
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

// next is the series' earliest meeting whose end is after now, or nil.
func (s *series) next(now time.Time, b *budget) (*Occurrence, error) {
	var best *Occurrence
	err := s.each(now, now.Add(horizon), b, func(o Occurrence) bool {
		if !o.End.After(now) {
			return true
		}
		if best == nil || o.Start.Before(best.Start) {
			oc := o
			best = &oc
		}
		// Later instances can only start later, save for moved ones, which
		// each reports separately.
		return false
	})
	return best, err
}

// reach is how far before its original start an instance may begin or still
// run: the longest duration plus the largest backward move.
func (s *series) reach() time.Duration {
	longest := s.dur.end(s.start).Sub(s.start)
	for _, r := range s.rdates {
		if r.dur != nil {
			if d := r.dur.end(r.start).Sub(r.start); d > longest {
				longest = d
			}
		}
	}
	back := time.Duration(0)
	for _, f := range s.future {
		if d := f.dur.end(f.start).Sub(f.start); d > longest {
			longest = d
		}
		if d := f.rid.Sub(f.start); d > back {
			back = d
		}
	}
	return longest + back + 25*time.Hour // a day of slack for wall-clock days across DST
}

// each reports the series' meetings that may overlap [from, to): regular
// instances in order of their original start until yield says stop, then each
// moved instance. Instances are UTC.
func (s *series) each(from, to time.Time, b *budget, yield func(Occurrence) bool) error {
	reach := s.reach()
	var forward time.Duration // the largest forward move of a THISANDFUTURE range
	for _, f := range s.future {
		if d := f.start.Sub(f.rid); d > forward {
			forward = d
		}
	}
	// An instance moved forward by a range may start in [from, to) though its
	// original start lies a whole move before.
	err := s.instances(from.Add(-reach-forward), to.Add(reach), b, func(t time.Time, d *span) bool {
		if s.exdates[t.Unix()] || s.exdays[t.Format(time.DateOnly)] {
			return true
		}
		if _, moved := s.overrides[t.Unix()]; moved {
			return true
		}
		start, dur, summary := t, s.dur, s.summary
		if d != nil {
			dur = *d
		}
		if f := s.futureAt(t); f != nil {
			if f.cancelled {
				return true
			}
			start, dur, summary = t.Add(f.start.Sub(f.rid)), f.dur, f.summary
		}
		end := dur.end(start)
		if !end.After(from) || !start.Before(to) {
			return !start.After(to.Add(forward))
		}
		return yield(Occurrence{Start: start.UTC(), End: end.UTC(), UID: s.uid, Summary: summary})
	})
	if err != nil {
		return err
	}
	for _, o := range s.overrides {
		if o.cancelled {
			continue
		}
		end := o.dur.end(o.start)
		if !end.After(from) || !o.start.Before(to) {
			continue
		}
		// A RECURRENCE-ID that names no instance adds no meeting.
		real, err := s.isInstance(o.rid, b)
		if err != nil {
			return err
		}
		if real {
			yield(Occurrence{Start: o.start.UTC(), End: end.UTC(), UID: s.uid, Summary: o.summary})
		}
	}
	return nil
}

// futureAt is the THISANDFUTURE override in force at original start t.
func (s *series) futureAt(t time.Time) *override {
	var in *override
	for _, f := range s.future {
		if f.rid.After(t) {
			break
		}
		in = f
	}
	return in
}

// isInstance says whether t is an original start of the series.
func (s *series) isInstance(t time.Time, b *budget) (bool, error) {
	if t.Equal(s.start) {
		return true, nil
	}
	if i := s.rdateFrom(t); i < len(s.rdates) && s.rdates[i].start.Equal(t) {
		return true, nil
	}
	if len(s.rules) == 0 {
		return false, nil
	}
	found := false
	err := s.instances(t, t.Add(time.Second), b, func(x time.Time, _ *span) bool {
		found = x.Equal(t)
		return !found && x.Before(t)
	})
	return found, err
}

// rdateFrom is the index of the first RDATE at or after t.
func (s *series) rdateFrom(t time.Time) int {
	return sort.Search(len(s.rdates), func(i int) bool { return !s.rdates[i].start.Before(t) })
}

// instances reports the original starts (with an RDATE period's own length)
// from about from up to to, ascending and without repeats, merging every RRULE
// and RDATE. It may report a few starts before from. Every step of a rule and
// every RDATE passed is charged to b.
func (s *series) instances(from, to time.Time, b *budget, yield func(time.Time, *span) bool) error {
	if len(s.rules) == 0 && len(s.rdates) == 0 {
		if !s.start.After(to) {
			yield(s.start, nil)
		}
		return nil
	}
	type stream struct {
		next func() (time.Time, bool, error)
		head time.Time
		ok   bool
	}
	var streams []*stream
	for _, r := range s.rules {
		bounded := *r
		if bounded.Count == 0 && (bounded.Until.IsZero() || bounded.Until.After(to)) {
			bounded.Until = to // bounds rrule's own search as well as ours
		}
		if next := simpleIterator(&bounded, s.start, from); next != nil {
			streams = append(streams, &stream{next: func() (time.Time, bool, error) { return next(b) }})
			continue
		}
		opt := fastForward(bounded, s.start, from)
		rr, err := rrule.NewRRule(opt)
		if err != nil {
			return fmt.Errorf("event %q: RRULE: %v", s.uid, err)
		}
		it := rr.Iterator()
		streams = append(streams, &stream{next: func() (time.Time, bool, error) {
			if err := b.spend(); err != nil {
				return time.Time{}, false, err
			}
			t, ok := it()
			return t, ok, nil
		}})
	}
	// DTSTART is the first instance even when the rule would not yield it.
	startDone := false
	rd := s.rdateFrom(from)
	advance := func(st *stream) error {
		var err error
		st.head, st.ok, err = st.next()
		return err
	}
	for _, st := range streams {
		if err := advance(st); err != nil {
			return err
		}
	}
	var last time.Time
	for {
		var pick time.Time
		var dur *span
		have := false
		if !startDone {
			pick, have = s.start, true
		}
		for _, st := range streams {
			if st.ok && (!have || st.head.Before(pick)) {
				pick, have, dur = st.head, true, nil
			}
		}
		if rd < len(s.rdates) && (!have || !s.rdates[rd].start.After(pick)) {
			pick, have, dur = s.rdates[rd].start, true, s.rdates[rd].dur
		}
		if !have || pick.After(to) {
			return nil
		}
		// Consume every source standing at pick.
		if !startDone && s.start.Equal(pick) {
			startDone = true
		}
		for _, st := range streams {
			for st.ok && !st.head.After(pick) {
				if err := advance(st); err != nil {
					return err
				}
			}
		}
		for rd < len(s.rdates) && !s.rdates[rd].start.After(pick) {
			if err := b.spend(); err != nil {
				return err
			}
			if s.rdates[rd].start.Equal(pick) && s.rdates[rd].dur != nil {
				dur = s.rdates[rd].dur
			}
			rd++
		}
		if !last.IsZero() && pick.Equal(last) {
			continue
		}
		last = pick
		if !yield(pick, dur) {
			return nil
		}
	}
}

// fastForward moves a rule's DTSTART to the start of the last whole period
// (of the rule's interval) before target, so expansion starts near target
// instead of at the series' first instance. Values rrule derives from DTSTART
// are written out first so that the instances stay the same. Rules with COUNT
// must be expanded from their start.
func fastForward(opt rrule.ROption, dtstart, target time.Time) rrule.ROption {
	opt.Dtstart = dtstart
	if opt.Count > 0 || !target.After(dtstart) {
		return opt
	}
	interval := opt.Interval
	if interval <= 0 {
		interval = 1
	}
	loc := dtstart.Location()
	target = target.In(loc)
	y, m, d := dtstart.Date()
	days := civilDays(dtstart, target)
	var moved time.Time
	switch opt.Freq {
	case rrule.YEARLY:
		k := (target.Year() - y - 1) / interval
		if k <= 0 {
			return opt
		}
		moved = time.Date(y+k*interval, 1, 1, 0, 0, 0, 0, loc)
	case rrule.MONTHLY:
		months := (target.Year()-y)*12 + int(target.Month()-m) - 1
		k := months / interval
		if k <= 0 {
			return opt
		}
		moved = time.Date(y, m+time.Month(k*interval), 1, 0, 0, 0, 0, loc)
	case rrule.WEEKLY:
		k := (days/7 - 1) / interval
		if k <= 0 {
			return opt
		}
		back := (pyWeekday(dtstart.Weekday()) - weekdayIndex(opt.Wkst) + 7) % 7
		moved = time.Date(y, m, d-back+7*k*interval, 0, 0, 0, 0, loc)
	case rrule.DAILY:
		k := (days - 1) / interval
		if k <= 0 {
			return opt
		}
		moved = time.Date(y, m, d+k*interval, 0, 0, 0, 0, loc)
	case rrule.HOURLY:
		step := lcm(interval, 24) / 24 // whole days that are whole intervals
		kd := ((days - 1) / step) * step
		if kd <= 0 {
			return opt
		}
		moved = time.Date(y, m, d+kd, dtstart.Hour(), 0, 0, 0, loc)
	default:
		return opt
	}
	if len(opt.Byweekno) == 0 && len(opt.Byyearday) == 0 && len(opt.Bymonthday) == 0 &&
		len(opt.Byweekday) == 0 && len(opt.Byeaster) == 0 {
		switch opt.Freq {
		case rrule.YEARLY:
			if len(opt.Bymonth) == 0 {
				opt.Bymonth = []int{int(dtstart.Month())}
			}
			opt.Bymonthday = []int{dtstart.Day()}
		case rrule.MONTHLY:
			opt.Bymonthday = []int{dtstart.Day()}
		case rrule.WEEKLY:
			opt.Byweekday = []rrule.Weekday{weekdays[pyWeekday(dtstart.Weekday())]}
		}
	}
	if len(opt.Byhour) == 0 && opt.Freq < rrule.HOURLY {
		opt.Byhour = []int{dtstart.Hour()}
	}
	if len(opt.Byminute) == 0 {
		opt.Byminute = []int{dtstart.Minute()}
	}
	if len(opt.Bysecond) == 0 {
		opt.Bysecond = []int{dtstart.Second()}
	}
	opt.Dtstart = moved
	return opt
}

var weekdays = []rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}

// pyWeekday numbers days from Monday, as rrule does.
func pyWeekday(d time.Weekday) int { return (int(d) + 6) % 7 }

func weekdayIndex(w rrule.Weekday) int {
	for i, d := range weekdays {
		if d.Day() == w.Day() {
			return i
		}
	}
	return 0
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

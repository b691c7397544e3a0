package meeting

import (
	"fmt"
	"sort"
	"time"

	"github.com/teambition/rrule-go"
)

// budget counts the recurrence steps one search may take over a whole feed.
type budget struct{ left int }

func newBudget() *budget { return &budget{left: maxWork} }

func (b *budget) spend() error {
	b.left--
	if b.left < 0 {
		return fmt.Errorf("%w: more than %d recurrence steps to find the meetings; the feed's rules are too dense", ErrTooMuchWork, maxWork)
	}
	return nil
}

// Next is the earliest meeting that has not ended at now: the one in progress,
// else the next to start. Each series is searched lazily from now, so the cost
// does not grow with the series' history.
func (c *Calendar) Next(now time.Time) (Occurrence, error) {
	b := newBudget()
	var best *Occurrence
	for _, s := range c.series {
		o, err := s.next(now, b)
		if err != nil {
			return Occurrence{}, err
		}
		if o != nil && (best == nil || o.Start.Before(best.Start) || o.Start.Equal(best.Start) && o.UID < best.UID) {
			best = o
		}
	}
	if best == nil {
		return Occurrence{}, ErrNoOccurrence
	}
	return *best, nil
}

// Between lists the meetings that overlap [from, to), by start time.
func (c *Calendar) Between(from, to time.Time) ([]Occurrence, error) {
	b := newBudget()
	var out []Occurrence
	for _, s := range c.series {
		err := s.each(from, to, b, func(o Occurrence) bool {
			if o.Start.Before(to) && o.End.After(from) {
				out = append(out, o)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
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
	err := s.instances(from.Add(-reach), to.Add(reach), b, func(t time.Time, d *span) bool {
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
	found := false
	err := s.instances(t, t.Add(time.Second), b, func(x time.Time, _ *span) bool {
		found = x.Equal(t)
		return !found && x.Before(t)
	})
	return found, err
}

// instances reports the original starts (with an RDATE period's own length)
// from about from up to to, ascending and without repeats, merging every RRULE
// and RDATE. It may report a few starts before from.
func (s *series) instances(from, to time.Time, b *budget, yield func(time.Time, *span) bool) error {
	if len(s.rules) == 0 && len(s.rdates) == 0 {
		if !s.start.After(to) {
			yield(s.start, nil)
		}
		return nil
	}
	type stream struct {
		next func() (time.Time, bool)
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
			streams = append(streams, &stream{next: next})
			continue
		}
		opt := fastForward(bounded, s.start, from)
		rr, err := rrule.NewRRule(opt)
		if err != nil {
			return fmt.Errorf("event %q: RRULE: %v", s.uid, err)
		}
		st := &stream{next: rr.Iterator()}
		streams = append(streams, st)
	}
	// DTSTART is the first instance even when the rule would not yield it.
	startDone := false
	rd := 0
	advance := func(st *stream) error {
		if err := b.spend(); err != nil {
			return err
		}
		st.head, st.ok = st.next()
		return nil
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

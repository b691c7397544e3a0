package meeting

import (
	"sort"
	"time"

	"github.com/teambition/rrule-go"
)

// simpleIterator expands the rule shapes meeting calendars use most (DAILY,
// WEEKLY on plain weekdays, MONTHLY on a day of the month or on the nth
// weekday) by date arithmetic, starting one period before from, at a fraction
// of rrule's cost per series. Every other shape returns nil and rrule expands
// it; the fuzz test holds both to the same instances.
func simpleIterator(r *rrule.ROption, dtstart, from time.Time) func() (time.Time, bool) {
	if r.Count > 0 || len(r.Bysetpos) > 0 || len(r.Bymonth) > 0 || len(r.Byyearday) > 0 || len(r.Byweekno) > 0 ||
		len(r.Byhour) > 0 || len(r.Byminute) > 0 || len(r.Bysecond) > 0 || len(r.Byeaster) > 0 {
		return nil
	}
	interval := r.Interval
	if interval <= 0 {
		interval = 1
	}
	loc := dtstart.Location()
	dtstart = dtstart.Truncate(time.Second)
	y, m, d := dtstart.Date()
	hh, mm, ss := dtstart.Clock()
	at := func(yy int, mo time.Month, dd int) time.Time { return time.Date(yy, mo, dd, hh, mm, ss, 0, loc) }
	days := 0
	if from.After(dtstart) {
		days = civilDays(dtstart, from.In(loc))
	}

	// periodDates lists the dates of period k in order.
	var periodDates func(k int) []time.Time
	var first int
	switch r.Freq {
	case rrule.DAILY:
		if len(r.Bymonthday) > 0 || len(r.Byweekday) > 0 {
			return nil
		}
		first = max(0, (days-1)/interval)
		periodDates = func(k int) []time.Time { return []time.Time{at(y, m, d+k*interval)} }
	case rrule.WEEKLY:
		if len(r.Bymonthday) > 0 {
			return nil
		}
		offsets := weekOffsets(r, dtstart)
		if offsets == nil {
			return nil
		}
		weekStart := d - (pyWeekday(dtstart.Weekday())-weekdayIndex(r.Wkst)+7)%7
		first = max(0, (days/7-1)/interval)
		periodDates = func(k int) []time.Time {
			out := make([]time.Time, 0, len(offsets))
			for _, off := range offsets {
				out = append(out, at(y, m, weekStart+7*k*interval+off))
			}
			return out
		}
	case rrule.MONTHLY:
		if len(r.Bymonthday) > 0 && len(r.Byweekday) > 0 {
			return nil
		}
		months := 0
		if from.After(dtstart) {
			f := from.In(loc)
			months = (f.Year()-y)*12 + int(f.Month()-m)
		}
		first = max(0, (months-1)/interval)
		monthDays := r.Bymonthday
		if len(monthDays) == 0 && len(r.Byweekday) == 0 {
			monthDays = []int{d}
		}
		periodDates = func(k int) []time.Time {
			start := time.Date(y, m+time.Month(k*interval), 1, 0, 0, 0, 0, time.UTC)
			n := daysIn(start)
			var dates []int
			for _, md := range monthDays {
				switch {
				case md > 0 && md <= n:
					dates = append(dates, md)
				case md < 0 && -md <= n:
					dates = append(dates, n+md+1)
				}
			}
			for _, wd := range r.Byweekday {
				dates = append(dates, nthWeekdays(start, n, wd)...)
			}
			sort.Ints(dates)
			out := make([]time.Time, 0, len(dates))
			for i, dd := range dates {
				if i == 0 || dd != dates[i-1] {
					out = append(out, at(start.Year(), start.Month(), dd))
				}
			}
			return out
		}
	default:
		return nil
	}

	k := first
	var pending []time.Time
	done := false
	return func() (time.Time, bool) {
		for !done {
			if len(pending) == 0 {
				if k-first > maxWork { // a rule that never matches
					done = true
					break
				}
				pending = periodDates(k)
				k++
				continue
			}
			t := pending[0]
			pending = pending[1:]
			if !r.Until.IsZero() && t.After(r.Until) {
				done = true
				break
			}
			if !t.Before(dtstart) {
				return t, true
			}
		}
		return time.Time{}, false
	}
}

// weekOffsets are the days after the week's start (per WKST) a WEEKLY rule
// meets on, in order; nil when BYDAY carries ordinals.
func weekOffsets(r *rrule.ROption, dtstart time.Time) []int {
	wkst := weekdayIndex(r.Wkst)
	days := []int{pyWeekday(dtstart.Weekday())}
	if len(r.Byweekday) > 0 {
		days = days[:0]
		for _, wd := range r.Byweekday {
			if wd.N() != 0 {
				return nil
			}
			days = append(days, wd.Day())
		}
	}
	seen := map[int]bool{}
	var out []int
	for _, wd := range days {
		off := (wd - wkst + 7) % 7
		if !seen[off] {
			seen[off] = true
			out = append(out, off)
		}
	}
	sort.Ints(out)
	return out
}

// nthWeekdays are the days of the month starting at start (n days long) that
// wd names: its nth (from the end when negative) such weekday, or every one.
func nthWeekdays(start time.Time, n int, wd rrule.Weekday) []int {
	firstDay := 1 + (wd.Day()-pyWeekday(start.Weekday())+7)%7
	var all []int
	for dd := firstDay; dd <= n; dd += 7 {
		all = append(all, dd)
	}
	switch nth := wd.N(); {
	case nth == 0:
		return all
	case nth > 0 && nth <= len(all):
		return []int{all[nth-1]}
	case nth < 0 && -nth <= len(all):
		return []int{all[len(all)+nth]}
	}
	return nil
}

// daysIn is the length of the month that starts at start.
func daysIn(start time.Time) int {
	return time.Date(start.Year(), start.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

package meeting

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/teambition/rrule-go"
)

// simpleIterator expands the rule shapes meeting calendars use most (DAILY,
// WEEKLY on plain weekdays, MONTHLY on a day of the month or on the nth
// weekday) by date arithmetic, starting one period before from, at a fraction
// of rrule's cost per series. Each period and each instance is charged to the
// budget the iterator is called with. Every other shape returns nil and rrule expands
// it; the fuzz test holds both to the same instances.
func simpleIterator(r *rrule.ROption, dtstart, from time.Time) func(*budget) (time.Time, bool, error) {
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

	// periodDates lists the dates of period k in order; none is before
	// periodStart(k).
	var periodDates func(k int) []time.Time
	var periodStart func(k int) time.Time
	var first int
	switch r.Freq {
	case rrule.DAILY:
		if len(r.Bymonthday) > 0 || len(r.Byweekday) > 0 {
			return nil
		}
		first = max(0, (days-1)/interval)
		periodDates = func(k int) []time.Time { return []time.Time{at(y, m, d+k*interval)} }
		periodStart = func(k int) time.Time { return at(y, m, d+k*interval) }
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
		periodStart = func(k int) time.Time { return at(y, m, weekStart+7*k*interval) }
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
		periodStart = func(k int) time.Time { return at(y, m+time.Month(k*interval), 1) }
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
	return func(b *budget) (time.Time, bool, error) {
		for !done {
			if len(pending) == 0 {
				// Every period is charged, so a rule that rarely or never
				// matches costs its share of the budget and no more.
				if !r.Until.IsZero() && periodStart(k).After(r.Until) {
					done = true
					break
				}
				if err := b.spend(); err != nil {
					return time.Time{}, false, err
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
				if err := b.spend(); err != nil {
					return time.Time{}, false, err
				}
				return t, true, nil
			}
		}
		return time.Time{}, false, nil
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

// neverMatches says why a rule can produce no instance from dtstart, or ""
// when it may. It is conservative: a rule it passes may still be rare, but
// one it names has no date at all to offer, and rrule, which checks UNTIL and
// COUNT only against dates it produced, would search to the year 9999 for one.
func neverMatches(r *rrule.ROption, dtstart time.Time) string {
	interval := max(r.Interval, 1)
	monthDays, weekDays := r.Bymonthday, r.Byweekday
	months := map[int]bool{}
	for mo := 1; mo <= 12; mo++ {
		months[mo] = true
	}
	if r.Freq == rrule.MONTHLY {
		// The months a MONTHLY rule visits repeat every 12/gcd(INTERVAL, 12).
		clear(months)
		for j := 0; j < 12; j++ {
			months[(int(dtstart.Month())-1+j*interval)%12+1] = true
		}
	}
	if len(r.Byweekno) == 0 && len(r.Byyearday) == 0 && len(monthDays) == 0 && len(weekDays) == 0 && len(r.Byeaster) == 0 {
		// As rrule does: a rule without days keeps DTSTART's.
		switch r.Freq {
		case rrule.YEARLY:
			monthDays = []int{dtstart.Day()}
			if len(r.Bymonth) == 0 {
				clear(months)
				months[int(dtstart.Month())] = true
			}
		case rrule.MONTHLY:
			monthDays = []int{dtstart.Day()}
		}
	}
	if len(r.Bymonth) > 0 {
		keep := map[int]bool{}
		for _, mo := range r.Bymonth {
			keep[mo] = months[mo]
		}
		months = keep
	}
	if len(r.Byeaster) == 0 && !someDay(months, monthDays, r.Byyearday, r.Byweekno) {
		return "no day of any year is in all of its BYMONTH, BYMONTHDAY, BYYEARDAY and BYWEEKNO"
	}
	// Steps of whole weeks keep DTSTART's weekday; of whole days, its hour.
	if (r.Freq == rrule.DAILY && interval%7 == 0 || r.Freq == rrule.HOURLY && interval%(7*24) == 0) && len(weekDays) > 0 {
		found := false
		for _, wd := range weekDays {
			found = found || wd.Day() == pyWeekday(dtstart.Weekday())
		}
		if !found {
			return fmt.Sprintf("INTERVAL=%d from a %s never lands on its BYDAY", interval, dtstart.Weekday())
		}
	}
	if r.Freq == rrule.HOURLY && interval%24 == 0 && len(r.Byhour) > 0 && !slices.Contains(r.Byhour, dtstart.Hour()) {
		return fmt.Sprintf("INTERVAL=%d from %02d:00 never lands on its BYHOUR", interval, dtstart.Hour())
	}
	return ""
}

// someDay says whether a day of a common or a leap year is in one of months
// and matches the month days, year days and week numbers given (each ignored
// when empty). Week numbers are taken loosely: week n may start three days
// either side of day 7(n-1), and the first and last week of the year may
// reach into the next and the previous one. Only the days the year days or
// week numbers name are tried, so the cost stays small for any rule.
func someDay(months map[int]bool, monthDays, yearDays, weekNos []int) bool {
	for _, length := range []int{365, 366} {
		lengths := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
		if length == 366 {
			lengths[2] = 29
		}
		matches := func(idx int) bool {
			if idx < 0 || idx >= length {
				return false
			}
			mo, md := 1, idx+1
			for md > lengths[mo] {
				md -= lengths[mo]
				mo++
			}
			return months[mo] &&
				(len(monthDays) == 0 || slices.Contains(monthDays, md) || slices.Contains(monthDays, md-lengths[mo]-1)) &&
				(len(yearDays) == 0 || slices.Contains(yearDays, idx+1) || slices.Contains(yearDays, idx-length)) &&
				(len(weekNos) == 0 || inSomeWeek(idx, length, weekNos))
		}
		switch {
		case len(yearDays) > 0:
			for _, yd := range yearDays {
				if yd > 0 && matches(yd-1) || yd < 0 && matches(length+yd) {
					return true
				}
			}
		case len(weekNos) > 0:
			for _, n := range weekNos {
				for _, weeks := range []int{52, 53} {
					w := n
					if w < 0 {
						w += weeks + 1
					}
					for idx := 7*w - 10; idx <= 7*w+2; idx++ {
						if matches(idx) {
							return true
						}
					}
				}
				for idx := 0; idx < 7; idx++ {
					if matches(idx) || matches(length-1-idx) {
						return true
					}
				}
			}
		default:
			for mo := 1; mo <= 12; mo++ {
				if !months[mo] {
					continue
				}
				if len(monthDays) == 0 {
					return true
				}
				for _, md := range monthDays {
					if md > 0 && md <= lengths[mo] || md < 0 && -md <= lengths[mo] {
						return true
					}
				}
			}
		}
	}
	return false
}

// inSomeWeek says whether day idx (from 0) of a year of length days may lie in
// one of the weeks numbered.
func inSomeWeek(idx, length int, weekNos []int) bool {
	for _, n := range weekNos {
		for _, weeks := range []int{52, 53} {
			w := n
			if w < 0 {
				w += weeks + 1
			}
			if w >= 1 && w <= weeks && idx >= 7*w-10 && idx <= 7*w+2 {
				return true
			}
		}
		if idx <= 6 && (n >= 52 || n == -1) || idx >= length-7 && (n == 1 || n <= -52) {
			return true
		}
	}
	return false
}

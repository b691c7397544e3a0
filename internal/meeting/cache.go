package meeting

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// CalendarCache keeps each group's parsed calendar until its feed's content
// changes, so a sync pass and the commands between passes parse a feed once.
// A Calendar is read-only once built, so callers may share it.
type CalendarCache struct {
	mu      sync.Mutex
	entries map[calendarKey]cachedCalendar
}

type calendarKey struct {
	group, filter string
	duration      time.Duration
}

type cachedCalendar struct {
	sum [sha256.Size]byte
	cal *Calendar
}

// Load returns g's calendar for the feed ics, parsing it only when the feed or
// the group's filter changed since the last call; fresh says it was parsed now.
// Schedules are cheap and not cached.
func (c *CalendarCache) Load(ctx context.Context, g *Group, ics []byte) (cal *Calendar, fresh bool, err error) {
	if g.Calendar == nil {
		cal, err = g.LoadCalendarContext(ctx, ics)
		return cal, true, err
	}
	key := calendarKey{group: g.ID, filter: g.Calendar.Filter, duration: g.Duration}
	sum := sha256.Sum256(ics)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.sum == sum {
		return e.cal, false, nil
	}
	cal, err = g.LoadCalendarContext(ctx, ics)
	if err != nil {
		return nil, true, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[calendarKey]cachedCalendar{}
	}
	c.entries[key] = cachedCalendar{sum: sum, cal: cal}
	c.mu.Unlock()
	return cal, true, nil
}

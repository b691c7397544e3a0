package meeting

import (
	"errors"
	"fmt"
	"net/url"
	"time"
	_ "time/tzdata" // the container carries no zone database
)

// loadZone loads an IANA zone; "Local" is refused because it depends on the host.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, errors.New("missing zone name")
	}
	if name == "Local" {
		return nil, errors.New(`"Local" depends on the host; name an IANA zone`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown zone %q", name)
	}
	return loc, nil
}

// ZoneTime is one row of an occurrence's time table.
type ZoneTime struct {
	Label, Zone string
	// Local reads like "Thu 19-Mar-2026 07:00 (07:00 AM)".
	Local string
}

// FormatTime is the WG's way of writing a meeting time: "Thu 19-Mar-2026 14:00 (02:00 PM)".
func FormatTime(t time.Time) string {
	return t.Format("Mon 02-Jan-2006 15:04 (03:04 PM)")
}

// ZoneTimes is the time table of start in each zone, in the configured order.
func ZoneTimes(start time.Time, zones []Zone) ([]ZoneTime, error) {
	out := make([]ZoneTime, 0, len(zones))
	for _, z := range zones {
		loc, err := loadZone(z.Zone)
		if err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.Label, err)
		}
		out = append(out, ZoneTime{Label: z.Label, Zone: z.Zone, Local: FormatTime(start.In(loc))})
	}
	return out, nil
}

// TimeAndDateURL is a timeanddate.com page showing start in the reader's own zone.
func TimeAndDateURL(title string, start time.Time) string {
	q := "msg=" + url.QueryEscape(title) + "&iso=" + start.UTC().Format("20060102T150405")
	return "https://www.timeanddate.com/worldclock/fixedtime.html?" + q
}

// WolframAlphaURL is a Wolfram|Alpha query converting start to the reader's local time.
func WolframAlphaURL(start time.Time) string {
	u := start.UTC()
	return "https://www.wolframalpha.com/input/?i=" +
		url.QueryEscape(u.Format("03:04 PM")+" UTC, "+u.Format("Jan 2, 2006")+" in local time")
}

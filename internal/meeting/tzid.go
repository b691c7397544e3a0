package meeting

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teambition/rrule-go"
)

var ianaByFold = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(ianaZoneNames)+len(windowsZoneNames))
	for _, n := range ianaZoneNames {
		m[strings.ToLower(n)] = n
	}
	return m
})

var windowsByFold = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(windowsZoneNames))
	for k, v := range windowsZoneNames {
		m[strings.ToLower(k)] = v
	}
	return m
})

// ianaSuffix finds an IANA name at the end of a prefixed TZID, as in
// /mozilla.org/20070129_1/Europe/Berlin or /citadel.org/20190914_1/Europe/Paris.
var ianaSuffix = regexp.MustCompile(`([A-Za-z][A-Za-z_-]+(?:/[A-Za-z0-9_+-]+){1,2})$`)

// ianaZone resolves an IANA name ignoring case and a stray leading '/'.
func ianaZone(tzid string) (*time.Location, bool) {
	name := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(tzid), "/"))
	if name == "" {
		return nil, false
	}
	if n, ok := ianaByFold()[strings.ToLower(name)]; ok {
		loc, err := loadIANA(n)
		return loc, err == nil
	}
	if m := ianaSuffix.FindString(name); m != "" && m != name {
		if n, ok := ianaByFold()[strings.ToLower(m)]; ok {
			loc, err := loadIANA(n)
			return loc, err == nil
		}
	}
	return nil, false
}

// windowsZone resolves a Windows zone name ("W. Europe Standard Time") through
// CLDR's windowsZones table.
func windowsZone(tzid string) (*time.Location, bool) {
	n, ok := windowsByFold()[strings.ToLower(strings.TrimSpace(tzid))]
	if !ok {
		return nil, false
	}
	loc, err := loadIANA(n)
	return loc, err == nil
}

var ianaCache sync.Map // name → *time.Location

// loadIANA loads a zone from the embedded database once per process.
func loadIANA(name string) (*time.Location, error) {
	if loc, ok := ianaCache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	ianaCache.Store(name, loc)
	return loc, nil
}

// zoneResolver turns TZID parameters into locations, once per name: an IANA
// name first (IANA's rules stay right where a file's own are truncated or
// stale), then a Windows name, then the file's VTIMEZONE.
type zoneResolver struct {
	floating *time.Location
	defs     map[string]*rawComponent
	cache    map[string]*time.Location
	errs     map[string]error
}

func newZoneResolver(f *rawFeed) *zoneResolver {
	z := &zoneResolver{floating: time.UTC, defs: map[string]*rawComponent{}, cache: map[string]*time.Location{}, errs: map[string]error{}}
	for i := range f.props {
		if f.props[i].name == "X-WR-TIMEZONE" {
			if loc, err := z.location(f.props[i].value); err == nil {
				z.floating = loc
			}
		}
	}
	for _, c := range f.timezones {
		if id := c.get("TZID"); id != nil {
			if _, dup := z.defs[id.value]; !dup {
				z.defs[id.value] = c
			}
		}
	}
	return z
}

func (z *zoneResolver) location(tzid string) (*time.Location, error) {
	if loc, ok := z.cache[tzid]; ok {
		return loc, nil
	}
	if err, ok := z.errs[tzid]; ok {
		return nil, err
	}
	loc, err := z.resolve(tzid)
	if err != nil {
		z.errs[tzid] = err
		return nil, err
	}
	z.cache[tzid] = loc
	return loc, nil
}

func (z *zoneResolver) resolve(tzid string) (*time.Location, error) {
	if loc, ok := ianaZone(tzid); ok {
		return loc, nil
	}
	if loc, ok := windowsZone(tzid); ok {
		return loc, nil
	}
	def := z.defs[tzid]
	if def == nil {
		return nil, fmt.Errorf("unknown TZID %q: not an IANA or Windows zone, and the file has no VTIMEZONE for it", tzid)
	}
	if l := def.get("X-LIC-LOCATION"); l != nil {
		if loc, ok := ianaZone(l.value); ok {
			return loc, nil
		}
	}
	loc, err := vtimezoneLocation(tzid, def)
	if err != nil {
		return nil, fmt.Errorf("TZID %q: VTIMEZONE at line %d: %w", tzid, def.line, err)
	}
	return loc, nil
}

const (
	// vtimezoneUntil is how far a VTIMEZONE's rules are expanded.
	vtimezoneUntil = 2100
	// maxTransitions bounds one VTIMEZONE's expansion.
	maxTransitions = 4000
)

type transition struct {
	at   int64
	kind int
}

type zoneKind struct {
	offset int
	dst    bool
	abbr   string
}

// vtimezoneLocation builds a location from a VTIMEZONE's STANDARD and DAYLIGHT
// rules: their onsets (DTSTART, RRULE, RDATE) become the transitions of a TZif
// description that the time package loads.
func vtimezoneLocation(tzid string, def *rawComponent) (*time.Location, error) {
	var kinds []zoneKind
	var trans []transition
	end := time.Date(vtimezoneUntil, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range def.children {
		from, err := utcOffset(c.get("TZOFFSETFROM"))
		if err != nil {
			return nil, fmt.Errorf("%s at line %d: TZOFFSETFROM: %w", c.name, c.line, err)
		}
		to, err := utcOffset(c.get("TZOFFSETTO"))
		if err != nil {
			return nil, fmt.Errorf("%s at line %d: TZOFFSETTO: %w", c.name, c.line, err)
		}
		abbr := ""
		if n := c.get("TZNAME"); n != nil {
			abbr = n.value
		}
		k := zoneKind{offset: to, dst: c.name == "DAYLIGHT", abbr: abbr}
		idx := -1
		for i, have := range kinds {
			if have == k {
				idx = i
			}
		}
		if idx < 0 {
			kinds = append(kinds, k)
			idx = len(kinds) - 1
		}
		// Onsets are local times in the offset in force before them.
		before := time.FixedZone("", from)
		ds := c.get("DTSTART")
		if ds == nil {
			return nil, fmt.Errorf("%s at line %d: no DTSTART", c.name, c.line)
		}
		onset, err := parseDateTime(ds.value, before)
		if err != nil {
			return nil, fmt.Errorf("%s at line %d: DTSTART: %w", c.name, c.line, err)
		}
		trans = append(trans, transition{onset.Unix(), idx})
		if r := c.get("RRULE"); r != nil {
			opt, err := rrule.StrToROptionInLocation(strings.TrimPrefix(r.value, "RRULE:"), time.UTC)
			if err != nil {
				return nil, fmt.Errorf("%s at line %d: RRULE: %v", c.name, r.line, err)
			}
			if opt.Freq != rrule.YEARLY && opt.Freq != rrule.MONTHLY {
				return nil, fmt.Errorf("%s at line %d: RRULE: offsets change at most monthly", c.name, r.line)
			}
			// Expand in wall time, then apply the offset before the onset.
			opt.Dtstart = time.Date(onset.Year(), onset.Month(), onset.Day(), onset.Hour(), onset.Minute(), onset.Second(), 0, time.UTC)
			if !opt.Until.IsZero() {
				opt.Until = opt.Until.Add(time.Duration(from) * time.Second)
			}
			if opt.Count == 0 && (opt.Until.IsZero() || opt.Until.After(end)) {
				opt.Until = end
			}
			rr, err := rrule.NewRRule(*opt)
			if err != nil {
				return nil, fmt.Errorf("%s at line %d: RRULE: %v", c.name, r.line, err)
			}
			next := rr.Iterator()
			for {
				t, ok := next()
				if !ok || t.After(end) {
					break
				}
				if len(trans) > maxTransitions {
					return nil, fmt.Errorf("more than %d transitions", maxTransitions)
				}
				trans = append(trans, transition{t.Unix() - int64(from), idx})
			}
		}
		for _, rd := range c.all("RDATE") {
			for _, v := range strings.Split(rd.value, ",") {
				t, err := parseDateTime(strings.TrimSpace(v), before)
				if err != nil {
					return nil, fmt.Errorf("%s at line %d: RDATE: %w", c.name, rd.line, err)
				}
				trans = append(trans, transition{t.Unix(), idx})
			}
		}
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no STANDARD or DAYLIGHT rules")
	}
	sort.SliceStable(trans, func(i, j int) bool { return trans[i].at < trans[j].at })
	// Before its first onset a zone keeps its first standard offset.
	first := 0
	for i, k := range kinds {
		if !k.dst {
			first = i
			break
		}
	}
	if first != 0 {
		kinds[0], kinds[first] = kinds[first], kinds[0]
		for i := range trans {
			switch trans[i].kind {
			case 0:
				trans[i].kind = first
			case first:
				trans[i].kind = 0
			}
		}
	}
	return time.LoadLocationFromTZData(tzid, tzif(kinds, trans))
}

// tzif encodes a version 2 TZif file (RFC 8536) with an empty 32-bit block.
func tzif(kinds []zoneKind, trans []transition) []byte {
	var abbrs bytes.Buffer
	abbrIdx := make([]int, len(kinds))
	for i, k := range kinds {
		abbrIdx[i] = abbrs.Len()
		a := k.abbr
		if a == "" || len(a) > 16 {
			a = "LMT"
		}
		abbrs.WriteString(a)
		abbrs.WriteByte(0)
	}
	var b bytes.Buffer
	header := func(timecnt, typecnt, charcnt int) {
		b.WriteString("TZif2")
		b.Write(make([]byte, 15))
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			_ = binary.Write(&b, binary.BigEndian, uint32(n))
		}
	}
	header(0, 0, 0)
	header(len(trans), len(kinds), abbrs.Len())
	for _, t := range trans {
		_ = binary.Write(&b, binary.BigEndian, t.at)
	}
	for _, t := range trans {
		b.WriteByte(byte(t.kind))
	}
	for i, k := range kinds {
		_ = binary.Write(&b, binary.BigEndian, int32(k.offset))
		if k.dst {
			b.WriteByte(1)
		} else {
			b.WriteByte(0)
		}
		b.WriteByte(byte(abbrIdx[i]))
	}
	b.Write(abbrs.Bytes())
	b.WriteString("\n\n")
	return b.Bytes()
}

// utcOffset reads a UTC-OFFSET value: +hhmm, -hhmm or ±hhmmss.
func utcOffset(l *contentLine) (int, error) {
	if l == nil {
		return 0, fmt.Errorf("missing")
	}
	v := strings.TrimSpace(l.value)
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		return 0, fmt.Errorf("want ±hhmm, got %q", v)
	}
	n, err := strconv.Atoi(v[1:])
	if err != nil {
		return 0, fmt.Errorf("want ±hhmm, got %q", v)
	}
	secs := 0
	if len(v) == 7 {
		secs, n = n%100, n/100
	}
	h, m := n/100, n%100
	if h > 23 || m > 59 || secs > 59 {
		return 0, fmt.Errorf("want ±hhmm, got %q", v)
	}
	off := h*3600 + m*60 + secs
	if v[0] == '-' {
		off = -off
	}
	return off, nil
}

// parseDateTime reads a DATE or DATE-TIME value in loc (UTC when it ends in Z).
func parseDateTime(v string, loc *time.Location) (time.Time, error) {
	switch {
	case len(v) == len("20060102T150405Z") && (v[15] == 'Z' || v[15] == 'z'):
		return time.Parse("20060102T150405", v[:15])
	case len(v) == len("20060102T150405"):
		return time.ParseInLocation("20060102T150405", v, loc)
	case len(v) == len("20060102"):
		return time.ParseInLocation("20060102", v, loc)
	}
	return time.Time{}, fmt.Errorf("%q is not a date or date-time", clip(v))
}

package meeting

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Limits on what one feed may hold; the fetcher caps the bytes.
const (
	// maxNesting bounds component depth; real feeds nest three deep
	// (VCALENDAR › VEVENT › VALARM).
	maxNesting = 8
	// maxLineBytes bounds one unfolded content line.
	maxLineBytes = 256 << 10
	// maxWarnings bounds the warnings kept; the count goes on.
	maxWarnings = 50
)

// contentLine is one unfolded iCalendar line (RFC 5545 §3.1).
type contentLine struct {
	line   int // where it starts in the file, from 1
	name   string
	params map[string][]string
	value  string
}

func (l *contentLine) param(name string) string {
	if v := l.params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// rawComponent is a component as read: its own lines, and the children a
// caller asked to keep (time zone rules).
type rawComponent struct {
	name     string
	line     int
	props    []contentLine
	children []*rawComponent
	// broken names the lines of this component that could not be read.
	broken []int
	// matched is set once matches has read the event's text into summary,
	// match and might.
	matched      bool
	summary      string
	match, might bool
}

func (c *rawComponent) get(name string) *contentLine {
	for i := range c.props {
		if c.props[i].name == name {
			return &c.props[i]
		}
	}
	return nil
}

func (c *rawComponent) all(name string) []*contentLine {
	var out []*contentLine
	for i := range c.props {
		if c.props[i].name == name {
			out = append(out, &c.props[i])
		}
	}
	return out
}

// Warning is something in a feed that was skipped rather than trusted.
type Warning struct {
	Line    int
	Message string
}

func (w Warning) String() string { return fmt.Sprintf("line %d: %s", w.Line, w.Message) }

// rawFeed is a feed split into what the calendar reads.
type rawFeed struct {
	props     []contentLine // VCALENDAR's own
	events    []*rawComponent
	timezones []*rawComponent
	warnings  []Warning
	skipped   int

	// filter is the group's filter, lower-cased: events outside it are not
	// kept, only remembered as rivals (a newer copy renamed away from the
	// filter takes its series with it).
	filter string
	rivals map[string]*vevent
	// unclosed is the first event the filter might want whose END never came.
	unclosed *eventError
}

func (f *rawFeed) warn(line int, format string, args ...any) {
	f.skipped++
	if len(f.warnings) < maxWarnings { // formatting every warning of a hostile feed would cost more than reading it
		f.warnings = append(f.warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
	}
}

// scanFeed splits data into content lines and components. A line that cannot
// be read is skipped with a warning; only a file that is no iCalendar at all is
// an error. Memory stays proportional to the events kept.
func scanFeed(ctx context.Context, data []byte, filter string) (*rawFeed, error) {
	text := string(data)
	text = strings.TrimPrefix(text, "\ufeff")
	f := &rawFeed{filter: strings.ToLower(filter), rivals: map[string]*vevent{}}
	var stack []*rawComponent
	var sawCalendar bool
	lineNo := 0
	var folded strings.Builder
	for pos := 0; pos < len(text); {
		if lineNo&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("reading the feed at line %d: %w", lineNo+1, err)
			}
		}
		// One logical line: a physical line and its continuations.
		start := lineNo + 1
		phys, next := physicalLine(text, pos)
		lineNo++
		pos = next
		logical := phys
		tooLong := false
		if pos < len(text) && (text[pos] == ' ' || text[pos] == '\t') {
			folded.Reset()
			folded.WriteString(phys)
			for pos < len(text) && (text[pos] == ' ' || text[pos] == '\t') {
				cont, n := physicalLine(text, pos)
				lineNo++
				pos = n
				if folded.Len()+len(cont) > maxLineBytes {
					tooLong = true
					continue
				}
				folded.WriteString(cont[1:])
			}
			logical = folded.String()
		}
		if strings.TrimSpace(logical) == "" {
			continue
		}
		if tooLong || len(logical) > maxLineBytes {
			f.warn(start, "content line longer than %d bytes skipped", maxLineBytes)
			markBroken(stack, start)
			continue
		}
		var keep func(string) bool
		if len(stack) > 0 {
			top := stack[len(stack)-1].name
			keep = func(name string) bool { return keepProp(top, name) }
		}
		cl, err := parseContentLine(logical, keep)
		if err != nil {
			f.warn(start, "%v", err)
			markBroken(stack, start)
			continue
		}
		cl.line = start
		switch cl.name {
		case "BEGIN":
			name := strings.ToUpper(strings.TrimSpace(cl.value))
			if len(stack) == 0 && name != "VCALENDAR" {
				if !sawCalendar {
					return nil, fmt.Errorf("line %d: want BEGIN:VCALENDAR, got BEGIN:%s", start, name)
				}
				f.warn(start, "BEGIN:%s outside VCALENDAR skipped", name)
				continue
			}
			// A component opened again before it closed (VEVENT inside VEVENT)
			// means the first one was never closed.
			for i := range stack {
				if i > 0 && stack[i].name == name {
					stack = f.abandon(stack, i)
					break
				}
			}
			if len(stack) >= maxNesting {
				f.warn(start, "BEGIN:%s nested deeper than %d skipped", name, maxNesting)
				continue
			}
			sawCalendar = true
			stack = append(stack, &rawComponent{name: name, line: start})
		case "END":
			name := strings.ToUpper(strings.TrimSpace(cl.value))
			i := len(stack) - 1
			for i >= 0 && stack[i].name != name {
				i--
			}
			if i < 0 {
				f.warn(start, "END:%s without its BEGIN skipped", name)
				continue
			}
			// Components left open inside the one that ends are unreadable.
			stack = f.abandon(stack, i+1)
			c := stack[i]
			stack = stack[:i]
			f.closed(c, stack)
		default:
			if len(stack) == 0 {
				if !sawCalendar {
					return nil, fmt.Errorf("line %d: want BEGIN:VCALENDAR, got %s", start, cl.name)
				}
				f.warn(start, "%s outside VCALENDAR skipped", cl.name)
				continue
			}
			top := stack[len(stack)-1]
			if keepProp(top.name, cl.name) {
				top.props = append(top.props, cl)
			}
		}
	}
	if !sawCalendar {
		return nil, errors.New("line 1: want BEGIN:VCALENDAR, got an empty file")
	}
	if len(stack) > 0 {
		if stack[0].name == "VCALENDAR" {
			f.props = stack[0].props
		}
		f.abandon(stack, 0)
	}
	return f, nil
}

// abandon drops the components from stack[from:] that were never closed; an
// event among them is kept as unreadable so the filter can still see it.
func (f *rawFeed) abandon(stack []*rawComponent, from int) []*rawComponent {
	for j := len(stack) - 1; j >= from; j-- {
		c := stack[j]
		f.warn(c.line, "BEGIN:%s is never closed", c.name)
		if c.name == "VEVENT" && f.unclosed == nil {
			// Its text may lie past where it was cut off.
			if _, _, might := f.matches(c); might || c.get("SUMMARY") == nil {
				f.unclosed = &eventError{line: c.line, msg: "BEGIN:VEVENT is never closed"}
			}
		}
	}
	return stack[:from]
}

// closed files a finished component under its parent.
func (f *rawFeed) closed(c *rawComponent, stack []*rawComponent) {
	var parent string
	if len(stack) > 0 {
		parent = stack[len(stack)-1].name
	}
	switch {
	case c.name == "VCALENDAR":
		f.props = c.props
	case c.name == "VEVENT" && parent == "VCALENDAR":
		if _, _, might := f.matches(c); might || c.get("RECURRENCE-ID") != nil {
			c.props = append([]contentLine(nil), c.props...) // drop append's spare room
			f.events = append(f.events, c)
			return
		}
		if u := c.get("UID"); u != nil && strings.TrimSpace(u.value) != "" {
			e := &vevent{line: c.line, uid: strings.TrimSpace(u.value), seq: sequence(c), stamp: stamp(c)}
			if old := f.rivals[e.uid]; old == nil || e.newer(old) {
				f.rivals[e.uid] = e
			}
		}
	case c.name == "VTIMEZONE" && parent == "VCALENDAR":
		f.timezones = append(f.timezones, c)
	case (c.name == "STANDARD" || c.name == "DAYLIGHT") && parent == "VTIMEZONE":
		top := stack[len(stack)-1]
		top.children = append(top.children, c)
	}
}

// matches says whether the filter takes an event, and whether it might (its
// text was lost to a bad line); summary is its SUMMARY as written. The answer
// is kept on the event, which is asked twice.
func (f *rawFeed) matches(c *rawComponent) (summary string, match, might bool) {
	if !c.matched {
		c.matched = true
		var hasSummary bool
		if p := c.get("SUMMARY"); p != nil {
			c.summary, hasSummary = unescapeText(p.value), true
		}
		c.match = f.filter == "" || containsFold(c.summary, f.filter)
		if !c.match {
			if p := c.get("DESCRIPTION"); p != nil {
				c.match = containsFold(unescapeText(p.value), f.filter)
			}
		}
		c.might = c.match || !hasSummary && len(c.broken) > 0
	}
	return c.summary, c.match, c.might
}

// containsFold says whether s contains the lower-cased sub, ignoring case.
func containsFold(s, lowerSub string) bool {
	return strings.Contains(strings.ToLower(s), lowerSub)
}

// markBroken notes an unreadable line in the innermost component.
func markBroken(stack []*rawComponent, line int) {
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		top.broken = append(top.broken, line)
	}
}

// keepProp says which properties the calendar reads; the rest (descriptions of
// alarms, attendees, attachments) are dropped as they are read.
func keepProp(component, name string) bool {
	switch component {
	case "VEVENT":
		switch name {
		case "UID", "SUMMARY", "DESCRIPTION", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE",
			"EXDATE", "RECURRENCE-ID", "STATUS", "SEQUENCE", "DTSTAMP":
			return true
		}
	case "VCALENDAR":
		return name == "X-WR-TIMEZONE"
	case "VTIMEZONE":
		return name == "TZID" || name == "X-LIC-LOCATION"
	case "STANDARD", "DAYLIGHT":
		switch name {
		case "DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "RRULE", "RDATE", "TZNAME":
			return true
		}
	}
	return false
}

// physicalLine returns the line starting at pos without its line break, and
// where the next one starts. CRLF, LF and lone CR all end a line.
func physicalLine(text string, pos int) (string, int) {
	i := strings.IndexAny(text[pos:], "\r\n")
	if i < 0 {
		return text[pos:], len(text)
	}
	end := pos + i
	next := end + 1
	if text[end] == '\r' && next < len(text) && text[next] == '\n' {
		next++
	}
	return text[pos:end], next
}

// parseContentLine reads name *(";" param) ":" value. Parameters of a line
// that keep (when set) refuses are checked but not stored.
func parseContentLine(s string, keep func(string) bool) (contentLine, error) {
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return contentLine{}, fmt.Errorf("malformed content line %q: want NAME:value", clip(s))
	}
	cl := contentLine{name: strings.ToUpper(s[:i])}
	if !validName(cl.name) {
		return contentLine{}, fmt.Errorf("malformed content line %q: bad property name", clip(s))
	}
	s = s[i:]
	store := keep == nil || cl.name == "BEGIN" || cl.name == "END" || keep(cl.name)
	for len(s) > 0 && s[0] == ';' {
		s = s[1:]
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || !validName(strings.ToUpper(s[:eq])) {
			return contentLine{}, fmt.Errorf("malformed parameter in %s", cl.name)
		}
		pname := strings.ToUpper(s[:eq])
		s = s[eq+1:]
		for {
			var v string
			if len(s) > 0 && s[0] == '"' {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return contentLine{}, fmt.Errorf("unterminated quoted parameter %s in %s", pname, cl.name)
				}
				v, s = s[1:1+end], s[2+end:]
			} else {
				end := strings.IndexAny(s, ";:,\"")
				if end < 0 {
					return contentLine{}, fmt.Errorf("malformed content line %s: missing ':'", cl.name)
				}
				if s[end] == '"' {
					return contentLine{}, fmt.Errorf("stray '\"' in parameter %s of %s", pname, cl.name)
				}
				v, s = s[:end], s[end:]
			}
			if store {
				if cl.params == nil {
					cl.params = map[string][]string{}
				}
				cl.params[pname] = append(cl.params[pname], v)
			}
			if len(s) > 0 && s[0] == ',' {
				s = s[1:]
				continue
			}
			break
		}
	}
	if len(s) == 0 || s[0] != ':' {
		return contentLine{}, fmt.Errorf("malformed content line %s: missing ':'", cl.name)
	}
	cl.value = s[1:]
	return cl, nil
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// unescapeText reads a TEXT value as producers write it: RFC 5545 escapes are
// decoded, and what they get wrong (a bare comma, an unknown escape) is kept
// as written rather than cutting the text.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch n := s[i+1]; n {
		case 'n', 'N':
			b.WriteByte('\n')
			i++
		case '\\', ',', ';', ':', '"':
			b.WriteByte(n)
			i++
		default:
			b.WriteByte('\\')
		}
	}
	return b.String()
}

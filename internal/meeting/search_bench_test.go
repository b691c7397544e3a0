package meeting

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// feedOf wraps VEVENT bodies in a calendar.
func feedOf(events ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secwg//bench//EN\r\n")
	for _, e := range events {
		b.WriteString("BEGIN:VEVENT\r\n")
		b.WriteString(e)
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// ruleFeed is n events that each recur by rule from start.
func ruleFeed(n int, start, rule string) []byte {
	events := make([]string, n)
	for i := range events {
		events[i] = fmt.Sprintf("UID:rule-%d@secwg.test\r\nSUMMARY:Meeting %d\r\nDTSTART:%s\r\nDURATION:PT1H\r\nRRULE:%s\r\n", i, i, start, rule)
	}
	return feedOf(events...)
}

// rdateFeed is one series with rdates RDATEs, hourly from twenty years before
// benchNow, and overrides moved instances of it just after benchNow.
func rdateFeed(rdates, overrides int) []byte {
	var b strings.Builder
	b.WriteString("UID:rdates@secwg.test\r\nSUMMARY:Many dates\r\nDTSTART:20000101T000000Z\r\nDURATION:PT30M\r\nRDATE:")
	for i := 0; i < rdates; i++ {
		switch {
		case i > 0 && i%10_000 == 0:
			b.WriteString("\r\nRDATE:")
		case i > 0:
			b.WriteString(",")
		}
		b.WriteString(benchNow.AddDate(-20, 0, 0).Add(timeHours(i)).Format("20060102T150405Z"))
	}
	b.WriteString("\r\n")
	events := []string{b.String()}
	for i := 0; i < overrides; i++ {
		rid := benchNow.Add(timeHours(i + 1))
		events = append(events, fmt.Sprintf("UID:rdates@secwg.test\r\nSUMMARY:Moved\r\nRECURRENCE-ID:%s\r\nDTSTART:%s\r\nDURATION:PT30M\r\n",
			rid.Format("20060102T150405Z"), rid.Add(timeHours(1)/2).Format("20060102T150405Z")))
	}
	return feedOf(events...)
}

// Rules that never match: rrule has no candidate to check its bound against.
func BenchmarkNextInHourlyRulesThatNeverMatch(b *testing.B) {
	benchmarkFeed(b, ruleFeed(10, "20240101T100000Z", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"), true)
}

func BenchmarkNextInCountedRulesThatNeverMatch(b *testing.B) {
	benchmarkFeed(b, ruleFeed(10, "20240101T100000Z", "FREQ=DAILY;COUNT=5;BYMONTH=2;BYMONTHDAY=30"), true)
}

func BenchmarkNextInMonthlyRulesThatNeverMatch(b *testing.B) {
	benchmarkFeed(b, ruleFeed(100, "20230215T100000Z", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30"), true)
}

func timeHours(n int) time.Duration { return time.Duration(n) * time.Hour }

// Moved instances each ask whether they name a real instance among the RDATEs.
func BenchmarkNextInRDatesWithOverrides(b *testing.B) {
	benchmarkFeed(b, rdateFeed(240_000, 250), false)
}

// One dense series costs its own share of the work, not the calendar's answer.
func BenchmarkNextBesideADenseSeries(b *testing.B) {
	data := feedOf(
		"UID:dense@secwg.test\r\nSUMMARY:Dense\r\nDTSTART:19900101T000000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=HOURLY;COUNT=100000000\r\n",
		"UID:weekly@secwg.test\r\nSUMMARY:Weekly\r\nDTSTART:20250106T150000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n",
	)
	benchmarkFeed(b, data, false)
}

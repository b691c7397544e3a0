package meeting

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The budget every feed under the fetcher's 8 MiB cap must keep.
const (
	feedCap       = 8 << 20
	feedBudgetMiB = 64
)

var benchNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func weeklyFeed(events int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secwg//bench//EN\r\n")
	for i := 0; i < events; i++ {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:weekly-%d@secwg.test\r\nDTSTAMP:20200101T000000Z\r\nSUMMARY:Working group %d weekly call\r\n"+
			"DTSTART;TZID=America/New_York:2019%02d%02dT%02d0000\r\nDTEND;TZID=America/New_York:2019%02d%02dT%02d3000\r\n"+
			"RRULE:FREQ=WEEKLY;BYDAY=%s\r\nEXDATE;TZID=America/New_York:2019%02d%02dT%02d0000\r\nEND:VEVENT\r\n",
			i, i, 1+i%12, 1+i%28, 8+i%10, 1+i%12, 1+i%28, 8+i%10, []string{"MO", "TU", "WE", "TH", "FR"}[i%5], 1+i%12, 1+i%28, 8+i%10)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func hourlyFeed(series int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secwg//bench//EN\r\n")
	for i := 0; i < series; i++ {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:hourly-%d@secwg.test\r\nSUMMARY:Build status %d\r\nDTSTART;TZID=Europe/Berlin:2024%02d%02dT%02d%02d00\r\n"+
			"DURATION:PT15M\r\nRRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n", i, i, 1+i%12, 1+i%28, i%24, i%60)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// fullFeed is a feed at the size cap: long-lived events with the descriptions,
// attendees and alarms real exports carry.
func fullFeed() []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secwg//bench//EN\r\nX-WR-TIMEZONE:Europe/London\r\n")
	desc := strings.Repeat("Agenda and notes for the meeting\\, with links. ", 8)
	for i := 0; b.Len() < feedCap-2048; i++ {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:full-%d@secwg.test\r\nDTSTAMP:20200101T000000Z\r\nSEQUENCE:%d\r\nSUMMARY:Meeting %d\r\n"+
			"DESCRIPTION:%s\r\nATTENDEE;CN=Someone;ROLE=REQ-PARTICIPANT:mailto:someone-%d@example.test\r\n"+
			"DTSTART:2018%02d%02dT%02d0000\r\nDURATION:PT1H\r\nRRULE:FREQ=MONTHLY;BYDAY=2TU\r\n"+
			"BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\n",
			i, i%3, i, desc, i, 1+i%12, 1+i%28, i%24)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// unclosedFeed is a hostile feed at the size cap that opens components and
// never closes them.
func unclosedFeed() []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for b.Len() < feedCap-64 {
		b.WriteString("BEGIN:VEVENT\r\nBEGIN:VALARM\r\nSUMMARY:x\r\n")
	}
	return []byte(b.String())
}

// benchmarkFeed parses data and finds the next meeting, reporting time and the
// peak heap one pass reaches above what was live before it (sampled every
// 200 µs while the pass runs).
func benchmarkFeed(b *testing.B, data []byte, wantErr bool) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak uint64
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heap()
		done := make(chan struct{})
		var high atomic.Uint64
		var sampler sync.WaitGroup
		sampler.Go(func() {
			t := time.NewTicker(200 * time.Microsecond)
			defer t.Stop()
			for {
				if h := heap(); h > high.Load() {
					high.Store(h)
				}
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		})
		b.StartTimer()
		c, err := ParseICSContext(context.Background(), data, "", time.Hour)
		if err == nil {
			_, err = c.Next(benchNow)
		}
		b.StopTimer()
		if h := heap(); h > high.Load() {
			high.Store(h)
		}
		close(done)
		sampler.Wait()
		if (err != nil) != wantErr {
			b.Fatalf("err = %v, want error: %v", err, wantErr)
		}
		if high.Load() > base && high.Load()-base > peak {
			peak = high.Load() - base
		}
		runtime.KeepAlive(c)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if peak > feedBudgetMiB<<20 {
		b.Errorf("peak heap %.1f MiB, over the %d MiB budget", float64(peak)/(1<<20), feedBudgetMiB)
	}
	if per := b.Elapsed() / time.Duration(b.N); per > time.Second {
		b.Errorf("took %s per feed, over the 1 s budget", per)
	}
}

func BenchmarkNextIn5000WeeklyEvents(b *testing.B) { benchmarkFeed(b, weeklyFeed(5000), false) }

func BenchmarkNextIn200HourlySeries(b *testing.B) { benchmarkFeed(b, hourlyFeed(200), false) }

func BenchmarkNextInFeedAtSizeCap(b *testing.B) {
	data := fullFeed()
	if len(data) > feedCap {
		b.Fatalf("feed is %d bytes, over the cap", len(data))
	}
	benchmarkFeed(b, data, false)
}

func BenchmarkUnclosedFeedAtSizeCap(b *testing.B) { benchmarkFeed(b, unclosedFeed(), true) }

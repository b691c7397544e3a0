package meeting

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzEscapeTitleCannotBreakOut(f *testing.F) {
	for _, s := range []string{"@nodejs/security-wg", "<script>x</script>", "a](b) [c", "| x |", "`", "1. x", "\n# h", "\u202e", strings.Repeat("@", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := EscapeTitle(title)
		if strings.ContainsAny(got, "<>\r\n\x00") {
			t.Fatalf("EscapeTitle(%q) = %q keeps a raw angle bracket or line break", title, got)
		}
		if mention.MatchString(got) {
			t.Fatalf("EscapeTitle(%q) = %q can mention", title, got)
		}
		if utf8.RuneCountInString(got) > MaxTitleRunes*len("@&#8203;") {
			t.Fatalf("EscapeTitle(%q) is %d runes", title, utf8.RuneCountInString(got))
		}
		for i := 0; i < len(got); i++ {
			if strings.IndexByte("[]`|*_", got[i]) >= 0 && (i == 0 || got[i-1] != '\\') {
				t.Fatalf("EscapeTitle(%q) = %q leaves %q unescaped at %d", title, got, got[i], i)
			}
		}
	})
}

func FuzzParseICSNeverPanics(f *testing.F) {
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Node.js Security Working Group\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRECURRENCE-ID:20260102T100000Z\r\nDTSTART;TZID=Europe/Paris:20260103\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseICS(data, "", time.Hour)
		if err != nil {
			return
		}
		_, _ = c.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}

package meeting

import (
	"errors"
	"testing"
)

func TestAgendaRegionReadsBackWhatReplaceAgendaWrote(t *testing.T) {
	const start, end = "<!-- secwg:agenda:start group=security-wg -->", "<!-- secwg:agenda:end group=security-wg -->"
	tests := []struct {
		name, body, agenda, want string
	}{
		{"LF", "top\n" + start + "\nold\n" + end + "\nbottom", "a\n\nb\n", "a\n\nb"},
		{"CRLF", "top\r\n" + start + "\r\nold\r\n" + end + "\r\n", "a\nb", "a\nb"},
		{"empty", start + end, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := ReplaceAgenda(tt.body, "security-wg", tt.agenda)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AgendaRegion(body, "security-wg")
			if err != nil || got != tt.want {
				t.Errorf("AgendaRegion = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := AgendaRegion(end+start, "security-wg"); !errors.Is(err, ErrAgendaMarkers) {
		t.Errorf("reversed markers: err = %v, want ErrAgendaMarkers", err)
	}
}

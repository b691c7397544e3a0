package threatmodel

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// naivePosition counts the column from the start of the line.
func naivePosition(data []byte, skip, off int) (line, col int) {
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	if start == 0 {
		start = min(skip, off)
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1, utf8.RuneCount(data[start:off]) + 1
}

func TestLineIndexGivesTheColumnsOfCountingFromTheLineStart(t *testing.T) {
	tests := []struct {
		name string
		data string
		skip int
		offs []int
	}{
		{"increasing on one line", `{"a":"é"},{"b":"ü"}`, 0, []int{0, 1, 5, 9, 10, 19}},
		{"across lines", "ab\ncdé\nf", 0, []int{1, 2, 3, 5, 8, 9, 10}},
		{"backwards", "aé€b\nxy", 0, []int{7, 3, 0, 9, 8, 6}},
		{"inside a rune, then on", "a€b€c", 0, []int{2, 3, 5, 6, 9}},
		{"invalid UTF-8", "a\xe2\x82b\xffc\xe2\x82\xac", 0, []int{1, 2, 3, 4, 6, 7, 8, 10}},
		{"a byte order mark", "\ufeffab\ncd", 3, []int{3, 4, 5, 6, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			li := newLineIndex([]byte(tt.data))
			li.skip = tt.skip
			for _, off := range tt.offs {
				l, c := li.at(off)
				if wl, wc := naivePosition([]byte(tt.data), tt.skip, off); l != wl || c != wc {
					t.Errorf("offset %d at %d:%d, want %d:%d", off, l, c, wl, wc)
				}
			}
		})
	}
}

// A one-line file of many threats, asked for in order, is counted once.
func TestLineIndexCountsAOneLineFileOnce(t *testing.T) {
	for _, n := range []int{10, 1000, 10000} {
		data := []byte(strings.Repeat(`{"id":"é"},`, n))
		li := newLineIndex(data)
		for i := range n {
			start := i * len(`{"id":"é"},`)
			li.at(start)
			li.at(start + len(`{"id":"é"}`) - 1)
		}
		if li.scanned > len(data) {
			t.Errorf("%d threats: %d bytes counted for a file of %d", n, li.scanned, len(data))
		}
	}
}

package threatmodel

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// lineIndex turns byte offsets of a file into 1-based lines and 1-based
// columns counted in Unicode code points. It remembers the last position it
// gave, so offsets asked for in increasing order cost only the runes since
// the previous one: a file written on one line (a minified model) stays
// linear however many positions it holds.
type lineIndex struct {
	data   []byte
	starts []int // offsets where each line starts
	// skip is how many bytes at the start of the file (a byte order mark)
	// are not counted as a column.
	skip int
	// The last position given: its offset, its 0-based line, its column.
	off, line, col int
	// scanned counts the bytes counted for columns, for tests.
	scanned int
}

// newLineIndex indexes the lines of data.
func newLineIndex(data []byte) *lineIndex {
	li := &lineIndex{data: data, off: -1}
	li.starts = make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		li.starts = append(li.starts, i)
	}
	return li
}

// at returns the line and column of off, which lies within data (or at its end).
func (li *lineIndex) at(off int) (line, col int) {
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	from, col := li.starts[i], 1
	if i == 0 {
		from = min(li.skip, off)
	}
	// Counting on from the last position gives the same column only when it
	// starts a rune: then no rune spans it, valid or not.
	if li.off >= from && li.line == i && li.off <= off && (li.off == len(li.data) || utf8.RuneStart(li.data[li.off])) {
		from, col = li.off, li.col
	}
	col += utf8.RuneCount(li.data[from:off])
	li.scanned += off - from
	li.off, li.line, li.col = off, i, col
	return i + 1, col
}

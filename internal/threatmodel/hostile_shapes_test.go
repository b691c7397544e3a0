package threatmodel

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// hostileShape builds one kind of hostile document of about size bytes.
type hostileShape struct {
	name  string
	build func(size int) []byte
	// path is the file's name, which picks its reader; hostile.md if empty.
	path string
}

// file names the shape's file.
func (s hostileShape) file() string {
	if s.path == "" {
		return "hostile.md"
	}
	return s.path
}

// input builds the shape at most size bytes long.
func (s hostileShape) input(size int) []byte {
	data := s.build(size)
	return data[:min(len(data), size)]
}

// fill writes item(0), item(1)… after prefix while they and suffix fit in
// size bytes, so that no item is cut short.
func fill(prefix string, size int, item func(int) string, suffix string) []byte {
	var b bytes.Buffer
	b.WriteString(prefix)
	for i := 0; ; i++ {
		s := item(i)
		if b.Len()+len(s)+len(suffix) > size {
			break
		}
		b.WriteString(s)
	}
	b.WriteString(suffix)
	return b.Bytes()
}

// repeatTo repeats unit after prefix until the result holds about size bytes.
func repeatTo(prefix, unit, suffix string, size int) []byte {
	n := max(1, (size-len(prefix)-len(suffix))/len(unit))
	var b bytes.Buffer
	b.Grow(len(prefix) + n*len(unit) + len(suffix))
	b.WriteString(prefix)
	for range n {
		b.WriteString(unit)
	}
	b.WriteString(suffix)
	return b.Bytes()
}

// hostileShapes are the inputs that once took the checker minutes or
// gigabytes: each is built to the size asked for.
var hostileShapes = []hostileShape{
	{name: "LongLine", build: func(n int) []byte { return repeatTo("", "a [b]( *c_ ", "\n", n) }},
	{name: "Headings", build: func(n int) []byte {
		return repeatTo("", "#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n\n", "", n)
	}},
	{name: "NestedListOneLine", build: func(n int) []byte {
		return repeatTo("#### T-A-1: x (CWE-1)\n\n", "- ", "**STRIDE**: Spoofing\n", n)
	}},
	{name: "IndentedListLines", build: func(n int) []byte {
		return fill("", n, func(i int) string { return strings.Repeat(" ", 2*(i%4000)) + "- x\n" }, "")
	}},
	{name: "NestedBlockQuotes", build: func(n int) []byte { return repeatTo("", ">", " x\n", n) }},
	{name: "LinkOpeners", build: func(n int) []byte {
		return repeatTo("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing ", "[x](", "\n- **Status**: Accepted\n- **Rationale**: r\n", n)
	}},
	{name: "EmphasisInHeading", build: func(n int) []byte { return repeatTo("#### T-A-1: ", "*a_", "\n", n) }},
	{name: "MitigationIDs", build: func(n int) []byte {
		return fill("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Mitigations**: ", n,
			func(i int) string { return fmt.Sprintf("M-%d, ", i) }, "\n")
	}},
	{name: "LinkReferenceDefinitions", build: func(n int) []byte {
		return fill("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n\n", n,
			func(i int) string { return fmt.Sprintf("[r%d]: /u\n", i) }, "")
	}},
	{name: "ManyFindings", build: func(n int) []byte {
		return repeatTo("", "# T-A-1: x\n- **STRIDE**: Q\n- **Status**: Q\n- **Mitigations**: M-Q\n", "", n)
	}},
	{name: "ThreatDragonOneLine", path: "hostile.json", build: func(n int) []byte {
		return repeatTo(`{"summary":{},"detail":{"diagrams":[{"cells":[{"data":{"threats":[`, `{"id":"a"},`, `{"id":"a"}]}}]}]}}`, n)
	}},
}

// peakHeap runs fn and returns the most heap memory in use it saw, sampled
// every two milliseconds, besides what was in use before.
func peakHeap(fn func()) (peak uint64) {
	runtime.GC()
	read := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := read()
	var most atomic.Uint64
	sample := func() {
		if v := read(); v > most.Load() {
			most.Store(v)
		}
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	sample()
	close(done)
	<-stopped
	if m := most.Load(); m > before {
		return m - before
	}
	return 0
}

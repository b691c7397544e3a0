package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The webhook reads only a few fields of a payload, and does so by scanning
// the JSON rather than decoding it: the one decode of a delivery is the
// handler's that takes it.

// envelope holds the fields of a payload that route and log a delivery that
// will run.
type envelope struct {
	number       int64
	installation *int64
	repository   string
	issue        *int64
	pullRequest  *int64
}

// Number is the issue's or pull request's number, or the top-level one.
func (e *envelope) Number() int64 {
	switch {
	case e.issue != nil:
		return *e.issue
	case e.pullRequest != nil:
		return *e.pullRequest
	}
	return e.number
}

// members calls member for each key of the JSON object at b[i], with the index
// of its value; member returns the index after the value, or -1 when the value
// is unusable, or stop to end the scan early. end is the index after the
// object; ok is false when the object is malformed.
func members(b []byte, i int, member func(key []byte, v int) (next int, stop bool)) (end int, ok bool) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		ks, ke, next, ok := scanString(b, i)
		if !ok {
			return i, false
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		next, stop := member(b[ks:ke], skipSpace(b, i+1))
		if stop {
			return next, true
		}
		if next < 0 {
			return i, false
		}
		i = skipSpace(b, next)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// scanAction reads the top-level "action" of a JSON object without decoding the
// rest: GitHub writes it first, so the scan usually stops at the first key. It
// only skips what it passes over, so ok says the body starts as a JSON object,
// not that all of it is valid; ignored deliveries need no more.
func scanAction(body []byte) (action string, ok bool) {
	_, ok = members(body, 0, func(key []byte, v int) (int, bool) {
		if string(key) != "action" {
			return skipValue(body, v), false
		}
		// Not a string: no action to log, but still an object.
		action, _ = stringAt(body, v)
		return v, true
	})
	return action, ok
}

// scanEnvelope reads the envelope of a JSON object as encoding/json would
// decode it into {number, installation.id, repository.full_name, issue.number,
// pull_request.number}: keys matched without case, the last of repeated keys
// winning, null clearing a field, and a value of the wrong type making the
// whole payload unreadable (ok false).
func scanEnvelope(body []byte) (e envelope, ok bool) {
	end, ok := members(body, 0, func(key []byte, v int) (int, bool) {
		switch {
		case bytes.EqualFold(key, []byte("number")):
			return intAt(body, v, &e.number), false
		case bytes.EqualFold(key, []byte("installation")):
			return nestedInt(body, v, "id", &e.installation), false
		case bytes.EqualFold(key, []byte("issue")):
			return nestedInt(body, v, "number", &e.issue), false
		case bytes.EqualFold(key, []byte("pull_request")):
			return nestedInt(body, v, "number", &e.pullRequest), false
		case bytes.EqualFold(key, []byte("repository")):
			if isNull(body, v) {
				e.repository = ""
				return v + 4, false
			}
			return members1(body, v, func(key []byte, v int) int {
				if !bytes.EqualFold(key, []byte("full_name")) {
					return skipValue(body, v)
				}
				if isNull(body, v) {
					return v + 4
				}
				s, next := stringAt(body, v)
				if next < 0 {
					return -1
				}
				e.repository = s
				return next
			}), false
		}
		return skipValue(body, v), false
	})
	return e, ok && skipSpace(body, end) == len(body)
}

// members1 is members for a nested object: the index after it, or -1.
func members1(b []byte, i int, member func(key []byte, v int) int) int {
	end, ok := members(b, i, func(key []byte, v int) (int, bool) { return member(key, v), false })
	if !ok {
		return -1
	}
	return end
}

// nestedInt reads obj.name of the object at b[i] into *dst, allocating it as
// encoding/json does for a pointer to a struct, and clearing it for null.
func nestedInt(b []byte, i int, name string, dst **int64) int {
	if isNull(b, i) {
		*dst = nil
		return i + 4
	}
	if *dst == nil {
		*dst = new(int64)
	}
	return members1(b, i, func(key []byte, v int) int {
		if !bytes.EqualFold(key, []byte(name)) {
			return skipValue(b, v)
		}
		return intAt(b, v, *dst)
	})
}

func isNull(b []byte, i int) bool { return bytes.HasPrefix(b[i:], []byte("null")) }

// intAt reads the integer at b[i] into *dst (null leaves it), returning the
// index after it, or -1 for anything encoding/json would not put in an int.
func intAt(b []byte, i int, dst *int64) int {
	if isNull(b, i) {
		return i + 4
	}
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	digits := j
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	if j == digits || (b[digits] == '0' && j-digits > 1) {
		return -1
	}
	if j < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[j])) {
		return -1
	}
	n, err := strconv.ParseInt(string(b[i:j]), 10, 64)
	if err != nil {
		return -1
	}
	*dst = n
	return j
}

// stringAt reads the JSON string at b[i]; next is the index after it, or -1
// when there is no string there. Escapes and invalid UTF-8 are read as
// encoding/json reads them (U+FFFD for each bad byte), so logs and filters
// never see raw bad bytes.
func stringAt(b []byte, i int) (string, int) {
	start, end, next, ok := scanString(b, i)
	if !ok {
		return "", -1
	}
	v := b[start:end]
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return string(v), next
	}
	s, ok := unquote(b[start-1 : end+1])
	if !ok {
		return "", -1
	}
	return s, next
}

// unquote is the slow path of stringAt, kept apart so that its decode target
// does not move the fast path's result to the heap.
func unquote(quoted []byte) (string, bool) {
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err == nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString finds the JSON string at b[i]: its contents are b[start:end],
// escapes kept as written, which is enough to compare a key with "action"
// (GitHub does not escape it); next is the index after the closing quote.
func scanString(b []byte, i int) (start, end, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return i + 1, j, j + 1, true
		}
	}
	return 0, 0, i, false
}

// skipValue returns the index after the JSON value at b[i], or -1. Nesting is
// counted, not recursed into, so depth costs nothing.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			_, _, next, ok := scanString(b, i)
			if !ok {
				return -1
			}
			i = next
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
			if depth < 0 {
				return -1
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 && (c == ',' || c == ':') {
				return i
			}
			i++
		default:
			// A number or a literal: up to the next delimiter.
			if depth == 0 {
				for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
					i++
				}
				return i
			}
			i++
		}
		if depth == 0 {
			return i
		}
	}
	return -1
}

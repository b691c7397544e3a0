package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// An ignored delivery needs only its action: the webhook scans the JSON for it
// rather than decoding the whole payload.

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

package webhookproxy

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so that a hostile body cannot exhaust the stack;
// GitHub payloads nest a dozen levels at most.
const maxDepth = 512

var errTooDeep = errors.New("JSON nested deeper than 512 levels")

// stringify returns JSON.stringify(JSON.parse(raw)) as a JavaScript engine
// computes it, byte for byte: compact, object keys that are array indices
// first in ascending order and the others in first-seen order, a repeated key
// keeping its first place and its last value, numbers as Number#toString
// prints them, and strings escaped as JSON.stringify escapes them.
func stringify(raw []byte) ([]byte, error) {
	s := &jsScanner{in: raw, out: make([]byte, 0, len(raw))}
	s.skipSpace()
	if err := s.value(0); err != nil {
		return nil, err
	}
	s.skipSpace()
	if s.pos != len(s.in) {
		return nil, s.errorf("unexpected %q after the JSON value", s.in[s.pos])
	}
	return s.out, nil
}

type jsScanner struct {
	in      []byte
	pos     int
	out     []byte
	scratch []uint16
}

func (s *jsScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
}

// skipSpace skips what JSON.parse accepts as whitespace, and nothing more.
func (s *jsScanner) skipSpace() {
	for s.pos < len(s.in) {
		switch s.in[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsScanner) value(depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	if s.pos >= len(s.in) {
		return s.errorf("unexpected end of input")
	}
	switch c := s.in[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(s.in[s.pos:], []byte(lit)) {
				s.pos += len(lit)
				s.out = append(s.out, lit...)
				return nil
			}
		}
		return s.errorf("unexpected %q", c)
	}
}

func (s *jsScanner) array(depth int) error {
	s.pos++ // [
	s.out = append(s.out, '[')
	s.skipSpace()
	if s.pos < len(s.in) && s.in[s.pos] == ']' {
		s.pos++
		s.out = append(s.out, ']')
		return nil
	}
	for {
		s.skipSpace()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.in) {
			return s.errorf("unterminated array")
		}
		switch s.in[s.pos] {
		case ',':
			s.pos++
			s.out = append(s.out, ',')
		case ']':
			s.pos++
			s.out = append(s.out, ']')
			return nil
		default:
			return s.errorf("expected , or ] in array, got %q", s.in[s.pos])
		}
	}
}

// member is one key of an object being rebuilt: where its key, as
// JSON.stringify writes it, and its value sit in the output. Equal keys have
// equal serialisations, so the bytes serve as the key.
type member struct {
	start, keyEnd, end int
	index              uint32 // the array index the key names, when isIndex
	isIndex            bool
}

func (s *jsScanner) object(depth int) error {
	s.pos++ // {
	begin := len(s.out)
	s.out = append(s.out, '{')
	s.skipSpace()
	if s.pos < len(s.in) && s.in[s.pos] == '}' {
		s.pos++
		s.out = append(s.out, '}')
		return nil
	}
	var members []member
	var seen map[string]int // built only when an object is large enough to need it
	// Values are written straight to the output in input order; the object is
	// rebuilt from their spans only when JavaScript's order or a repeated key
	// says otherwise, which GitHub payloads never need.
	inOrder := true
	for {
		s.skipSpace()
		if s.pos >= len(s.in) || s.in[s.pos] != '"' {
			return s.errorf("expected a string key in object")
		}
		if len(members) > 0 {
			s.out = append(s.out, ',')
		}
		keyStart := len(s.out)
		if err := s.str(); err != nil {
			return err
		}
		keyEnd := len(s.out)
		key := s.out[keyStart:keyEnd]
		s.skipSpace()
		if s.pos >= len(s.in) || s.in[s.pos] != ':' {
			return s.errorf("expected : after object key")
		}
		s.pos++
		s.skipSpace()
		s.out = append(s.out, ':')
		if err := s.value(depth + 1); err != nil {
			return err
		}
		m := member{start: keyStart, keyEnd: keyEnd, end: len(s.out)}
		m.index, m.isIndex = arrayIndex(key)

		dup := -1
		if seen == nil && len(members) >= 16 {
			seen = make(map[string]int, 2*len(members))
			for i, o := range members {
				seen[string(s.out[o.start:o.keyEnd])] = i
			}
		}
		if seen != nil {
			if i, ok := seen[string(key)]; ok {
				dup = i
			}
		} else {
			for i, o := range members {
				if bytes.Equal(s.out[o.start:o.keyEnd], key) {
					dup = i
					break
				}
			}
		}
		switch {
		case dup >= 0:
			members[dup].start, members[dup].keyEnd, members[dup].end = m.start, m.keyEnd, m.end
			inOrder = false
		default:
			if m.isIndex && (!inOrderIndexes(members, m)) {
				inOrder = false
			}
			if seen != nil {
				seen[string(key)] = len(members)
			}
			members = append(members, m)
		}

		s.skipSpace()
		if s.pos >= len(s.in) {
			return s.errorf("unterminated object")
		}
		switch s.in[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			if inOrder {
				s.out = append(s.out, '}')
				return nil
			}
			s.rebuild(begin, members)
			return nil
		default:
			return s.errorf("expected , or } in object, got %q", s.in[s.pos])
		}
	}
}

// inOrderIndexes reports whether appending m keeps the object in the order
// JavaScript enumerates it: every array index before every other key, indexes
// ascending.
func inOrderIndexes(members []member, m member) bool {
	if len(members) == 0 {
		return true
	}
	last := members[len(members)-1]
	return last.isIndex && last.index < m.index
}

// rebuild rewrites the object that starts at begin in JavaScript's order.
func (s *jsScanner) rebuild(begin int, members []member) {
	ordered := slices.Clone(members)
	slices.SortStableFunc(ordered, func(a, b member) int {
		switch {
		case a.isIndex && b.isIndex:
			return int(int64(a.index) - int64(b.index))
		case a.isIndex:
			return -1
		case b.isIndex:
			return 1
		}
		return 0
	})
	obj := make([]byte, 0, len(s.out)-begin)
	obj = append(obj, '{')
	for i, m := range ordered {
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = append(obj, s.out[m.start:m.end]...)
	}
	obj = append(obj, '}')
	s.out = append(s.out[:begin], obj...)
}

// arrayIndex reports whether a quoted key is a canonical array index (0 to
// 2³²−2), which JavaScript objects enumerate before all other keys.
func arrayIndex(quoted []byte) (uint32, bool) {
	key := quoted[1 : len(quoted)-1]
	if len(key) == 0 || len(key) > 10 || len(key) > 1 && key[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range key {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxUint32-1 {
		return 0, false
	}
	return uint32(n), true
}

// str copies a JSON string to the output as JSON.stringify writes it.
func (s *jsScanner) str() error {
	// Most strings need no change: no escape, no control character, valid UTF-8.
	for i := s.pos + 1; i < len(s.in); {
		c := s.in[i]
		if c == '"' {
			s.out = append(s.out, s.in[s.pos:i+1]...)
			s.pos = i + 1
			return nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(s.in[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	u, err := s.decode(s.scratch[:0])
	if err != nil {
		return err
	}
	s.scratch = u
	s.out = appendQuoted(s.out, u)
	return nil
}

// decode reads a JSON string into UTF-16 code units, as JavaScript holds it:
// escaped lone surrogates survive, invalid UTF-8 becomes U+FFFD.
func (s *jsScanner) decode(u []uint16) ([]uint16, error) {
	s.pos++ // opening quote
	for {
		if s.pos >= len(s.in) {
			return nil, s.errorf("unterminated string")
		}
		c := s.in[s.pos]
		switch {
		case c == '"':
			s.pos++
			return u, nil
		case c < 0x20:
			return nil, s.errorf("control character %#x in string", c)
		case c == '\\':
			if s.pos+1 >= len(s.in) {
				return nil, s.errorf("unterminated escape")
			}
			e := s.in[s.pos+1]
			s.pos += 2
			switch e {
			case '"', '\\', '/':
				u = append(u, uint16(e))
			case 'b':
				u = append(u, '\b')
			case 'f':
				u = append(u, '\f')
			case 'n':
				u = append(u, '\n')
			case 'r':
				u = append(u, '\r')
			case 't':
				u = append(u, '\t')
			case 'u':
				if s.pos+4 > len(s.in) {
					return nil, s.errorf("short \\u escape")
				}
				v, err := strconv.ParseUint(string(s.in[s.pos:s.pos+4]), 16, 16)
				if err != nil {
					return nil, s.errorf("bad \\u escape")
				}
				s.pos += 4
				u = append(u, uint16(v))
			default:
				return nil, s.errorf("bad escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			u = append(u, uint16(c))
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.in[s.pos:])
			s.pos += size
			u = utf16.AppendRune(u, r) // RuneError for invalid bytes is U+FFFD
		}
	}
}

// appendQuoted writes a string as JSON.stringify does: only ", \ and control
// characters are escaped (the short forms where they exist, else \u00xx),
// a lone surrogate as \udxxx, everything else as UTF-8.
func appendQuoted(out []byte, u []uint16) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == '"':
			out = append(out, '\\', '"')
		case c == '\\':
			out = append(out, '\\', '\\')
		case c == '\b':
			out = append(out, '\\', 'b')
		case c == '\f':
			out = append(out, '\\', 'f')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			out = append(out, byte(c))
		case utf16.IsSurrogate(rune(c)):
			if c < 0xdc00 && i+1 < len(u) && u[i+1] >= 0xdc00 && u[i+1] <= 0xdfff {
				out = utf8.AppendRune(out, utf16.DecodeRune(rune(c), rune(u[i+1])))
				i++
				continue
			}
			out = append(out, '\\', 'u', hex[c>>12], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return append(out, '"')
}

// number reads a JSON number and writes it as JavaScript's Number#toString
// would after parsing it into a double.
func (s *jsScanner) number() error {
	start := s.pos
	if s.in[s.pos] == '-' {
		s.pos++
	}
	digits := func() int {
		n := 0
		for s.pos < len(s.in) && s.in[s.pos] >= '0' && s.in[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	switch {
	case s.pos < len(s.in) && s.in[s.pos] == '0':
		s.pos++
	case digits() == 0:
		return s.errorf("number without digits")
	}
	if s.pos < len(s.in) && s.in[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return s.errorf("number without digits after the point")
		}
	}
	if s.pos < len(s.in) && (s.in[s.pos] == 'e' || s.in[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.in) && (s.in[s.pos] == '+' || s.in[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.errorf("number without exponent digits")
		}
	}
	lit := s.in[start:s.pos]
	// Integers of up to 15 digits are exact doubles and print as written.
	if n := len(lit); n <= 15 && bytes.IndexAny(lit, ".eE") < 0 && !bytes.Equal(lit, []byte("-0")) {
		s.out = append(s.out, lit...)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return s.errorf("bad number")
	}
	s.out = appendJSNumber(s.out, f)
	return nil
}

// appendJSNumber follows ECMAScript's Number::toString for JSON.stringify:
// non-finite numbers are null, -0 is 0, plain notation for 1e-7 < |x| < 1e21.
func appendJSNumber(out []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return append(out, "null"...)
	case f == 0:
		return append(out, '0')
	case f < 0:
		out = append(out, '-')
		f = -f
	}
	// Shortest round-trip digits, as both Go and ECMAScript choose them.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1
	switch {
	case k <= n && n <= 21:
		out = append(out, digits...)
		for range n - k {
			out = append(out, '0')
		}
	case 0 < n && n <= 21:
		out = append(out, digits[:n]...)
		out = append(out, '.')
		out = append(out, digits[n:]...)
	case -6 < n && n <= 0:
		out = append(out, '0', '.')
		for range -n {
			out = append(out, '0')
		}
		out = append(out, digits...)
	default:
		out = append(out, digits[0])
		if k > 1 {
			out = append(out, '.')
			out = append(out, digits[1:]...)
		}
		out = append(out, 'e')
		if n-1 >= 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, int64(n-1), 10)
	}
	return out
}

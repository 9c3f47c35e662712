// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON scanner over an immutable string. It decodes only what the parser asks
// for: strings without escapes are returned as substrings of the input (no copy), and
// objects or arrays that are kept whole (payload values) are validated and returned as
// raw text. Every function takes the whole input and absolute offsets, so errors can
// name a line and column.

// maxDepth bounds the nesting of objects and arrays (encoding/json allows 10000; Tasker
// payloads nest a few levels).
const maxDepth = 512

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(s string, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

func syntaxError(s string, off int, msg string) *ParseError {
	return newError(s, off, "", "invalid JSON: "+msg)
}

func eofError(s string) *ParseError { return syntaxError(s, len(s), "unexpected end of input") }

// unexpected reports the byte at s[i] (or the end of input).
func unexpected(s string, i int) *ParseError {
	if i >= len(s) {
		return eofError(s)
	}
	c := s[i]
	if c >= 0x20 && c < 0x7f {
		return syntaxError(s, i, "unexpected character "+strconv.QuoteRune(rune(c)))
	}
	return syntaxError(s, i, "unexpected byte 0x"+strconv.FormatUint(uint64(c), 16))
}

// validUTF8 returns v, with invalid UTF-8 sequences replaced by U+FFFD (as encoding/json
// does), so that every string handed out is valid for pdata and OTLP.
func validUTF8(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

// Strings are scanned 8 bytes at a time: special finds, in one word, the bytes that
// need a look (a quote, a backslash, a control character, a non-ASCII byte). The lowest
// flagged byte is always a real one (borrows only run upwards), which is all the scan
// needs.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load8 reads 8 bytes little-endian; the compiler makes it one load.
func load8(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func special(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((x-lsb*0x20)&^x | (q-lsb)&^q | (b-lsb)&^b | x) & msb
}

// stringEnd finds the first byte at or after j that is a quote, a backslash or a
// control character; ascii reports whether the bytes before it are all ASCII.
func stringEnd(s string, j int) (end int, ascii bool) {
	ascii = true
	for {
		for j+8 <= len(s) {
			if m := special(load8(s, j)); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		if j >= len(s) {
			return j, ascii
		}
		switch c := s[j]; {
		case c == '"' || c == '\\' || c < 0x20:
			return j, ascii
		case c >= 0x80:
			ascii = false
		}
		j++
	}
}

// readString decodes the string at s[i] == '"' and returns it and the offset after it.
func readString(s string, i int) (string, int, *ParseError) {
	j, ascii := stringEnd(s, i+1)
	if j >= len(s) {
		return "", len(s), syntaxError(s, len(s), "unterminated string")
	}
	switch s[j] {
	case '"':
		v := s[i+1 : j]
		if !ascii {
			v = validUTF8(v)
		}
		return v, j + 1, nil
	case '\\':
		return unescape(s, i, j)
	}
	return "", j, syntaxError(s, j, "control character in string")
}

// unescape decodes the string at s[i] == '"' whose first escape is at s[j].
func unescape(s string, i, j int) (string, int, *ParseError) {
	buf := make([]byte, 0, j-i+16)
	buf = append(buf, s[i+1:j]...)
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			if utf8.Valid(buf) {
				return string(buf), j + 1, nil
			}
			return strings.ToValidUTF8(string(buf), "\uFFFD"), j + 1, nil
		case c < 0x20:
			return "", j, syntaxError(s, j, "control character in string")
		case c != '\\':
			buf = append(buf, c)
			j++
			continue
		}
		if j+1 >= len(s) {
			return "", len(s), syntaxError(s, len(s), "unterminated string")
		}
		switch e := s[j+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s, j+2)
			if !ok {
				return "", j, syntaxError(s, j, "invalid escape sequence")
			}
			j += 6
			if utf16.IsSurrogate(r) {
				// A high surrogate must be followed by \u and a low one; anything else
				// is replaced, as encoding/json does.
				if r2, ok := hex4(s, j+2); ok && j+1 < len(s) && s[j] == '\\' && s[j+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						buf = utf8.AppendRune(buf, d)
						j += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", j, syntaxError(s, j, "invalid escape sequence")
		}
		j += 2
	}
	return "", len(s), syntaxError(s, len(s), "unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := s[k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skipString validates the string at s[i] == '"' without decoding it.
func skipString(s string, i int) (int, *ParseError) {
	j := i + 1
	for {
		j, _ = stringEnd(s, j)
		if j >= len(s) {
			break
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, nil
		case c < 0x20:
			return j, syntaxError(s, j, "control character in string")
		}
		if j+1 >= len(s) {
			break
		}
		switch s[j+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			j += 2
		case 'u':
			if _, ok := hex4(s, j+2); !ok {
				return j, syntaxError(s, j, "invalid escape sequence")
			}
			j += 6
		default:
			return j, syntaxError(s, j, "invalid escape sequence")
		}
	}
	return len(s), syntaxError(s, len(s), "unterminated string")
}

// readValue decodes the value at s[i]: scalars fully, objects and arrays as raw JSON.
func readValue(s string, i, depth int) (Value, int, *ParseError) {
	if i >= len(s) {
		return Value{}, i, eofError(s)
	}
	switch c := s[i]; {
	case c == '"':
		v, j, err := readString(s, i)
		return StringValue(v), j, err
	case c == '-' || isDigit(c):
		end, isInt := numberEnd(s, i)
		if end == i {
			return Value{}, i, syntaxError(s, i, "invalid number")
		}
		v, ok := numberValue(s[i:end], isInt)
		if !ok {
			return Value{}, i, syntaxError(s, i, "number out of range")
		}
		return v, end, nil
	case c == '{' || c == '[':
		end, ws, err := skipValue(s, i, depth)
		if err != nil {
			return Value{}, end, err
		}
		raw := s[i:end]
		if ws {
			raw = compactJSON(raw)
		}
		return RawValue(validUTF8(raw)), end, nil
	case c == 't' && strings.HasPrefix(s[i:], "true"):
		return BoolValue(true), i + 4, nil
	case c == 'f' && strings.HasPrefix(s[i:], "false"):
		return BoolValue(false), i + 5, nil
	case c == 'n' && strings.HasPrefix(s[i:], "null"):
		return Value{}, i + 4, nil
	}
	return Value{}, i, unexpected(s, i)
}

// skipValue validates the value at s[i] and returns its end; ws reports whitespace
// between tokens (the raw text is then compacted).
func skipValue(s string, i, depth int) (end int, ws bool, err *ParseError) {
	if i >= len(s) {
		return i, false, eofError(s)
	}
	switch c := s[i]; c {
	case '"':
		end, err = skipString(s, i)
		return end, false, err
	case '{', '[':
		if depth >= maxDepth {
			return i, false, syntaxError(s, i, "nesting deeper than "+strconv.Itoa(maxDepth)+" levels")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		j := i + 1
		k := skipWS(s, j)
		ws = k != j
		if k < len(s) && s[k] == closer {
			return k + 1, ws, nil
		}
		j = k
		for {
			if c == '{' {
				if j >= len(s) || s[j] != '"' {
					if j >= len(s) {
						return j, ws, eofError(s)
					}
					return j, ws, syntaxError(s, j, "expected a string key")
				}
				if j, err = skipString(s, j); err != nil {
					return j, ws, err
				}
				k = skipWS(s, j)
				ws = ws || k != j
				if k >= len(s) || s[k] != ':' {
					if k >= len(s) {
						return k, ws, eofError(s)
					}
					return k, ws, syntaxError(s, k, "expected ':' after object key")
				}
				j = skipWS(s, k+1)
				ws = ws || j != k+1
			}
			var inner bool
			if j, inner, err = skipValue(s, j, depth+1); err != nil {
				return j, ws, err
			}
			k = skipWS(s, j)
			ws = ws || inner || k != j
			switch {
			case k >= len(s):
				return k, ws, eofError(s)
			case s[k] == ',':
				j = skipWS(s, k+1)
				ws = ws || j != k+1
			case s[k] == closer:
				return k + 1, ws, nil
			case c == '{':
				return k, ws, syntaxError(s, k, "expected ',' or '}' after object value")
			default:
				return k, ws, syntaxError(s, k, "expected ',' or ']' after array element")
			}
		}
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if strings.HasPrefix(s[i:], lit) {
				return i + len(lit), false, nil
			}
		}
	default:
		if c == '-' || isDigit(c) {
			end, _ := numberEnd(s, i)
			if end == i {
				return i, false, syntaxError(s, i, "invalid number")
			}
			if !floatInRange(s[i:end]) {
				return i, false, syntaxError(s, i, "number out of range")
			}
			return end, false, nil
		}
	}
	return i, false, unexpected(s, i)
}

// compactJSON removes the whitespace between the tokens of valid JSON text.
func compactJSON(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	inStr := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(raw) {
				i++
				b.WriteByte(raw[i])
			} else if c == '"' {
				inStr = false
			}
		case isWS(c):
		default:
			if c == '"' {
				inStr = true
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

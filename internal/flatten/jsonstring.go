// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

const hexDigits = "0123456789abcdef"

// htmlSafe[c] is true when byte c can be written inside a JSON string as is, with
// encoding/json's escaping (which also escapes <, > and &).
var htmlSafe = safeTable("<>&")

// plainSafe[c] is htmlSafe without the HTML-safe escapes: what Ruby's JSON.generate
// writes as is.
var plainSafe = safeTable("")

func safeTable(also string) (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	for i := 0; i < len(also); i++ {
		t[also[i]] = false
	}
	return t
}

// AppendJSONString appends s as a quoted JSON string with the escaping encoding/json
// uses (control characters, quotes, backslash, <, >, &, U+2028/2029), replacing
// invalid UTF-8 with U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	return appendJSONString(dst, s, &htmlSafe, true)
}

// AppendJSONStringBytes is AppendJSONString for a byte slice.
func AppendJSONStringBytes(dst []byte, s []byte) []byte {
	return appendJSONString(dst, s, &htmlSafe, true)
}

// AppendJSONStringPlain is AppendJSONString without the HTML-safe escapes and without
// escaping U+2028/2029: Ruby's JSON.generate (taskergen writes Tasker's lines with it).
func AppendJSONStringPlain(dst []byte, s string) []byte {
	return appendJSONString(dst, s, &plainSafe, false)
}

// appendJSONString escapes the bytes that safe marks unsafe (every byte >= 0x80 is
// unsafe and decoded as UTF-8), and U+2028/2029 when lineSeparators.
func appendJSONString[S string | []byte](dst []byte, s S, safe *[256]bool, lineSeparators bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safe[c] {
			i++
			continue
		}
		if c < 0x80 {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == runeError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if lineSeparators && (r == '\u2028' || r == '\u2029') {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

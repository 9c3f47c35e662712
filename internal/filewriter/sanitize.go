// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"hash/fnv"
	"strconv"
)

// MaxGroupLen is the longest sanitised group value, in bytes.
const MaxGroupLen = 128

// SanitizeGroup returns the form of a group_by value used in file and directory
// names, which cannot leave the directory:
//
//   - every byte outside [A-Za-z0-9._-] becomes '_' ("a/b" → "a_b", "x\x00y" → "x_y",
//     a multi-byte UTF-8 character → one '_' per byte);
//   - a value that is empty or starts with '.' gets a leading '_' ("" → "_",
//     "." → "_.", ".." → "_..", ".hidden" → "_.hidden"), so it is never "." or ".."
//     nor a hidden name;
//   - a result longer than MaxGroupLen bytes keeps its first 119 bytes followed by
//     '-' and the 8 hex digits of the FNV-1a 32-bit hash of the original value, so
//     distinct long values stay distinct.
//
// Values that already satisfy the rules are returned unchanged (no allocation).
func SanitizeGroup(v string) string {
	clean := v != "" && v[0] != '.' && len(v) <= MaxGroupLen
	for i := 0; clean && i < len(v); i++ {
		clean = safeByte(v[i])
	}
	if clean {
		return v
	}
	b := make([]byte, 0, min(len(v)+1, MaxGroupLen))
	if v == "" || v[0] == '.' {
		b = append(b, '_')
	}
	for i := 0; i < len(v) && len(b) <= MaxGroupLen; i++ {
		c := v[i]
		if !safeByte(c) {
			c = '_'
		}
		b = append(b, c)
	}
	if len(b) > MaxGroupLen {
		h := fnv.New32a()
		_, _ = h.Write([]byte(v))
		sum := h.Sum32()
		b = append(b[:MaxGroupLen-9], '-')
		const hexdigits = "0123456789abcdef"
		for shift := 28; shift >= 0; shift -= 4 {
			b = append(b, hexdigits[(sum>>uint(shift))&0xf])
		}
	}
	return string(b)
}

func safeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// sanitizeChars replaces every byte outside [A-Za-z0-9._-] with '_'.
func sanitizeChars(v string) string {
	b := []byte(v)
	for i, c := range b {
		if !safeByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

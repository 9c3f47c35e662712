// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import "unicode/utf8"

// SanitizeMetricName makes s a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// the way Prometheus does: every invalid character becomes "_", and a leading digit gets
// a "_" prefix. It returns s itself when s is valid.
func SanitizeMetricName(s string) string { return sanitizeName(s, true) }

// SanitizeLabelName makes s a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*): every
// invalid character becomes "_", a leading digit gets a "_" prefix.
func SanitizeLabelName(s string) string { return sanitizeName(s, false) }

func nameChar(c byte, colon bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || colon && c == ':'
}

func sanitizeName(s string, colon bool) string {
	if s == "" {
		return "_"
	}
	valid := !(s[0] >= '0' && s[0] <= '9')
	for i := 0; valid && i < len(s); i++ {
		valid = nameChar(s[i], colon)
	}
	if valid {
		return s
	}
	b := make([]byte, 0, len(s)+1)
	if s[0] >= '0' && s[0] <= '9' {
		b = append(b, '_')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameChar(c, colon) {
				b = append(b, c)
			} else {
				b = append(b, '_')
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b = append(b, '_')
		i += size
	}
	return string(b)
}

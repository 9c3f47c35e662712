// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strconv"
	"strings"
)

// Numbers of the JSON scanner (see scan.go).

// numberEnd returns the end of the JSON number at s[i], and whether it is an integer
// literal (no fraction, no exponent); end == i if there is no valid number.
func numberEnd(s string, i int) (end int, isInt bool) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && '1' <= s[j] && s[j] <= '9':
		for j++; j < len(s) && isDigit(s[j]); j++ {
		}
	default:
		return i, false
	}
	isInt = true
	if j < len(s) && s[j] == '.' {
		isInt = false
		j++
		if j >= len(s) || !isDigit(s[j]) {
			return i, false
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		isInt = false
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || !isDigit(s[j]) {
			return i, false
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	return j, isInt
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberValue converts the number literal lit (already validated) to a Value. Only a
// literal with an exponent or hundreds of digits can exceed float64's range: only those
// are converted to check it.
func numberValue(lit string, isInt bool) (Value, bool) {
	if isInt {
		if n, ok := atoi64(lit); ok {
			return intLiteral(lit, n), true
		}
	}
	if !floatInRange(lit) {
		return Value{}, false
	}
	return floatLiteral(lit), true
}

func floatInRange(lit string) bool {
	if len(lit) < 300 && !strings.ContainsAny(lit, "eE") {
		return true
	}
	_, err := strconv.ParseFloat(lit, 64)
	return err == nil
}

// atoi64 parses an optionally negative decimal integer without allocating.
func atoi64(s string) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

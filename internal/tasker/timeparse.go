// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamps in Tasker payloads come as ISO-8601 strings (`Time#iso8601`, with or without
// fractional seconds), Ruby `Time#to_s`/`#inspect` strings ("2026-11-22 10:00:00 +0000",
// "2026-11-22 10:00:00.5 UTC"), or unix epoch numbers. All are parsed by hand (no
// time.Parse layouts, no allocation) and returned in UTC: an offset is applied rather
// than kept as a time.Location, which would allocate.

// ParseTime parses a timestamp string in any of the forms above, or a decimal unix epoch
// in a string. A time without a zone is taken as UTC.
func ParseTime(s string) (time.Time, bool) {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		return parseISO(s)
	}
	return parseEpoch(s)
}

// parseISO parses YYYY-MM-DD[(T|t| )hh:mm[:ss[(.|,)fraction]]][ ][zone] where zone is
// Z, z, UTC, GMT, ±hh, ±hhmm or ±hh:mm.
func parseISO(s string) (time.Time, bool) {
	year, ok1 := digitsN(s, 0, 4)
	month, ok2 := digitsN(s, 5, 2)
	day, ok3 := digitsN(s, 8, 2)
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	i := 10
	if i < len(s) && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i+1 < len(s) && isDigit(s[i+1]) {
		i++
		var ok4, ok5 bool
		hour, ok4 = digitsN(s, i, 2)
		minute, ok5 = digitsN(s, i+3, 2)
		if !ok4 || !ok5 || s[i+2] != ':' {
			return time.Time{}, false
		}
		i += 5
		if i < len(s) && s[i] == ':' {
			var ok bool
			if sec, ok = digitsN(s, i+1, 2); !ok {
				return time.Time{}, false
			}
			i += 3
			if i < len(s) && (s[i] == '.' || s[i] == ',') {
				i++
				start := i
				for ; i < len(s) && isDigit(s[i]); i++ {
					if i-start < 9 {
						nsec = nsec*10 + int(s[i]-'0')
					}
				}
				n := i - start
				if n == 0 {
					return time.Time{}, false
				}
				for ; n < 9; n++ {
					nsec *= 10
				}
			}
		}
	}
	offset, ok := parseZone(s[i:])
	if !ok || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	// Seconds since the epoch, by arithmetic (cheaper than time.Date); a leap second
	// rolls into the next minute, as time.Date would normalize it.
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	if unix < minUnix || unix > maxUnix {
		// An offset or a leap second moved the time out of the years 0000-9999 that
		// RFC 3339 (and so every encoder downstream) can represent.
		return time.Time{}, false
	}
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// The range of times parseISO returns: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
var (
	minUnix = daysFromCivil(0, 1, 1) * 86400
	maxUnix = daysFromCivil(10000, 1, 1)*86400 - 1
)

// daysFromCivil returns the days from 1970-01-01 to the given proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseZone parses the zone suffix of parseISO and returns its offset in seconds.
func parseZone(z string) (int, bool) {
	if len(z) > 0 && z[0] == ' ' {
		z = z[1:] // Ruby: "10:00:00 +0000", "10:00:00 UTC"
	}
	switch z {
	case "", "Z", "z", "UTC", "GMT":
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	h, ok := digitsN(z, 1, 2)
	if !ok {
		return 0, false
	}
	m := 0
	switch rest := z[3:]; len(rest) {
	case 0:
	case 2:
		if m, ok = digitsN(rest, 0, 2); !ok {
			return 0, false
		}
	case 3:
		if m, ok = digitsN(rest, 1, 2); !ok || rest[0] != ':' {
			return 0, false
		}
	default:
		return 0, false
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

func digitsN(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return 0, false
		}
		v = v*10 + int(s[k]-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseEpoch parses a non-negative unix epoch: decimal digits with an optional fraction
// (or a JSON number with an exponent). The unit follows the magnitude of the integer
// part: below 1e11 seconds (up to the year 5138), below 1e14 milliseconds, below 1e17
// microseconds, else nanoseconds.
func parseEpoch(lit string) (time.Time, bool) {
	if strings.ContainsAny(lit, "eE") {
		return epochFloat(lit)
	}
	intPart, frac, ok := splitDecimal(lit)
	if !ok {
		return time.Time{}, false
	}
	n, ok := atoi64(intPart)
	if !ok || n < 0 || (intPart[0] == '-') {
		return time.Time{}, false
	}
	var sec, nsec, unit int64
	switch {
	case n < 1e11:
		sec, unit = n, 1e9
	case n < 1e14:
		sec, nsec, unit = n/1e3, n%1e3*1e6, 1e6
	case n < 1e17:
		sec, nsec, unit = n/1e6, n%1e6*1e3, 1e3
	default:
		sec, nsec, unit = n/1e9, n%1e9, 1
	}
	nsec += fracNanos(frac, unit)
	return time.Unix(sec, nsec).UTC(), true
}

func epochFloat(lit string) (time.Time, bool) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 0 || f >= 9.2e18 || math.IsNaN(f) {
		return time.Time{}, false
	}
	var unit float64
	switch {
	case f < 1e11:
		unit = 1e9
	case f < 1e14:
		unit = 1e6
	case f < 1e17:
		unit = 1e3
	default:
		unit = 1
	}
	sec, frac := math.Modf(f * unit / 1e9)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
}

// splitDecimal splits "123.456" into "123" and "456"; the integer part is required and
// may carry a minus sign, the fraction may not be empty when there is a point.
func splitDecimal(lit string) (intPart, frac string, ok bool) {
	intPart = lit
	if i := strings.IndexByte(lit, '.'); i >= 0 {
		intPart, frac = lit[:i], lit[i+1:]
		if frac == "" {
			return "", "", false
		}
		for k := 0; k < len(frac); k++ {
			if !isDigit(frac[k]) {
				return "", "", false
			}
		}
	}
	digits := strings.TrimPrefix(intPart, "-")
	if digits == "" {
		return "", "", false
	}
	for k := 0; k < len(digits); k++ {
		if !isDigit(digits[k]) {
			return "", "", false
		}
	}
	return intPart, frac, true
}

// fracNanos converts the fraction digits of a quantity in unit (nanoseconds per unit)
// to nanoseconds, exactly; digits below a nanosecond are dropped.
func fracNanos(frac string, unit int64) int64 {
	var ns int64
	scale := unit
	for k := 0; k < len(frac); k++ {
		scale /= 10
		if scale == 0 {
			break
		}
		ns += int64(frac[k]-'0') * scale
	}
	return ns
}

// durationProblem explains why parseDuration failed.
type durationProblem uint8

const (
	durOK durationProblem = iota
	durNotNumber
	durRange
)

// parseDuration parses a signed decimal quantity (a JSON number literal or a numeric string)
// of unit nanoseconds (1e9: seconds, 1e6: milliseconds) exactly, in one pass; a
// literal with an exponent goes through float64.
func parseDuration(lit string, unit int64) (time.Duration, durationProblem) {
	if len(lit) > 0 && (lit[0] == ' ' || lit[len(lit)-1] == ' ') {
		lit = strings.TrimSpace(lit)
	}
	i, neg := 0, false
	if len(lit) > 0 && lit[0] == '-' {
		i, neg = 1, true
	}
	start := i
	var n int64
	overflow := false
	for ; i < len(lit) && isDigit(lit[i]); i++ {
		if n > (math.MaxInt64-9)/10 {
			overflow = true
		}
		n = n*10 + int64(lit[i]-'0')
	}
	if i == start {
		return 0, durNotNumber
	}
	var frac int64
	if i < len(lit) && lit[i] == '.' {
		i++
		fs := i
		for scale := unit; i < len(lit) && isDigit(lit[i]); i++ {
			scale /= 10
			frac += int64(lit[i]-'0') * scale
		}
		if i == fs {
			return 0, durNotNumber
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		return durationFloat(lit, unit)
	}
	switch {
	case i != len(lit):
		return 0, durNotNumber
	case overflow || n > (math.MaxInt64-frac)/unit:
		return 0, durRange
	case neg:
		return -time.Duration(n*unit + frac), durOK
	}
	return time.Duration(n*unit + frac), durOK
}

func durationFloat(lit string, unit int64) (time.Duration, durationProblem) {
	if end, _ := numberEnd(lit, 0); end != len(lit) {
		return 0, durNotNumber
	}
	f, err := strconv.ParseFloat(lit, 64)
	switch {
	case err != nil:
		return 0, durRange
	}
	ns := math.Round(f * float64(unit))
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, durRange
	}
	return time.Duration(ns), durOK
}

// The times an OpenTelemetry timestamp (int64 nanoseconds since the epoch) can hold.
var (
	minNano = time.Unix(0, math.MinInt64).UTC()
	maxNano = time.Unix(0, math.MaxInt64).UTC()
)

// InNanoRange reports whether t fits an int64 of nanoseconds since the epoch
// (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z). A time outside it
// would wrap into another century when converted to pdata.
func InNanoRange(t time.Time) bool { return !t.Before(minNano) && !t.After(maxNano) }

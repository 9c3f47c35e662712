// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TimeFormatter appends timestamps exactly as AppendTimestamp does (RFC 3339, UTC,
// nanoseconds with trailing zeros trimmed) but remembers the date-and-time part of the
// last two seconds it formatted (items carry a time and a start time), so a batch whose
// items fall in the same seconds formats the calendar once. Not safe for concurrent
// use; keep one per encoder.
type TimeFormatter struct {
	slot [2]timeSlot
	next int
}

type timeSlot struct {
	sec    int64
	prefix [19]byte // 2006-01-02T15:04:05
	valid  bool
}

// Append appends ts; a zero timestamp appends nothing.
func (f *TimeFormatter) Append(dst []byte, ts pcommon.Timestamp) []byte {
	if ts == 0 {
		return dst
	}
	ns := int64(ts)
	if ns < 0 {
		return AppendTimestamp(dst, ts)
	}
	sec, frac := ns/1e9, ns%1e9
	var s *timeSlot
	switch {
	case f.slot[0].valid && f.slot[0].sec == sec:
		s = &f.slot[0]
	case f.slot[1].valid && f.slot[1].sec == sec:
		s = &f.slot[1]
	default:
		t := ts.AsTime().UTC()
		if t.Year() > 9999 {
			return AppendTimestamp(dst, ts)
		}
		s = &f.slot[f.next]
		f.next ^= 1
		t.AppendFormat(s.prefix[:0], "2006-01-02T15:04:05")
		s.sec, s.valid = sec, true
	}
	dst = append(dst, s.prefix[:]...)
	dst = AppendFraction(dst, frac, 9)
	return append(dst, 'Z')
}

// AppendFraction appends frac, a count of 10^-digits (1 <= digits <= 9, 0 <= frac <
// 10^digits), as a dot and the digits without trailing zeros: 250000 of 6 digits is
// ".25". A zero frac appends nothing.
func AppendFraction(dst []byte, frac int64, digits int) []byte {
	if frac == 0 {
		return dst
	}
	if digits < 9 {
		frac *= pow10[9-digits] // as nanoseconds
	}
	// Whole milli- and microseconds are common: drop their zeros before the digit loop.
	n := 9
	switch {
	case frac%1e6 == 0:
		frac, n = frac/1e6, 3
	case frac%1e3 == 0:
		frac, n = frac/1e3, 6
	}
	for frac%10 == 0 {
		frac /= 10
		n--
	}
	l := len(dst)
	dst = slices.Grow(dst, n+1)[:l+n+1]
	b := dst[l:]
	b[0] = '.'
	for i := n; i >= 1; i-- {
		b[i] = byte('0' + frac%10)
		frac /= 10
	}
	return dst
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strconv"
	"strings"
	"time"
)

// The conversions of parser.finish: one per kind of Event field, each reporting a
// value that does not convert through parser.bad. And deriveName, the name of a log
// line that names no event.

// str converts a string slot; numbers are taken as their literal text.
func (p *parser) str(sl *slot) string {
	if !sl.set {
		return ""
	}
	switch sl.val.kind {
	case KindString, KindInt, KindFloat:
		return sl.val.str
	}
	p.bad(sl, "must be a string, got "+describe(sl.val))
	return ""
}

// id converts an id: a string as is, a number in canonical decimal.
func (p *parser) id(sl *slot) string {
	if !sl.set {
		return ""
	}
	v := sl.val
	switch v.kind {
	case KindString:
		return v.str
	case KindInt:
		if v.str == "-0" {
			return "0"
		}
		return v.str // a JSON integer literal is canonical: no sign, no leading zeros
	case KindFloat:
		if f := v.Float(); f > -1<<63 && f < 1<<63 && f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		p.bad(sl, "must be an integer or a string, got "+v.str)
		return ""
	}
	p.bad(sl, "must be an integer or a string, got "+describe(v))
	return ""
}

// count converts a non-negative integer: a number or a numeric string.
func (p *parser) count(sl *slot) (int64, bool) {
	if !sl.set {
		return 0, false
	}
	v := sl.val
	var n int64
	switch v.kind {
	case KindInt:
		n = v.Int()
	case KindFloat:
		f := v.Float()
		if f <= -1<<63 || f >= 1<<63 || f != float64(int64(f)) {
			p.bad(sl, "must be an integer, got "+v.str)
			return 0, false
		}
		n = int64(f)
	case KindString:
		var ok bool
		if n, ok = atoi64(strings.TrimSpace(v.str)); !ok {
			p.bad(sl, "must be an integer, got "+quoteShort(v.str))
			return 0, false
		}
	default:
		p.bad(sl, "must be an integer, got "+describe(v))
		return 0, false
	}
	if n < 0 {
		p.bad(sl, "must not be negative, got "+strconv.FormatInt(n, 10))
		return 0, false
	}
	return n, true
}

// duration converts a quantity of unit (nanoseconds): a number or a numeric string. It
// may be negative: the executor's `execution_duration` is processed_at - updated_at,
// which Tasker computes as a small negative number (step_executor.rb:481-485).
func (p *parser) duration(sl *slot, unit int64) (time.Duration, bool) {
	if !sl.set {
		return 0, false
	}
	v := sl.val
	const what = "seconds"
	switch v.kind {
	case KindInt, KindFloat, KindString:
		d, problem := parseDuration(v.str, unit)
		switch problem {
		case durOK:
			return d, true
		case durRange:
			p.bad(sl, "is out of range, got "+v.str)
		default:
			p.bad(sl, "must be a number of "+what+", got "+quoteShort(v.str))
		}
		return 0, false
	}
	p.bad(sl, "must be a number of "+what+", got "+describe(v))
	return 0, false
}

// seconds is the number of a duration slot that duration accepted (ok), as written:
// the double nearest to its decimal, with no time.Duration round trip.
func seconds(sl *slot, ok bool) float64 {
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(sl.val.str), 64)
	if err != nil {
		return 0
	}
	return f
}

// time converts a timestamp: a string (see ParseTime) or a unix epoch number.
func (p *parser) time(sl *slot) time.Time {
	if !sl.set {
		return time.Time{}
	}
	v := sl.val
	switch v.kind {
	case KindString:
		if t, ok := ParseTime(strings.TrimSpace(v.str)); ok {
			if InNanoRange(t) {
				return t
			}
			p.bad(sl, "time "+quoteShort(v.str)+" is outside the nanosecond timestamps of OpenTelemetry (1677-09-21 to 2262-04-11)")
			return time.Time{}
		}
		p.bad(sl, "unrecognized time "+quoteShort(v.str)+" (expected ISO 8601, Ruby Time#to_s or unix epoch)")
	case KindInt, KindFloat:
		if t, ok := parseEpoch(v.str); ok && InNanoRange(t) {
			return t
		}
		p.bad(sl, "unix epoch out of range, got "+v.str+" (nanosecond timestamps span 1677-09-21 to 2262-04-11)")
	default:
		p.bad(sl, "must be a time string or a unix epoch number, got "+describe(v))
	}
	return time.Time{}
}

// backtrace converts an array of strings, or one string of newline-separated lines.
func (p *parser) backtrace(sl *slot) []string {
	if !sl.set {
		return nil
	}
	v := sl.val
	switch v.kind {
	case KindString:
		lines := strings.Split(strings.TrimRight(v.str, "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, "\r")
		}
		return lines
	case KindRaw:
		if out, ok := stringArray(v.str); ok {
			return out
		}
	}
	p.bad(sl, "must be an array of strings, got "+describe(v))
	return nil
}

// stringArray decodes a JSON array of strings (nulls skipped).
func stringArray(raw string) ([]string, bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i = skipWS(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return []string{}, true
	}
	out := make([]string, 0, 1+strings.Count(raw, ","))
	for {
		var v Value
		var err *ParseError
		if v, i, err = readValue(raw, i, 1); err != nil {
			return nil, false
		}
		switch v.kind {
		case KindString:
			out = append(out, v.str)
		case KindNull:
		default:
			return nil, false
		}
		i = skipWS(raw, i)
		switch {
		case i >= len(raw):
			return nil, false
		case raw[i] == ',':
			i = skipWS(raw, i+1)
		case raw[i] == ']':
			return out, true
		default:
			return nil, false
		}
	}
}

// deriveName names the event of a log line that names none, from its `entity_type`:
// Tasker's `log_task_event`/`log_step_event` types map to the catalog (`Task started` is
// task.start_requested, `Step backoff` observability.step.backoff, `Step completed`
// step.completed, ...); other entities give "<entity_type>[.<operation>][.<event_type>]",
// e.g. orchestration.step_batch_execution.started or performance.sql_query.
func deriveName(entityType, operation, eventType string) string {
	switch entityType {
	case "task":
		switch eventType {
		case "started":
			return "task.start_requested"
		case "enqueued", "enqueue":
			return "observability.task.enqueue"
		}
		operation = ""
	case "step":
		switch eventType {
		case "started":
			return "step.execution_requested"
		case "backoff":
			return "observability.step.backoff"
		}
		operation = ""
	}
	var buf [96]byte
	b := append(buf[:0], entityType...)
	if operation != "" {
		b = append(append(b, '.'), operation...)
	}
	if eventType != "" {
		b = append(append(b, '.'), eventType...)
	}
	if in, ok := byName[string(b)]; ok {
		return in.Name // interned: no allocation for cataloged names
	}
	return string(b)
}

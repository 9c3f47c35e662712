// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
)

// Log severities, in Ruby Logger's order.
type severity int

const (
	sevDebug severity = iota
	sevInfo
	sevWarn
	sevError
)

var sevNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR"}

func parseSeverity(s string) (severity, error) {
	for i, n := range sevNames {
		if strings.EqualFold(s, n) {
			return severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

var (
	sf = simulate.String
	nf = simulate.Int
)

// taskerVersion is what Tasker's structured logs write as tasker_version.
const taskerVersion = "0.1.0"

// logEncoder renders the log entries of the simulation as Tasker's StructuredLogging
// (and ActiveJob, and plain Rails.logger calls) write them through the Rails logger
// (tasker-reference §7.1).
type logEncoder struct {
	format   string // json, logfmt, pretty
	prefix   bool
	pid      int // of the web process; worker k has pid+k
	env      string
	minLevel severity

	stamps stamper
	fields []simulate.Field
	body   []byte
	pretty bytes.Buffer
}

// logName is what the summary counts a log entry under: a structured record's
// message, or "plain" for a plain entry.
func logName(it *simulate.Item) string {
	if it.Log.Plain {
		return "plain"
	}
	return it.Log.Text
}

// logFields builds a structured record: Tasker's header, then the record's fields
// (a key that repeats a header key replaces its value in place, as Hash#merge).
func (e *logEncoder) logFields(it *simulate.Item) []simulate.Field {
	l := it.Log
	f := append(e.fields[:0], simulate.Time("timestamp", it.Time, 3), sf("correlation_id", l.Corr),
		sf("component", l.Component), sf("message", l.Text), sf("environment", e.env),
		sf("tasker_version", taskerVersion), nf("process_id", int64(e.pid+l.Process)), sf("thread_id", l.ThreadID))
	header := len(f)
next:
	for _, x := range l.Fields {
		for k := range header {
			if f[k].Key == x.Key {
				f[k] = x
				continue next
			}
		}
		f = append(f, x)
	}
	e.fields = f
	return f
}

// appendPrefix appends Ruby Logger::Formatter's prefix:
// "I, [2026-11-22T10:00:00.123456 #1234]  INFO -- : ".
func appendPrefix(b []byte, sev severity, t time.Time, pid int) []byte {
	name := sevNames[sev]
	b = append(b, name[0], ',', ' ', '[')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000")
	b = append(b, " #"...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, "] "...)
	for range 5 - len(name) {
		b = append(b, ' ')
	}
	b = append(b, name...)
	return append(b, " -- : "...)
}

// stamper gives the times the logger stamps on lines: the event's time plus a few
// microseconds (payload timestamps have milliseconds), never decreasing along the
// file, derived from the stream alone so that the output stays deterministic.
type stamper struct {
	last time.Time
	n    uint64
}

func (s *stamper) stamp(t time.Time) time.Time {
	s.n = s.n*6364136223846793005 + 1442695040888963407
	step := time.Duration(1+(s.n>>33)%97) * time.Microsecond
	ms := t.Truncate(time.Millisecond)
	var out time.Time
	if s.last.Truncate(time.Millisecond).Equal(ms) {
		out = s.last.Add(step)
		if out.Sub(ms) >= time.Millisecond {
			out = ms.Add(999 * time.Microsecond)
		}
	} else {
		out = ms.Add(step)
	}
	if out.Before(s.last) {
		out = s.last
	}
	s.last = out
	return out
}

// encode appends it's log entry (one line, or several for pretty records and
// multi-line messages; prefix and tags on the first) with its newline. ok is false
// when it has no entry or the entry is below the minimum level.
func (e *logEncoder) encode(b []byte, it *simulate.Item) ([]byte, bool) {
	l := it.Log
	if l == nil || severity(l.Level) < e.minLevel {
		return b, false
	}
	if e.prefix {
		b = appendPrefix(b, severity(l.Level), e.stamps.stamp(it.Time), e.pid+l.Process)
	}
	b = append(b, l.Tags...)
	if l.Plain {
		b = append(b, l.Text...)
		return append(b, '\n'), true
	}
	f := e.logFields(it)
	switch e.format {
	case "logfmt":
		b = appendLogfmt(b, f)
	case "pretty":
		e.body = simulate.AppendObject(e.body[:0], "", "", f)
		e.pretty.Reset()
		_ = json.Indent(&e.pretty, e.body, "", "  ") // valid JSON by construction
		b = append(b, e.pretty.Bytes()...)
	default:
		b = simulate.AppendObject(b, "", "", f)
	}
	return append(b, '\n'), true
}

// appendLogfmt writes Tasker's logfmt: key=value, strings in double quotes without
// escaping, numbers and booleans bare, nil empty, arrays in Ruby's inspect form.
func appendLogfmt(b []byte, f []simulate.Field) []byte {
	for i := range f {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f[i].Key...)
		b = append(b, '=')
		v := &f[i].Value
		switch v.Kind {
		case simulate.KindString:
			b = append(b, '"')
			b = append(b, v.Str...)
			b = append(b, '"')
		case simulate.KindStrings, simulate.KindInts:
			b = append(b, '[')
			for k, s := range v.Strings() {
				if k > 0 {
					b = append(b, ", "...)
				}
				if v.Kind == simulate.KindInts {
					b = append(b, s...)
				} else {
					b = simulate.AppendString(b, s)
				}
			}
			b = append(b, ']')
		case simulate.KindNull:
		default:
			b = v.AppendJSON(b)
		}
	}
	return b
}

// plainLines makes the non-Tasker lines a Rails app writes between Tasker's.
type plainLines struct {
	rng *rand.Rand
	n   int
}

func newPlainLines(seed uint64) *plainLines {
	return &plainLines{rng: rand.New(rand.NewPCG(seed, 0x9a1e))}
}

func (p *plainLines) next(t time.Time) string {
	p.n++
	r := p.rng
	switch r.IntN(6) {
	case 0:
		return "[Tasker::MetricsBackend] Cache strategy selected: redis (distributed_atomic)"
	case 1:
		return fmt.Sprintf("Started POST \"/tasker/tasks\" for 10.0.%d.%d at %s", r.IntN(256), r.IntN(256),
			t.UTC().Format("2006-01-02 15:04:05 -0700"))
	case 2:
		return "Processing by Tasker::TasksController#create as JSON"
	case 3:
		return fmt.Sprintf("Completed 201 Created in %dms (Views: 0.4ms | ActiveRecord: %d.%dms | Allocations: %d)",
			3+r.IntN(40), r.IntN(10), r.IntN(10), 500+r.IntN(5000))
	case 4:
		return fmt.Sprintf("Performing Tasker::TaskRunnerJob (Job ID: %08x-%04x-4%03x-a%03x-%012x) from Async(default)",
			r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()>>16)
	}
	return fmt.Sprintf("  TRANSACTION (%d.%dms)  COMMIT", r.IntN(3), r.IntN(10))
}

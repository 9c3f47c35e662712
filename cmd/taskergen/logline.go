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

// taskerVersion is what Tasker's structured logs write as tasker_version.
const taskerVersion = "0.1.0"

// logEncoder renders events as the lines Tasker's StructuredLogging writes through the
// Rails logger (tasker-reference §7).
type logEncoder struct {
	format    string // json, logfmt, pretty
	prefix    bool
	pid       int
	env       string
	minLevel  severity
	stringIDs bool

	stamps stamper
	fields []simulate.Field
	body   []byte
	pretty bytes.Buffer
}

// severityOf is the level a Tasker line for ev is logged at: orchestration lines at
// debug (log_orchestration_event), failures at error, retries and backoffs at warn,
// the rest at info.
func severityOf(ev *simulate.Event) severity {
	switch {
	case ev.Entity() == "orchestration":
		return sevDebug
	case ev.Name == simulate.StepFailed || ev.Name == simulate.TaskFailed:
		return sevError
	case ev.Name == simulate.StepRetryRequested || ev.Name == simulate.StepBackoff:
		return sevWarn
	}
	return sevInfo
}

// logName is the event name a reader of the log line derives (internal/tasker's
// ParseLogLine): the event's own name for task and step lines, whose message and
// event_type map back to it, and "orchestration.<operation>" for orchestration lines.
func logName(ev *simulate.Event) string {
	if ev.Entity() == "orchestration" {
		return "orchestration." + strings.TrimPrefix(ev.Name, "workflow.")
	}
	return ev.Name
}

// eventType is the event_type of a task or step log line, and its message suffix.
func eventType(name string) string {
	switch name {
	case simulate.TaskEnqueue:
		return "enqueued"
	case simulate.TaskStartRequested, simulate.StepExecutionRequested:
		return "started"
	case simulate.StepBackoff:
		return "backoff"
	}
	return name[strings.IndexByte(name, '.')+1:]
}

func component(name string) string {
	switch name {
	case simulate.TaskInitializeRequested, simulate.TaskEnqueue:
		return "task_initializer"
	case simulate.TaskStartRequested:
		return "task_runner_job"
	case simulate.TaskCompleted, simulate.TaskFailed, simulate.WorkflowFinalizationStarted, simulate.WorkflowFinalizationCompleted:
		return "task_finalizer"
	case simulate.StepBackoff:
		return "backoff_calculator"
	case simulate.WorkflowViableStepsDiscovered:
		return "viable_step_discovery"
	case simulate.WorkflowTaskReenqueueDelayed:
		return "task_reenqueuer"
	}
	if strings.HasPrefix(name, "step.") {
		return "step_executor"
	}
	return "workflow_coordinator"
}

func performanceCategory(d time.Duration) string {
	switch {
	case d <= 100*time.Millisecond:
		return "fast"
	case d <= time.Second:
		return "moderate"
	case d <= 5*time.Second:
		return "slow"
	}
	return "very_slow"
}

func (e *logEncoder) id(k string, v int64) simulate.Field {
	if e.stringIDs {
		return simulate.String(k, strconv.FormatInt(v, 10))
	}
	return simulate.Int(k, v)
}

var (
	sf = simulate.String
	nf = simulate.Int
	ff = simulate.Float
)

// logFields builds the structured payload of ev's log line, in Tasker's order.
func (e *logEncoder) logFields(ev *simulate.Event) []simulate.Field {
	f := e.fields[:0]
	f = append(f, simulate.Time("timestamp", ev.Time, 3),
		sf("correlation_id", ev.CorrelationID), sf("component", component(ev.Name)))
	entity := ev.Entity()
	typ := ""
	switch entity {
	case "task", "step":
		typ = eventType(ev.Name)
		f = append(f, sf("message", strings.ToUpper(entity[:1])+entity[1:]+" "+typ))
	default:
		typ = strings.TrimPrefix(ev.Name, "workflow.")
		f = append(f, sf("message", "Orchestration "+typ))
	}
	f = append(f, sf("environment", e.env), sf("tasker_version", taskerVersion), nf("process_id", int64(e.pid)),
		sf("thread_id", ev.ThreadID))
	terminal := ev.Name == simulate.StepCompleted || ev.Name == simulate.StepFailed ||
		ev.Name == simulate.TaskCompleted || ev.Name == simulate.TaskFailed
	switch entity {
	case "task":
		f = append(f, sf("entity_type", "task"), e.id("entity_id", ev.TaskID), sf("entity_name", ev.TaskName),
			sf("event_type", typ), sf("task_status", ev.Status))
		if terminal && ev.HasDuration {
			f = append(f, ff("duration_ms", float64(ev.Duration.Milliseconds())))
		}
		f = e.identity(f, ev)
		f = append(f, nf("total_steps", int64(ev.TotalSteps)))
		if ev.Failure != nil {
			f = append(f, sf("error_message", ev.Failure.ErrorMessage))
		}
	case "step":
		f = append(f, sf("entity_type", "step"), e.id("entity_id", ev.StepID), sf("entity_name", ev.StepName),
			sf("event_type", typ), sf("step_status", ev.Status), e.id("task_id", ev.TaskID), sf("task_name", ev.TaskName))
		if terminal && ev.HasDuration {
			f = append(f, ff("duration_ms", float64(ev.Duration.Milliseconds())),
				sf("performance_category", performanceCategory(ev.Duration)))
		}
		f = append(f, e.id("step_id", ev.StepID), nf("attempt_number", int64(ev.Attempt)), nf("retry_limit", int64(ev.RetryLimit)))
		f = e.identity(f, ev)
		if ev.Name == simulate.StepBackoff {
			if v, ok := simulate.Get(ev.Fields, "backoff_seconds"); ok {
				f = append(f, simulate.Field{Key: "backoff_seconds", Value: v})
			}
		}
		if ev.Failure != nil {
			f = append(f, sf("exception_class", ev.Failure.ErrorClass), sf("error_message", ev.Failure.ErrorMessage),
				simulate.Strings("backtrace", ev.Failure.Backtrace))
		}
	default:
		f = append(f, sf("entity_type", "orchestration"), sf("operation", typ), e.id("task_id", ev.TaskID))
		for _, k := range []string{"step_count", "processed_count", "successful_count", "reason", "final_status"} {
			if v, ok := simulate.Get(ev.Fields, k); ok {
				f = append(f, simulate.Field{Key: k, Value: v})
			}
		}
	}
	e.fields = f
	return f
}

func (e *logEncoder) identity(f []simulate.Field, ev *simulate.Event) []simulate.Field {
	if ev.Namespace != "" {
		f = append(f, sf("namespace", ev.Namespace))
	}
	if ev.Version != "" {
		f = append(f, sf("version", ev.Version))
	}
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

// encode appends ev's log record (one line, or several for pretty) with its newline.
// ok is false when the line is below the minimum level.
func (e *logEncoder) encode(b []byte, ev *simulate.Event) ([]byte, bool) {
	sev := severityOf(ev)
	if sev < e.minLevel {
		return b, false
	}
	if e.prefix {
		b = appendPrefix(b, sev, e.stamps.stamp(ev.Time), e.pid)
	}
	f := e.logFields(ev)
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

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strconv"
	"time"
)

// Event is one Tasker event in normalized form, whatever it came from: an event payload
// posted over HTTP (ParseEvent, ParseBatch) or a structured log line (ParseLogLine).
//
// Strings are substrings of the parsed input where no unescaping was needed, so an Event
// keeps its input alive; copy the strings (strings.Clone) to keep an Event for long.
// Times are in UTC. Zero values mean "absent" unless a Has* field says otherwise.
type Event struct {
	// Name is the event name (`task.completed`, `order.shipped`, ...). It comes from the
	// `event`, `event_name` or (events only) `name` key; for log lines that carry no such
	// key it is derived from `entity_type`/`operation`/`event_type` (see ParseLogLine). A
	// Tasker log line that names no event at all has an empty Name.
	Name string
	// Time is when the event happened: `timestamp`, `@timestamp` or `time`; for log lines
	// without one, the time of the Rails logger prefix. Zero if absent.
	Time time.Time

	// EventType is Tasker's `event_type` (completed, failed, custom, backoff, ...) and
	// EntityType the log field `entity_type` (task, step, orchestration, exception, ...).
	EventType  string
	EntityType string

	TaskID    string // `task_id`, or `entity_id` of a task log; numbers in canonical decimal
	TaskName  string // `task_name`, or `entity_name` of a task log
	StepID    string // `step_id`/`workflow_step_id`, or `entity_id` of a step log
	StepName  string // `step_name`, or `entity_name` of a step log
	Namespace string // `namespace`, `namespace_name`, `task_namespace` (Tasker's own payloads carry none)
	Version   string // `task_version`, `version`

	Attempt       int64 // `attempt_number`, `attempt`, `attempts`
	HasAttempt    bool
	RetryLimit    int64 // `retry_limit`
	HasRetryLimit bool

	// ExecutionDuration is `execution_duration` (seconds) as Tasker computed it: ~0 from
	// the payload builder, processed_at - updated_at (negative) from the step executor.
	// It is not a run time; `duration_ms` and `duration` stay in the payload.
	ExecutionDuration    time.Duration
	HasExecutionDuration bool
	// TotalDuration is a task's `total_execution_duration` (seconds).
	TotalDuration    time.Duration
	HasTotalDuration bool
	// ExecutionSeconds and TotalSeconds are the same two numbers as Tasker wrote them
	// (the double nearest to the decimal), for attributes: 1.273 stays 1.273, where
	// time.Duration's Seconds() gives 1.2730000000000001. Set with the Has flags.
	ExecutionSeconds, TotalSeconds float64

	FromState string // `from_state` (state-machine events only)
	ToState   string // `to_state`

	// ErrorClass is `error_class`; `exception_class` only on log_exception's lines
	// (entity_type exception), since Tasker's payloads always say StandardError there.
	ErrorClass   string
	ErrorMessage string   // `error_message`, `exception_message`, `error` (when a string)
	Backtrace    []string // `backtrace`: an array of strings, or one string split at newlines

	CorrelationID string // `correlation_id`

	Host string // `hostname`, `host`
	PID  int64  // `process_id`, `pid`, or the pid of the Rails logger prefix; 0 if absent

	StartedAt   time.Time // `started_at`
	CompletedAt time.Time // `completed_at`

	// Message is the log message (`message`, `msg`). For a line ParseLogLine reports as
	// plain it is the text after the Rails logger prefix (the whole line without one).
	Message string
	// LogSeverity is the severity the source stated: the Rails logger prefix, or a
	// `level`/`severity` field. Zero if none; see Severity for the one to use.
	LogSeverity Severity

	// Payload holds every other field, in input order, keys as they appear. Fields of a
	// nested `payload` object are merged into the top level (one level deep).
	Payload []Field
}

// Info returns the catalog entry of the event's name (see Lookup).
func (e *Event) Info() Info { return Lookup(e.Name) }

// Severity is the severity to record the event with. For a cataloged event it is the
// higher of the catalog default and LogSeverity: Tasker logs `Step failed` at INFO, and
// the event is an error whatever the logger said. For other names the source's
// severity wins when there is one, else the default derived from the name.
func (e *Event) Severity() Severity {
	info := Lookup(e.Name)
	switch {
	case e.LogSeverity == SeverityUnset:
		return info.Severity
	case !info.Known:
		return e.LogSeverity
	default:
		return max(e.LogSeverity, info.Severity)
	}
}

// Field is one payload field.
type Field struct {
	Key   string
	Value Value
}

// Kind is the type of a Value.
type Kind uint8

// Value kinds.
const (
	KindNull   Kind = iota // JSON null, an empty logfmt value
	KindString             // a string
	KindInt                // an integer that fits int64
	KindFloat              // any other number
	KindBool               // true or false
	KindRaw                // an object or an array, as compact JSON text
)

var kindNames = [...]string{"null", "string", "int", "float", "bool", "raw"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a typed payload value. Numbers keep their literal text (Text), so they can be
// re-emitted exactly as received.
type Value struct {
	str  string // string, raw JSON, or the literal of a number
	num  uint64 // int64 bits, or 0/1 for a bool
	kind Kind
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{kind: KindString, str: s} }

// IntValue returns an integer Value.
func IntValue(n int64) Value {
	return Value{kind: KindInt, num: uint64(n), str: strconv.FormatInt(n, 10)}
}

// FloatValue returns a number Value.
func FloatValue(f float64) Value {
	return Value{kind: KindFloat, str: strconv.FormatFloat(f, 'g', -1, 64)}
}

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value {
	if b {
		return Value{kind: KindBool, num: 1}
	}
	return Value{kind: KindBool}
}

// NullValue returns the null Value (the zero Value).
func NullValue() Value { return Value{} }

// RawValue returns a Value holding an object or array as JSON text. The text is not
// checked.
func RawValue(json string) Value { return Value{kind: KindRaw, str: json} }

func intLiteral(lit string, n int64) Value { return Value{kind: KindInt, num: uint64(n), str: lit} }

// floatLiteral keeps a validated, in-range number literal; Float converts it when
// asked, so numbers that end up in Event fields (durations) are never converted twice.
func floatLiteral(lit string) Value { return Value{kind: KindFloat, str: lit} }

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// Str returns the string of a KindString value, else "".
func (v Value) Str() string {
	if v.kind == KindString {
		return v.str
	}
	return ""
}

// Int returns the integer of a KindInt value, else 0.
func (v Value) Int() int64 {
	if v.kind == KindInt {
		return int64(v.num)
	}
	return 0
}

// Float returns the number of a KindInt or KindFloat value, else 0.
func (v Value) Float() float64 {
	switch v.kind {
	case KindInt:
		return float64(int64(v.num))
	case KindFloat:
		f, _ := strconv.ParseFloat(v.str, 64) // a valid literal, checked in range when parsed
		return f
	}
	return 0
}

// Bool returns the boolean of a KindBool value, else false.
func (v Value) Bool() bool { return v.kind == KindBool && v.num == 1 }

// Raw returns the JSON text of a KindRaw value, else "".
func (v Value) Raw() string {
	if v.kind == KindRaw {
		return v.str
	}
	return ""
}

// Text returns v as text: a string as is, a number as its literal, true/false, the JSON
// of an object or array, and "" for null.
func (v Value) Text() string {
	switch v.kind {
	case KindBool:
		if v.num == 1 {
			return "true"
		}
		return "false"
	case KindNull:
		return ""
	}
	return v.str
}

// String formats v for debugging: strings quoted, everything else as Text.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return strconv.Quote(v.str)
	case KindNull:
		return "null"
	}
	return v.Text()
}

// Severity is a log severity. The values are those of OpenTelemetry's SeverityNumber
// (plog.SeverityNumber), so a receiver converts with a plain type conversion.
type Severity int32

// Severities.
const (
	SeverityUnset Severity = 0
	SeverityTrace Severity = 1
	SeverityDebug Severity = 5
	SeverityInfo  Severity = 9
	SeverityWarn  Severity = 13
	SeverityError Severity = 17
	SeverityFatal Severity = 21
)

func (s Severity) String() string {
	switch s {
	case SeverityUnset:
		return ""
	case SeverityTrace:
		return "TRACE"
	case SeverityDebug:
		return "DEBUG"
	case SeverityInfo:
		return "INFO"
	case SeverityWarn:
		return "WARN"
	case SeverityError:
		return "ERROR"
	case SeverityFatal:
		return "FATAL"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// ParseSeverity reads a level name, case-insensitively: trace, debug, info, notice, warn,
// warning, error, err, fatal, critical, crit, panic, emerg, alert. Ruby's UNKNOWN and ANY,
// and anything else, give ok=false.
func ParseSeverity(s string) (Severity, bool) {
	if len(s) == 0 || len(s) > 8 {
		return SeverityUnset, false
	}
	var buf [8]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(s)]) {
	case "trace":
		return SeverityTrace, true
	case "debug":
		return SeverityDebug, true
	case "info", "notice":
		return SeverityInfo, true
	case "warn", "warning":
		return SeverityWarn, true
	case "error", "err":
		return SeverityError, true
	case "fatal", "critical", "crit", "panic", "emerg", "alert":
		return SeverityFatal, true
	}
	return SeverityUnset, false
}

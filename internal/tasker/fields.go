// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"math/bits"
	"time"
)

// How fields become an Event. Every (key, value) pair that JSON or logfmt yields goes
// through parser.assign: a key that names an Event field (an alias) fills that field's
// slot, any other key goes to the payload. Several aliases may name one field
// (`exception_class`, `error_class`); the best-ranked one wins and the others stay in
// the payload. Slots are converted and checked once the whole object is read
// (parser.finish), so the conversion does not depend on the key order.

type slotID uint8

const (
	sName slotID = iota
	sTime
	sEventType
	sEntityType
	sEntityID
	sEntityName
	sTaskID
	sTaskName
	sStepID
	sStepName
	sNamespace
	sVersion
	sAttempt
	sRetryLimit
	sExecDur
	sTotalDur
	sFromState
	sToState
	sErrClass
	sErrMsg
	sBacktrace
	sCorrelation
	sHost
	sPID
	sStartedAt
	sCompletedAt
	sMessage
	sLevel
	numSlots
)

var _ [32 - numSlots]struct{} // parser.set has a bit per slot

type alias struct {
	slot slotID
	rank int8 // lower is better
	// lenient: a value that does not convert stays in the payload instead of failing
	// the event. Used for generic keys (`time`, `error`, `host`, ...) that custom
	// payloads may use for something else.
	lenient bool
}

// lookupAlias maps a key to the Event field it names. `name` names the event only in
// event payloads: in a log line it is ordinary context.
func lookupAlias(key string, log bool) (alias, bool) {
	switch key {
	case "event":
		return alias{slot: sName}, true
	case "event_name":
		return alias{slot: sName, rank: 1}, true
	case "name":
		if log {
			return alias{}, false
		}
		return alias{slot: sName, rank: 2}, true
	case "timestamp":
		return alias{slot: sTime}, true
	case "@timestamp":
		return alias{slot: sTime, rank: 1}, true
	case "time":
		return alias{slot: sTime, rank: 2, lenient: true}, true
	case "event_type":
		return alias{slot: sEventType}, true
	case "entity_type":
		return alias{slot: sEntityType}, true
	case "entity_id":
		return alias{slot: sEntityID}, true
	case "entity_name":
		return alias{slot: sEntityName}, true
	case "task_id":
		return alias{slot: sTaskID}, true
	case "task_name":
		return alias{slot: sTaskName}, true
	case "step_id":
		return alias{slot: sStepID}, true
	case "workflow_step_id":
		return alias{slot: sStepID, rank: 1}, true
	case "step_name":
		return alias{slot: sStepName}, true
	case "namespace":
		return alias{slot: sNamespace, lenient: true}, true
	case "namespace_name":
		return alias{slot: sNamespace, rank: 1}, true
	case "task_namespace":
		return alias{slot: sNamespace, rank: 2}, true
	case "task_version":
		return alias{slot: sVersion}, true
	case "version":
		return alias{slot: sVersion, rank: 1, lenient: true}, true
	case "attempt_number":
		return alias{slot: sAttempt}, true
	case "attempt":
		return alias{slot: sAttempt, rank: 1}, true
	case "attempts":
		return alias{slot: sAttempt, rank: 2, lenient: true}, true
	case "retry_limit":
		return alias{slot: sRetryLimit}, true
	case "execution_duration":
		// Only `execution_duration`: the `duration_ms` of Tasker's step log lines is the
		// age of the step row (event_publisher.rb:664-669), not a run time, and stays a
		// payload field under its own name, as does a custom `duration`.
		return alias{slot: sExecDur}, true
	case "total_execution_duration":
		return alias{slot: sTotalDur}, true
	case "total_duration":
		return alias{slot: sTotalDur, rank: 1, lenient: true}, true
	case "from_state":
		return alias{slot: sFromState}, true
	case "to_state":
		return alias{slot: sToState}, true
	case "error_class":
		return alias{slot: sErrClass}, true
	case "exception_class":
		// Tasker's payload builder always says StandardError here
		// (event_payload_builder.rb:406-456); only log_exception's line
		// (entity_type exception) carries the real class under this key. See finish.
		return alias{slot: sErrClass, rank: 1}, true
	case "error_message":
		return alias{slot: sErrMsg}, true
	case "exception_message":
		return alias{slot: sErrMsg, rank: 1}, true
	case "error":
		return alias{slot: sErrMsg, rank: 2, lenient: true}, true
	case "backtrace":
		return alias{slot: sBacktrace}, true
	case "correlation_id":
		return alias{slot: sCorrelation}, true
	case "hostname":
		return alias{slot: sHost}, true
	case "host":
		return alias{slot: sHost, rank: 1, lenient: true}, true
	case "process_id":
		return alias{slot: sPID}, true
	case "pid":
		return alias{slot: sPID, rank: 1, lenient: true}, true
	case "started_at":
		return alias{slot: sStartedAt}, true
	case "completed_at":
		return alias{slot: sCompletedAt}, true
	case "message":
		return alias{slot: sMessage, lenient: true}, true
	case "msg":
		return alias{slot: sMessage, rank: 1, lenient: true}, true
	case "level":
		return alias{slot: sLevel, lenient: true}, true
	case "severity":
		return alias{slot: sLevel, rank: 1, lenient: true}, true
	}
	return alias{}, false
}

// slot holds the value of one Event field until finish converts it.
type slot struct {
	key     string
	val     Value
	off     int // offset of the value, for errors
	rank    int8
	set     bool
	lenient bool
	nested  bool // inside a `payload` object: errors name "payload.<key>"
}

func (sl *slot) path() string {
	if sl.nested {
		return "payload." + sl.key
	}
	return sl.key
}

// parser is the state of one parse: the input, the slots, and the payload so far.
// It lives on the caller's stack; the payload is collected in buf (then more), which
// Parser.keep copies to its final place. (A slice of buf kept in the struct would make
// escape analysis move buf to the heap.)
type parser struct {
	s         string
	log       bool   // parsing a log line (see lookupAlias)
	nested    bool   // inside a `payload` object
	marker    bool   // saw `tasker_version`: a Tasker structured log
	utf8OK    bool   // the logfmt text is valid UTF-8 (checked once per line)
	operation string // `operation` of an orchestration/performance log, for the name
	err       *ParseError
	n         int       // fields in buf
	more      []Field   // fields after the first len(buf)
	set       uint32    // the slots that are set
	buf       [24]Field // the first payload fields
	slots     [numSlots]slot
}

// reset prepares p for a new object of s. Only the slots that were set are cleared:
// a batch reuses one parser for all its items without zeroing its 3 KB each time.
func (p *parser) reset(s string, log bool) {
	for m := p.set; m != 0; m &= m - 1 {
		p.slots[bits.TrailingZeros32(m)].set = false
	}
	p.s, p.log, p.nested, p.marker, p.utf8OK, p.operation, p.err = s, log, false, false, false, "", nil
	p.n, p.more, p.set = 0, p.more[:0], 0
}

// add appends a payload field.
func (p *parser) add(key string, v Value) {
	if p.n < len(p.buf) {
		p.buf[p.n] = Field{Key: key, Value: v}
		p.n++
		return
	}
	p.more = append(p.more, Field{Key: key, Value: v})
}

// assign routes one field to its slot or to the payload.
func (p *parser) assign(key string, v Value, off int) {
	a, ok := lookupAlias(key, p.log)
	if !ok {
		switch key {
		case "tasker_version":
			p.marker = true
		case "operation":
			if v.kind == KindString {
				p.operation = v.str
			}
		}
		p.add(key, v)
		return
	}
	if v.kind == KindNull {
		return // null means absent
	}
	sl := &p.slots[a.slot]
	if sl.set {
		if a.rank > sl.rank {
			p.add(key, v)
			return
		}
		if a.rank < sl.rank {
			p.add(sl.key, sl.val)
		}
		// Same key (or same rank) twice: the last one wins, as in encoding/json.
	}
	*sl = slot{key: key, val: v, off: off, rank: a.rank, set: true, lenient: a.lenient, nested: p.nested}
	p.set |= 1 << a.slot
}

// isTaskerLog reports whether a log line's fields are Tasker's: `tasker_version` (every
// StructuredLogging line has it) or `entity_type`, or an `event` whose name is Tasker's.
func (p *parser) isTaskerLog() bool {
	if p.marker {
		return true
	}
	if sl := &p.slots[sEntityType]; sl.set && sl.val.str != "" && sl.val.kind != KindRaw {
		return true
	}
	if sl := &p.slots[sName]; sl.set && sl.val.kind == KindString {
		in := Lookup(sl.val.str)
		return in.Known || in.Category != CategoryCustom
	}
	return false
}

// bad records that sl does not convert: a lenient slot goes back to the payload, any
// other fails the event (the first failing field in input order is reported).
func (p *parser) bad(sl *slot, msg string) {
	if sl.lenient {
		p.add(sl.key, sl.val)
		return
	}
	if p.err == nil || sl.off < p.err.Offset {
		p.err = newError(p.s, sl.off, sl.path(), msg)
	}
}

// finish converts the slots into ev. start is the offset of the object, for a missing
// name. On error, p.err is set and ev is incomplete. Only the slots that are set are
// visited, in slot order (which is also the order in which lenient fields that do not
// convert go back to the payload).
func (p *parser) finish(ev *Event, start int) {
	for m := p.set; m != 0; m &= m - 1 {
		id := slotID(bits.TrailingZeros32(m))
		e := &p.slots[id]
		switch id {
		case sName:
			if e.val.kind == KindString {
				ev.Name = e.val.str
			} else {
				p.bad(e, "must be a string, got "+describe(e.val))
			}
		case sTime:
			ev.Time = p.time(e)
		case sEventType:
			ev.EventType = p.str(e)
		case sEntityType:
			ev.EntityType = p.str(e)
		case sEntityID, sEntityName:
			// below, once the task and step fields are known
		case sTaskID:
			ev.TaskID = p.id(e)
		case sTaskName:
			ev.TaskName = p.str(e)
		case sStepID:
			ev.StepID = p.id(e)
		case sStepName:
			ev.StepName = p.str(e)
		case sNamespace:
			ev.Namespace = p.str(e)
		case sVersion:
			ev.Version = p.str(e)
		case sAttempt:
			ev.Attempt, ev.HasAttempt = p.count(e)
		case sRetryLimit:
			ev.RetryLimit, ev.HasRetryLimit = p.count(e)
		case sExecDur:
			ev.ExecutionDuration, ev.HasExecutionDuration = p.duration(e, int64(time.Second))
			ev.ExecutionSeconds = seconds(e, ev.HasExecutionDuration)
		case sTotalDur:
			ev.TotalDuration, ev.HasTotalDuration = p.duration(e, int64(time.Second))
			ev.TotalSeconds = seconds(e, ev.HasTotalDuration)
		case sFromState:
			ev.FromState = p.str(e)
		case sToState:
			ev.ToState = p.str(e)
		case sErrClass:
			if e.key == "exception_class" && ev.EntityType != "exception" {
				p.add(e.key, e.val) // StandardError whatever was raised: an attribute, not the type
			} else {
				ev.ErrorClass = p.str(e)
			}
		case sErrMsg:
			ev.ErrorMessage = p.str(e)
		case sBacktrace:
			ev.Backtrace = p.backtrace(e)
		case sCorrelation:
			ev.CorrelationID = p.str(e)
		case sHost:
			ev.Host = p.str(e)
		case sPID:
			ev.PID, _ = p.count(e)
		case sStartedAt:
			ev.StartedAt = p.time(e)
		case sCompletedAt:
			ev.CompletedAt = p.time(e)
		case sMessage:
			ev.Message = p.str(e)
		case sLevel:
			if sev, ok := ParseSeverity(e.val.str); ok && e.val.kind == KindString {
				ev.LogSeverity = sev
			} else {
				p.bad(e, "")
			}
		}
	}

	// `entity_id`/`entity_name` of a task or step log are its id and name; for other
	// entities (or when the specific key is there too) they stay in the payload.
	if p.set&(1<<sEntityID|1<<sEntityName) != 0 {
		var entityID, entityName *string
		switch ev.EntityType {
		case "task":
			entityID, entityName = &ev.TaskID, &ev.TaskName
		case "step":
			entityID, entityName = &ev.StepID, &ev.StepName
		}
		if e := &p.slots[sEntityID]; e.set {
			if entityID != nil && *entityID == "" {
				*entityID = p.id(e)
			} else {
				p.add(e.key, e.val)
			}
		}
		if e := &p.slots[sEntityName]; e.set {
			if entityName != nil && *entityName == "" {
				*entityName = p.str(e)
			} else {
				p.add(e.key, e.val)
			}
		}
	}

	if ev.Name == "" && ev.EntityType != "" {
		ev.Name = deriveName(ev.EntityType, p.operation, ev.EventType)
	}
	if ev.Name == "" && !p.log && p.err == nil {
		if e := &p.slots[sName]; e.set {
			p.err = newError(p.s, e.off, e.path(), "must not be empty")
		} else {
			p.err = newError(p.s, start, "event", `missing event name (expected "event" or "name")`)
		}
	}
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The span names TelemetrySubscriber creates (literal in Tasker's code; only the
// attribute prefix and the tracer name follow telemetry.service_name).
const (
	spanTaskInitialize = "tasker.task.initialize"
	spanTaskExecution  = "tasker.task.execution"
	spanStepQueued     = "tasker.step.queued"
	spanStepExecution  = "tasker.step.execution"
)

type spanKind uint8

const (
	kindOther spanKind = iota
	kindTaskInitialize
	kindTaskExecution
	kindStepQueued
	kindStepExecution
)

func kindOf(name string) spanKind {
	switch name {
	case spanTaskInitialize:
		return kindTaskInitialize
	case spanTaskExecution:
		return kindTaskExecution
	case spanStepQueued:
		return kindStepQueued
	case spanStepExecution:
		return kindStepExecution
	}
	return kindOther // tasker.step.retry (never published) and everything else
}

// taskerSpan is what the connector reads from one of Tasker's spans.
type taskerSpan struct {
	kind             spanKind
	span             ptrace.Span
	taskID, stepID   string
	taskName         string
	stepName         string
	attempt          int64 // tasker.attempt_number
	attemptText      string
	hasAttempt       bool
	retryLimit       int64
	hasRetryLimit    bool
	execDuration     float64
	hasExecDuration  bool
	errorMessage     string
	failed           bool // status Error, or a step.failed / task.failed event
	start, end       time.Time
	traceID          pcommon.TraceID
	spanID, parentID pcommon.SpanID
}

// parser reads the attributes of Tasker's spans: "<prefix>task_id" etc., every value a
// string (Ruby's to_s: "42", "0.0", "-8.1e-05"), typed values accepted too.
type parser struct {
	prefix string
	keys   struct{ taskID, stepID, taskName, stepName, attempt, retryLimit, execDuration, errorMsg string }
}

func newParser(serviceName string) *parser {
	p := &parser{prefix: serviceName + "."}
	p.keys.taskID = p.prefix + "task_id"
	p.keys.stepID = p.prefix + "step_id"
	p.keys.taskName = p.prefix + "task_name"
	p.keys.stepName = p.prefix + "step_name"
	p.keys.attempt = p.prefix + "attempt_number"
	p.keys.retryLimit = p.prefix + "retry_limit"
	p.keys.execDuration = p.prefix + "execution_duration"
	p.keys.errorMsg = p.prefix + "error"
	return p
}

// text is an attribute as text; ids keep their canonical decimal form ("42", 42 and
// 42.0 are the same id, as in the receiver).
func text(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v.AsString()
}

func canonicalID(s string) string {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && !strings.ContainsAny(s, "eE") {
		return strconv.FormatInt(int64(f), 10)
	}
	return s
}

// number parses Tasker's text numbers: integers, decimals and Ruby's exponent form.
func number(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		return f, err == nil
	}
	return 0, false
}

// parse reads s if it is one of Tasker's span kinds with a task id; ok is false for
// every other span (passed through untouched).
func (p *parser) parse(s ptrace.Span) (ts taskerSpan, ok bool) {
	ts.kind = kindOf(s.Name())
	if ts.kind == kindOther {
		return ts, false
	}
	a := s.Attributes()
	v, found := a.Get(p.keys.taskID)
	if !found {
		return ts, false
	}
	ts.taskID = canonicalID(text(v))
	if ts.taskID == "" || ts.taskID == "unknown" { // BaseSubscriber's default
		return ts, false
	}
	if v, found := a.Get(p.keys.stepID); found {
		ts.stepID = canonicalID(text(v))
	}
	if (ts.kind == kindStepQueued || ts.kind == kindStepExecution) && ts.stepID == "" {
		return ts, false
	}
	if v, found := a.Get(p.keys.taskName); found {
		ts.taskName = text(v)
	}
	if v, found := a.Get(p.keys.stepName); found {
		ts.stepName = text(v)
	}
	if v, found := a.Get(p.keys.attempt); found {
		ts.attemptText = text(v)
		if f, okn := number(v); okn && f >= 0 {
			ts.attempt, ts.hasAttempt = int64(f), true
		}
	}
	if v, found := a.Get(p.keys.retryLimit); found {
		if f, okn := number(v); okn {
			ts.retryLimit, ts.hasRetryLimit = int64(f), true
		}
	}
	if v, found := a.Get(p.keys.execDuration); found {
		if f, okn := number(v); okn {
			ts.execDuration, ts.hasExecDuration = f, true
		}
	}
	if v, found := a.Get(p.keys.errorMsg); found {
		ts.errorMessage = text(v)
	}
	ts.failed = s.Status().Code() == ptrace.StatusCodeError
	for i := 0; i < s.Events().Len(); i++ {
		switch s.Events().At(i).Name() {
		case "step.failed", "task.failed":
			ts.failed = true
		}
	}
	if ts.failed && ts.errorMessage == "" {
		ts.errorMessage = s.Status().Message()
	}
	ts.span = s
	ts.start, ts.end = s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime()
	if ts.end.Before(ts.start) {
		ts.end = ts.start
	}
	ts.traceID, ts.spanID, ts.parentID = s.TraceID(), s.SpanID(), s.ParentSpanID()
	return ts, true
}

// taskEnded: a tasker.task.execution span is exported only once ended, by
// finish_task_span, which always sets the status (Ok or Error).
func (ts *taskerSpan) taskEnded() bool {
	return ts.kind == kindTaskExecution && (ts.span.Status().Code() != ptrace.StatusCodeUnset || ts.failed ||
		hasEvent(ts.span, "task.completed"))
}

func hasEvent(s ptrace.Span, name string) bool {
	for i := 0; i < s.Events().Len(); i++ {
		if s.Events().At(i).Name() == name {
			return true
		}
	}
	return false
}

func outcomeOf(failed bool) string {
	if failed {
		return "failed"
	}
	return "completed"
}

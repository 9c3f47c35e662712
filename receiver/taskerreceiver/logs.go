// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// where is the span an event belongs to: its trace, span and (for a step event) the
// resolved attempt.
type where struct {
	trace   pcommon.TraceID
	span    pcommon.SpanID
	attempt int64 // 0 unless a step event
}

func (b *builder) appendLog(times *strChunk, lr plog.LogRecord, ev *tasker.Event, info tasker.Info, at where, duplicate bool, now time.Time) {
	ts := ev.Time
	if ts.IsZero() {
		ts = now
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
	sev := ev.Severity()
	lr.SetSeverityNumber(plog.SeverityNumber(sev))
	lr.SetSeverityText(sev.String())
	if ev.Name != "" {
		lr.SetEventName(ev.Name)
	}
	switch {
	case ev.Message != "":
		lr.Body().SetStr(ev.Message)
	case ev.Name != "":
		lr.Body().SetStr(ev.Name)
	default:
		lr.Body().SetStr(ev.EntityType)
	}
	a := lr.Attributes()
	a.EnsureCapacity(logAttrCount(ev, info, at, duplicate))
	if ev.Name != "" {
		a.PutStr("tasker.event.name", ev.Name)
	}
	a.PutStr("tasker.event.category", info.Category.String())
	for _, f := range [...]struct{ k, v string }{
		{"tasker.event.type", ev.EventType}, {"tasker.entity.type", ev.EntityType},
		{"tasker.task.id", ev.TaskID}, {"tasker.task.name", ev.TaskName},
		{"tasker.step.id", ev.StepID}, {"tasker.step.name", ev.StepName},
		{"tasker.namespace", ev.Namespace}, {"tasker.task.version", ev.Version},
	} {
		if f.v != "" {
			a.PutStr(f.k, f.v)
		}
	}
	if at.attempt > 0 {
		a.PutInt("tasker.attempt", at.attempt)
	}
	if ev.HasAttempt {
		a.PutInt("tasker.attempt_number", ev.Attempt)
	}
	if ev.HasRetryLimit {
		a.PutInt("tasker.retry_limit", ev.RetryLimit)
	}
	if ev.HasExecutionDuration {
		a.PutDouble("tasker.execution_duration", ev.ExecutionSeconds)
	}
	if ev.HasTotalDuration {
		a.PutDouble("tasker.total_duration", ev.TotalSeconds)
	}
	for _, f := range [...]struct{ k, v string }{
		{"tasker.from_state", ev.FromState}, {"tasker.to_state", ev.ToState}, {"tasker.correlation_id", ev.CorrelationID},
	} {
		if f.v != "" {
			a.PutStr(f.k, f.v)
		}
	}
	putTime(times, a, "tasker.started_at", ev.StartedAt)
	putTime(times, a, "tasker.completed_at", ev.CompletedAt)
	if info.Outcome != tasker.OutcomeNone {
		a.PutStr("tasker.outcome", info.Outcome.String())
	}
	if duplicate {
		a.PutBool("tasker.duplicate", true)
	}
	putException(a, ev.ErrorClass, ev.ErrorMessage, ev.Backtrace)
	b.putPayload(a, ev)
	if ev.TaskID != "" {
		lr.SetTraceID(at.trace)
		lr.SetSpanID(at.span)
	}
}

// logAttrCount is the number of attributes appendLog puts, so the map is sized once.
func logAttrCount(ev *tasker.Event, info tasker.Info, at where, duplicate bool) int {
	n := 1 // tasker.event.category
	for _, s := range [...]string{ev.Name, ev.EventType, ev.EntityType, ev.TaskID, ev.TaskName, ev.StepID, ev.StepName,
		ev.Namespace, ev.Version, ev.FromState, ev.ToState, ev.CorrelationID, ev.ErrorClass, ev.ErrorMessage} {
		if s != "" {
			n++
		}
	}
	for _, f := range [...]bool{at.attempt > 0, ev.HasAttempt, ev.HasRetryLimit, ev.HasExecutionDuration, ev.HasTotalDuration,
		!ev.StartedAt.IsZero(), !ev.CompletedAt.IsZero(), info.Outcome != tasker.OutcomeNone, duplicate, len(ev.Backtrace) > 0} {
		if f {
			n++
		}
	}
	return n + payloadAttrCount(ev)
}

// queuedLog is a log record to fill once b.mu is released: everything appendLog takes
// from the builder's state is resolved when it is queued.
type queuedLog struct {
	lrs       plog.LogRecordSlice
	ev        *tasker.Event
	info      tasker.Info
	at        where
	duplicate bool
}

// maxPooledQueue bounds the queues kept for the next call.
const maxPooledQueue = 4096

var (
	queuePool = sync.Pool{New: func() any { q := make([]queuedLog, 0, 128); return &q }}
	timesPool = sync.Pool{New: func() any { return new(strChunk) }}
)

// queueOf is an empty queue for a call of n events.
func (b *builder) queueOf(n int) *[]queuedLog {
	if !b.wantLogs {
		return nil
	}
	q := queuePool.Get().(*[]queuedLog)
	if cap(*q) < n {
		*q = make([]queuedLog, 0, n)
	}
	return q
}

// log adds the record of ev to rb: queued if out has a queue, else now. Called with
// b.mu held. A call's records are all queued or none (the order within a resource).
func (b *builder) log(out *batch, rb *resBuf, ev *tasker.Event, info tasker.Info, at where, duplicate bool, now time.Time) {
	if out.queue == nil {
		b.appendLog(&b.times, rb.lrs.AppendEmpty(), ev, info, at, duplicate, now)
		return
	}
	*out.queue = append(*out.queue, queuedLog{lrs: rb.lrs, ev: ev, info: info, at: at, duplicate: duplicate})
}

// fillLogs builds the queued log records of out, in order, without b.mu: the other
// requests' builds go on meanwhile (on 2 cores, BenchmarkHTTPIngest waited for the
// builder's lock while a core was idle). The times are formatted into a pooled chunk
// (its memory is only appended to, see strChunk).
func (b *builder) fillLogs(out *batch, now time.Time) {
	q := out.queue
	if q == nil {
		return
	}
	out.queue = nil
	times := timesPool.Get().(*strChunk)
	for i := range *q {
		l := &(*q)[i]
		b.appendLog(times, l.lrs.AppendEmpty(), l.ev, l.info, l.at, l.duplicate, now)
	}
	timesPool.Put(times)
	removeEmptyLogs(out)
	clear(*q) // drop the references to the events
	if cap(*q) <= maxPooledQueue {
		*q = (*q)[:0]
		queuePool.Put(q)
	}
}

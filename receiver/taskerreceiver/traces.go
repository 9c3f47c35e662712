// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// emitCompletions emits the call's completions, in the order they ended. Step spans
// are resolved first so that a task span ending in the same call covers them.
func (b *builder) emitCompletions(out *batch) {
	if len(out.done) == 0 {
		return
	}
	for _, c := range out.done {
		if c.entity == tasker.EntityTask || !c.startKnown {
			continue
		}
		if t := out.tasks[c.key.span.taskOf()]; t != nil {
			if !t.startKnown || c.start.Before(t.start) {
				t.start, t.startKnown = c.start, true
			}
			if c.end.After(t.end) {
				t.end = c.end
			}
		}
	}
	for _, c := range out.done {
		if c.traces {
			b.emitSpan(c)
		}
		if c.metric {
			b.completionMetrics(c)
		}
	}
	b.spare.keep(out)
}

// spareMaps are the completion maps and list of an emitted call, empty, for the next
// call (a call of 100 lines ends about 40 completions: growing its maps each time costs).
type spareMaps struct {
	pending map[dedupeKey]*completion
	tasks   map[spanKey]*completion
	done    []*completion
}

// maxSpare bounds the size of the maps kept.
const maxSpare = 1024

// keep takes the emptied maps of out.
func (sp *spareMaps) keep(out *batch) {
	if len(out.pending) <= maxSpare && len(out.done) <= maxSpare {
		clear(out.pending)
		clear(out.tasks)
		clear(out.done)
		if out.pending != nil {
			sp.pending = out.pending
		}
		if out.tasks != nil {
			sp.tasks = out.tasks
		}
		sp.done = out.done[:0]
	}
	out.done, out.pending, out.tasks = nil, nil, nil
}

// appendDone adds c to the call's completions.
func (b *builder) appendDone(out *batch, c *completion) {
	if out.done == nil {
		out.done, b.spare.done = b.spare.done, nil
	}
	out.done = append(out.done, c)
}

// taskIDs are the trace id and task span id of a task. The last task's are kept: the
// events of a task mostly come together. Called with b.mu held.
func (b *builder) taskIDs(k spanKey) (pcommon.TraceID, pcommon.SpanID) {
	if !b.idValid || b.idTask != k.task || b.idDep != k.dep {
		b.idTraceID, b.idSpanID = newTraceID(b.source, k.dep, k.task), newTaskSpanID(b.source, k.dep, k.task)
		k = k.clone() // one allocation for both
		b.idTask, b.idDep, b.idValid = k.task, k.dep, true
	}
	return b.idTraceID, b.idSpanID
}

// spanOf is where an event of the span k belongs (k.attempt > 0: a step attempt).
func (b *builder) spanOf(k spanKey) where {
	traceID, taskSpan := b.taskIDs(k.taskOf())
	if k.step == "" {
		return where{trace: traceID, span: taskSpan}
	}
	if b.stepKey != k {
		b.stepKey, b.stepSpan = k, newStepSpanID(b.source, k.dep, k.task, k.step, k.attempt)
	}
	return where{trace: traceID, span: b.stepSpan, attempt: k.attempt}
}

func (b *builder) emitSpan(c *completion) {
	k := c.key.span
	span := c.rb.spans.AppendEmpty()
	at := b.spanOf(k)
	span.SetTraceID(at.trace)
	span.SetSpanID(at.span)
	name := c.taskName
	if c.entity == tasker.EntityStep {
		_, taskSpan := b.taskIDs(k.taskOf())
		span.SetParentSpanID(taskSpan)
		name = c.stepName
		if name == "" {
			name = "step " + k.step
		}
	} else if name == "" {
		name = "task " + k.task
	}
	span.SetName(name)
	span.SetKind(ptrace.SpanKindInternal)
	start := c.end
	if c.startKnown && c.start.Before(c.end) {
		start = c.start
	}
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(c.end))
	a := span.Attributes()
	a.EnsureCapacity(12)
	a.PutStr("tasker.task.id", k.task)
	if c.taskName != "" {
		a.PutStr("tasker.task.name", c.taskName)
	}
	if c.entity == tasker.EntityStep {
		a.PutStr("tasker.step.id", k.step)
		if c.stepName != "" {
			a.PutStr("tasker.step.name", c.stepName)
		}
		a.PutInt("tasker.attempt", k.attempt)
		if c.hasRetryLimit {
			a.PutInt("tasker.retry_limit", c.retryLimit)
		}
		if k.attempt > 1 {
			l := span.Links().AppendEmpty()
			l.SetTraceID(at.trace)
			l.SetSpanID(newStepSpanID(b.source, k.dep, k.task, k.step, k.attempt-1))
			l.Attributes().PutStr("tasker.link", "previous_attempt")
		}
	}
	a.PutStr("tasker.outcome", c.outcome.String())
	a.PutStr("tasker.terminal_event", c.terminal)
	for _, f := range [...]struct{ k, v string }{
		{"tasker.namespace", c.namespace}, {"tasker.task.version", c.version},
		{"tasker.correlation_id", c.correlation}, {"tasker.task.health_status", c.health},
	} {
		if f.v != "" {
			a.PutStr(f.k, f.v)
		}
	}
	if !c.startKnown {
		a.PutBool("tasker.start_missing", true)
	}
	for i, f := range taskNumberAttrs {
		if c.hasNum&(1<<i) != 0 {
			numberAttr(a, f[1], c.nums[i])
		}
	}
	b.copyEvents(span, c.entry, c.events)
	setOutcomeStatus(span, c)
	if c.outcome == tasker.OutcomeFailed && !hasEvent(span, "exception") {
		addException(span, c, c.end)
	}
}

func (b *builder) copyEvents(span ptrace.Span, s *openSpan, later []spanEvent) {
	n := len(later)
	if s != nil {
		n += len(s.events)
	}
	span.Events().EnsureCapacity(n + 1) // + an exception event
	if s != nil {
		for i := range s.events {
			b.appendSpanEvent(span, &s.events[i])
		}
		span.SetDroppedEventsCount(s.dropped)
	}
	for i := range later {
		b.appendSpanEvent(span, &later[i])
	}
}

// hasEvent: the span has an event of that name (Tasker's "Exception occurred" line
// is an `exception` event already).
func hasEvent(span ptrace.Span, name string) bool {
	for i := 0; i < span.Events().Len(); i++ {
		if span.Events().At(i).Name() == name {
			return true
		}
	}
	return false
}

func setOutcomeStatus(span ptrace.Span, c *completion) {
	switch c.outcome {
	case tasker.OutcomeCompleted, tasker.OutcomeResolvedManually:
		span.Status().SetCode(ptrace.StatusCodeOk)
	case tasker.OutcomeFailed:
		span.Status().SetCode(ptrace.StatusCodeError)
		msg := c.errMsg
		if msg == "" {
			msg = c.entity.String() + " failed"
		}
		span.Status().SetMessage(strings.Clone(msg))
	case tasker.OutcomeCancelled:
		// Unset: a cancellation is not an error of the task; tasker.outcome says it.
	}
}

func addException(span ptrace.Span, c *completion, t time.Time) {
	if c.errClass == "" && c.errMsg == "" {
		return
	}
	se := span.Events().AppendEmpty()
	se.SetName("exception")
	se.SetTimestamp(pcommon.NewTimestampFromTime(t))
	putException(se.Attributes(), c.errClass, c.errMsg, c.stack)
}

// putException puts OTel's exception attributes that are known: exception.type, .message
// and .stacktrace (the backtrace's lines).
func putException(a pcommon.Map, class, msg string, backtrace []string) {
	if class != "" {
		a.PutStr("exception.type", class)
	}
	if msg != "" {
		a.PutStr("exception.message", msg)
	}
	if len(backtrace) > 0 {
		a.PutStr("exception.stacktrace", strings.Join(backtrace, "\n"))
	}
}

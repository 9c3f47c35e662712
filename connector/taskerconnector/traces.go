// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/taskerids"
)

// build is the traces side's own output: one span per emitted attempt and per ended
// task, with the tasker receiver's ids and attribute names, grouped by origin.
func (c *spansConnector) build(ready []*attempt, tasks []endedTask) ptrace.Traces {
	out := ptrace.NewTraces()
	var built []builtSpan
	for _, t := range tasks { // before any removal: t.sp.span is one of the batch's spans
		built = append(built, builtSpan{org: t.org, span: c.taskSpan(&t)})
	}
	for _, a := range ready {
		built = append(built, builtSpan{org: a.org, span: c.stepSpan(a)})
	}
	byOrigin := map[string]ptrace.SpanSlice{}
	for _, b := range built {
		ss, ok := byOrigin[b.org.key]
		if !ok {
			rs := out.ResourceSpans().AppendEmpty()
			b.org.resource.CopyTo(rs.Resource())
			sc := rs.ScopeSpans().AppendEmpty()
			b.org.scope.CopyTo(sc.Scope())
			ss = sc.Spans()
			byOrigin[b.org.key] = ss
		}
		b.span.MoveTo(ss.AppendEmpty())
	}
	return out
}

type builtSpan struct {
	org  *origin
	span ptrace.Span
}

// removeConsumed drops Tasker's step instants and ended task spans from out.
func (c *spansConnector) removeConsumed(out ptrace.Traces) {
	out.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			if ss.Scope().Name() != c.cfg.ServiceName {
				return false
			}
			ss.Spans().RemoveIf(func(s ptrace.Span) bool {
				k := kindOf(s.Name())
				if k != kindStepQueued && k != kindStepExecution && k != kindTaskExecution {
					return false
				}
				sp, ok := c.parser.parse(s)
				return ok && (k != kindTaskExecution || sp.taskEnded())
			})
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
}

func (c *spansConnector) taskSpan(t *endedTask) ptrace.Span {
	s := ptrace.NewSpan()
	orig := t.sp.span
	s.SetTraceID(taskerids.TraceID(c.source, c.dep, t.sp.taskID))
	s.SetSpanID(taskerids.TaskSpanID(c.source, c.dep, t.sp.taskID))
	name := t.ts.name
	if name == "" {
		name = "task " + t.sp.taskID
	}
	s.SetName(name)
	s.SetKind(ptrace.SpanKindInternal)
	s.SetStartTimestamp(orig.StartTimestamp())
	s.SetEndTimestamp(orig.EndTimestamp())
	a := s.Attributes()
	orig.Attributes().CopyTo(a)
	a.PutStr("tasker.task.id", t.sp.taskID)
	if t.ts.name != "" {
		a.PutStr("tasker.task.name", t.ts.name)
	}
	outcome := outcomeOf(t.sp.failed)
	a.PutStr("tasker.outcome", outcome)
	a.PutStr("tasker.terminal_event", "task."+outcome)
	orig.Events().CopyTo(s.Events())
	orig.Status().CopyTo(s.Status())
	linkTasker(s, orig.TraceID(), orig.SpanID())
	return s
}

func (c *spansConnector) stepSpan(at *attempt) ptrace.Span {
	s := ptrace.NewSpan()
	k := at.key
	traceID := taskerids.TraceID(c.source, c.dep, k.task)
	s.SetTraceID(traceID)
	s.SetSpanID(taskerids.StepSpanID(c.source, c.dep, k.task, k.step, k.n))
	s.SetParentSpanID(taskerids.TaskSpanID(c.source, c.dep, k.task))
	name := at.stepName
	if name == "" {
		name = "step " + k.step
	}
	s.SetName(name)
	s.SetKind(ptrace.SpanKindInternal)
	start := at.start
	if !at.haveStart || start.After(at.end) {
		start = at.end
	}
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(at.end))
	a := s.Attributes()
	if at.attrs != (pcommon.Map{}) {
		at.attrs.CopyTo(a) // Tasker's own, as text
	}
	a.PutStr("tasker.task.id", k.task)
	if at.task.name != "" {
		a.PutStr("tasker.task.name", at.task.name)
	}
	a.PutStr("tasker.step.id", k.step)
	if at.stepName != "" {
		a.PutStr("tasker.step.name", at.stepName)
	}
	a.PutInt("tasker.attempt", k.n)
	if at.hasRetry {
		a.PutInt("tasker.retry_limit", at.retryLimit)
	}
	outcome := outcomeOf(at.failed)
	a.PutStr("tasker.outcome", outcome)
	a.PutStr("tasker.terminal_event", "step."+outcome)
	if at.hasExecDur {
		a.PutDouble("tasker.execution_duration", at.execDur)
	}
	if !at.haveStart {
		a.PutBool("tasker.start_missing", true)
	}
	if k.n > 1 {
		l := s.Links().AppendEmpty()
		l.SetTraceID(traceID)
		l.SetSpanID(taskerids.StepSpanID(c.source, c.dep, k.task, k.step, k.n-1))
		l.Attributes().PutStr("tasker.link", "previous_attempt")
	}
	if !at.parentSpan.IsEmpty() {
		linkTasker(s, at.parentTrace, at.parentSpan)
	}
	for _, in := range at.instants {
		e := s.Events().AppendEmpty()
		e.SetName(in.name)
		e.SetTimestamp(pcommon.NewTimestampFromTime(in.t))
		if in.attempt != "" {
			e.Attributes().PutStr(c.parser.keys.attempt, in.attempt)
		}
	}
	if at.failed {
		s.Status().SetCode(ptrace.StatusCodeError)
		msg := at.errMsg
		if msg == "" {
			msg = "step failed"
		}
		s.Status().SetMessage(msg)
		if at.errMsg != "" {
			e := s.Events().AppendEmpty()
			e.SetName("exception")
			e.SetTimestamp(pcommon.NewTimestampFromTime(at.end))
			e.Attributes().PutStr("exception.message", at.errMsg)
		}
	} else {
		s.Status().SetCode(ptrace.StatusCodeOk)
	}
	return s
}

// linkTasker links a built span to the Tasker span it stands for (task) or under
// (step), so Tasker's own trace stays reachable.
func linkTasker(s ptrace.Span, trace pcommon.TraceID, span pcommon.SpanID) {
	l := s.Links().AppendEmpty()
	l.SetTraceID(trace)
	l.SetSpanID(span)
	l.Attributes().PutStr("tasker.link", "tasker_span")
}

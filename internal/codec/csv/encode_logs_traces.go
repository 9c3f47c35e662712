// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// encodeLogs appends one row per log record of group g and returns the rows. The
// returned slice is valid until the next call.
func (e *encoder) encodeLogs(ld plog.Logs, g *group, l *layout) []byte {
	e.reset()
	has := &l.has
	rls := ld.ResourceLogs()
	for _, ri := range g.res {
		rl := rls.At(ri)
		e.setResource(rl.Resource(), has)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			e.setScope(sl.Scope(), has)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				e.logRow(l, lrs.At(k))
			}
		}
	}
	e.done()
	return e.buf
}

func (e *encoder) logRow(l *layout, lr plog.LogRecord) {
	rowStart := len(e.buf)
	for i, c := range l.cols {
		if i > 0 {
			e.sep()
		}
		switch c.f {
		case fTimestamp:
			e.timestamp(lr.Timestamp())
		case fObservedTimestamp:
			e.timestamp(lr.ObservedTimestamp())
		case fSeverityText:
			e.text(lr.SeverityText())
		case fSeverityNumber:
			if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
				e.int(int64(n))
			}
		case fEventName:
			e.text(lr.EventName())
		case fBody:
			e.body(lr.Body())
		case fTraceID:
			e.traceID(lr.TraceID())
		case fSpanID:
			e.spanID(lr.SpanID())
		case fFlags:
			if f := lr.Flags(); f != 0 {
				e.uint(uint64(f))
			}
		case fAttributes:
			e.attributeCell(lr.Attributes())
		case fDroppedAttributesCount:
			e.uint(uint64(lr.DroppedAttributesCount()))
		default:
			e.cached(c.f)
		}
	}
	e.endRow(rowStart, len(l.cols))
}

// body appends a log body: a string as is (text), numbers and booleans as such,
// bytes, maps and slices as JSON.
func (e *encoder) body(v pcommon.Value) {
	start := len(e.buf)
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return
	case pcommon.ValueTypeStr:
		e.buf = append(e.buf, v.Str()...)
		e.buf = e.w.finish(e.buf, start, true)
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		e.buf = flatten.AppendValue(e.buf, v)
		e.buf = e.w.finish(e.buf, start, false)
	default:
		e.buf = flatten.AppendJSONValue(e.buf, v)
		e.buf = e.w.finish(e.buf, start, true)
	}
}

// encodeTraces appends one row per span of group g and returns the rows. The
// returned slice is valid until the next call.
func (e *encoder) encodeTraces(td ptrace.Traces, g *group, l *layout) []byte {
	e.reset()
	has := &l.has
	rss := td.ResourceSpans()
	for _, ri := range g.res {
		rs := rss.At(ri)
		e.setResource(rs.Resource(), has)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			e.setScope(ss.Scope(), has)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				e.spanRow(l, spans.At(k))
			}
		}
	}
	e.done()
	return e.buf
}

func (e *encoder) spanRow(l *layout, s ptrace.Span) {
	rowStart := len(e.buf)
	for i, c := range l.cols {
		if i > 0 {
			e.sep()
		}
		switch c.f {
		case fTraceID:
			e.traceID(s.TraceID())
		case fSpanID:
			e.spanID(s.SpanID())
		case fParentSpanID:
			e.spanID(s.ParentSpanID())
		case fTraceState:
			e.text(s.TraceState().AsRaw())
		case fName:
			e.text(s.Name())
		case fKind:
			e.text(flatten.SpanKind(s.Kind()))
		case fStart:
			e.timestamp(s.StartTimestamp())
		case fEnd:
			e.timestamp(s.EndTimestamp())
		case fDurationMs:
			e.durationMs(s.StartTimestamp(), s.EndTimestamp())
		case fStatusCode:
			e.text(flatten.StatusCode(s.Status().Code()))
		case fStatusMessage:
			e.text(s.Status().Message())
		case fAttributes:
			e.attributeCell(s.Attributes())
		case fEvents:
			e.events(s.Events())
		case fLinks:
			e.links(s.Links())
		case fFlags:
			if f := s.Flags(); f != 0 {
				e.uint(uint64(f))
			}
		case fDroppedAttributesCount:
			e.uint(uint64(s.DroppedAttributesCount()))
		case fDroppedEventsCount:
			e.uint(uint64(s.DroppedEventsCount()))
		case fDroppedLinksCount:
			e.uint(uint64(s.DroppedLinksCount()))
		default:
			e.cached(c.f)
		}
	}
	e.endRow(rowStart, len(l.cols))
}

// events appends the span events as a JSON array of {"name","timestamp","attributes"}.
func (e *encoder) events(evs ptrace.SpanEventSlice) {
	if evs.Len() == 0 {
		return
	}
	start := len(e.buf)
	e.buf = append(e.buf, '[')
	for i := 0; i < evs.Len(); i++ {
		ev := evs.At(i)
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, `{"name":`...)
		e.buf = flatten.AppendJSONString(e.buf, ev.Name())
		if ev.Timestamp() != 0 {
			e.buf = append(e.buf, `,"timestamp":"`...)
			e.buf = flatten.AppendTimestamp(e.buf, ev.Timestamp())
			e.buf = append(e.buf, '"')
		}
		if ev.Attributes().Len() > 0 {
			e.buf = append(e.buf, `,"attributes":`...)
			e.buf = flatten.AppendJSONMap(e.buf, ev.Attributes())
		}
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, ']')
	e.buf = e.w.finish(e.buf, start, true)
}

// links appends the span links as a JSON array of {"trace_id","span_id","trace_state","attributes"}.
func (e *encoder) links(links ptrace.SpanLinkSlice) {
	if links.Len() == 0 {
		return
	}
	start := len(e.buf)
	e.buf = append(e.buf, '[')
	for i := 0; i < links.Len(); i++ {
		lk := links.At(i)
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		tid, sid := lk.TraceID(), lk.SpanID()
		e.buf = append(e.buf, `{"trace_id":"`...)
		e.buf = hex.AppendEncode(e.buf, tid[:])
		e.buf = append(e.buf, `","span_id":"`...)
		e.buf = hex.AppendEncode(e.buf, sid[:])
		e.buf = append(e.buf, '"')
		if ts := lk.TraceState().AsRaw(); ts != "" {
			e.buf = append(e.buf, `,"trace_state":`...)
			e.buf = flatten.AppendJSONString(e.buf, ts)
		}
		if lk.Attributes().Len() > 0 {
			e.buf = append(e.buf, `,"attributes":`...)
			e.buf = flatten.AppendJSONMap(e.buf, lk.Attributes())
		}
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, ']')
	e.buf = e.w.finish(e.buf, start, true)
}

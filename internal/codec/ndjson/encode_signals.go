// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/walk"
)

// encode writes one NDJSON object per log record, span or data point of batch, a
// plog.Logs, ptrace.Traces or pmetric.Metrics.
func (e *encoder) encode(batch any) []Group {
	e.reset()
	switch b := batch.(type) {
	case plog.Logs:
		walk.Logs(b, nil, walk.Funcs[plog.LogRecord]{Resource: e.enterResource, Scope: e.setScope, Item: e.encodeLog})
	case ptrace.Traces:
		walk.Spans(b, nil, walk.Funcs[ptrace.Span]{Resource: e.enterResource, Scope: e.setScope, Item: e.encodeSpan})
	case pmetric.Metrics:
		walk.Metrics(b, nil, walk.Funcs[pmetric.Metric]{Resource: e.enterResource, Scope: e.setScope, Item: e.encodeMetric})
		e.metric = pmetric.Metric{} // do not keep the batch alive
	}
	return e.finish()
}

func (e *encoder) encodeMetrics(md pmetric.Metrics) []Group { return e.encode(md) }
func (e *encoder) encodeLogs(ld plog.Logs) []Group          { return e.encode(ld) }
func (e *encoder) encodeTraces(td ptrace.Traces) []Group    { return e.encode(td) }

// encodeMetric writes the data points of m: NDJSON objects, or the entries of the
// Tasker document when e.doc is set.
func (e *encoder) encodeMetric(m pmetric.Metric) {
	e.metric, e.typ, e.temporality = m, flatten.MetricType(m), flatten.Temporality(m)
	if e.doc == nil {
		e.metricHead = e.fields(e.metricHead, func() {
			e.str(fName, m.Name())
			e.str(fType, e.typ)
			e.strNonEmpty(fTemporality, e.temporality)
			e.strNonEmpty(fUnit, m.Unit())
		})
	}
	e.points.Visit(m)
}

// pointHead starts a data point of e.metric (an object, or a document entry).
func (e *encoder) pointHead(attrs pcommon.Map, start, ts pcommon.Timestamp) {
	if e.doc != nil {
		e.doc.entryHead(e, e.metric, e.typ, attrs, ts)
		return
	}
	e.begin()
	e.timestamp(fTimestamp, ts)
	e.timestamp(fStartTimestamp, start)
	e.appendFields(e.metricHead)
}

// pointTail ends what pointHead started: the attributes and context of an object, the
// resource of a document entry.
func (e *encoder) pointTail(attrs pcommon.Map) {
	if e.doc != nil {
		e.doc.entryTail(e)
		return
	}
	e.attributes(attrs)
	e.endLine()
}

// number writes a gauge or sum point.
func (e *encoder) number(dp pmetric.NumberDataPoint) {
	e.pointHead(dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
	switch {
	case dp.Flags().NoRecordedValue():
		e.noValue()
	case dp.ValueType() == pmetric.NumberDataPointValueTypeInt:
		e.int(fValue, dp.IntValue())
	default:
		e.float(fValue, dp.DoubleValue())
	}
	e.pointTail(dp.Attributes())
}

func (e *encoder) noValue() {
	if e.key(fNoRecordedValue) {
		e.b = append(e.b, "true"...)
	}
}

// histogram writes a histogram point: count, sum, min and max, and the buckets as an
// object from upper bound to CUMULATIVE count (Prometheus and Tasker semantics), the
// last bound being "+Inf".
func (e *encoder) histogram(dp pmetric.HistogramDataPoint) {
	e.pointHead(dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
	if e.stats(dp.Flags(), dp.Count(), dp.Sum(), dp.Min(), dp.Max(), dp.HasSum(), dp.HasMin(), dp.HasMax()) {
		e.buckets(dp.ExplicitBounds(), dp.BucketCounts())
	}
	e.pointTail(dp.Attributes())
}

// stats writes the count of a distribution, and its sum, min and max where it has
// them. A point without a recorded value gets no_recorded_value instead, and false.
func (e *encoder) stats(flags pmetric.DataPointFlags, count uint64, sum, lo, hi float64, hasSum, hasMin, hasMax bool) bool {
	if flags.NoRecordedValue() {
		e.noValue()
		return false
	}
	e.uint(fCount, count)
	if hasSum {
		e.float(fSum, sum)
	}
	if hasMin {
		e.float(fMin, lo)
	}
	if hasMax {
		e.float(fMax, hi)
	}
	return true
}

func (e *encoder) buckets(bounds pcommon.Float64Slice, counts pcommon.UInt64Slice) {
	if counts.Len() == 0 || !e.key(fBuckets) {
		return
	}
	keys := e.bucketKeys(bounds)
	e.b = append(e.b, '{')
	var cum uint64
	for i := 0; i < counts.Len(); i++ {
		cum += counts.At(i)
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if i < len(keys) {
			e.b = append(e.b, keys[i]...)
		} else {
			e.b = append(e.b, `"+Inf":`...)
		}
		e.b = appendUint(e.b, cum)
	}
	e.b = append(e.b, '}')
}

// bucketKeys returns `"<bound>":` for every bound, rendered once per distinct bounds.
func (e *encoder) bucketKeys(bounds pcommon.Float64Slice) [][]byte {
	if bounds.Len() == len(e.bounds) {
		same := true
		for i, v := range bounds.All() {
			if v != e.bounds[i] {
				same = false
				break
			}
		}
		if same {
			return e.boundKeys
		}
	}
	e.bounds = append(e.bounds[:0], bounds.AsRaw()...)
	e.boundKeys = e.boundKeys[:0]
	for _, v := range e.bounds {
		k := append([]byte{'"'}, flatten.AppendFloat(nil, v)...)
		e.boundKeys = append(e.boundKeys, append(k, '"', ':'))
	}
	return e.boundKeys
}

// expHistogram writes an exponential histogram point.
func (e *encoder) expHistogram(dp pmetric.ExponentialHistogramDataPoint) {
	e.pointHead(dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
	if e.stats(dp.Flags(), dp.Count(), dp.Sum(), dp.Min(), dp.Max(), dp.HasSum(), dp.HasMin(), dp.HasMax()) {
		e.int(fScale, int64(dp.Scale()))
		e.uint(fZeroCount, dp.ZeroCount())
		if dp.Positive().BucketCounts().Len() > 0 && e.key(fPositive) {
			e.b = appendExpBuckets(e.b, dp.Positive())
		}
		if dp.Negative().BucketCounts().Len() > 0 && e.key(fNegative) {
			e.b = appendExpBuckets(e.b, dp.Negative())
		}
	}
	e.pointTail(dp.Attributes())
}

func appendExpBuckets(b []byte, bk pmetric.ExponentialHistogramDataPointBuckets) []byte {
	b = append(b, `{"offset":`...)
	b = appendInt(b, int64(bk.Offset()))
	b = append(b, `,"bucket_counts":[`...)
	c := bk.BucketCounts()
	for i := 0; i < c.Len(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendUint(b, c.At(i))
	}
	return append(b, ']', '}')
}

// summary writes a summary point: count, sum and the quantiles.
func (e *encoder) summary(dp pmetric.SummaryDataPoint) {
	e.pointHead(dp.Attributes(), dp.StartTimestamp(), dp.Timestamp())
	if dp.Flags().NoRecordedValue() {
		e.noValue()
	} else {
		e.uint(fCount, dp.Count())
		e.float(fSum, dp.Sum())
		e.quantiles(dp.QuantileValues())
	}
	e.pointTail(dp.Attributes())
}

func (e *encoder) quantiles(qs pmetric.SummaryDataPointValueAtQuantileSlice) {
	if qs.Len() == 0 || !e.key(fQuantiles) {
		return
	}
	e.b = append(e.b, '{')
	for i := 0; i < qs.Len(); i++ {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '"')
		e.b = flatten.AppendFloat(e.b, qs.At(i).Quantile())
		e.b = append(e.b, '"', ':')
		e.b = flatten.AppendJSONFloat(e.b, qs.At(i).Value())
	}
	e.b = append(e.b, '}')
}

func (e *encoder) encodeLog(lr plog.LogRecord) {
	e.begin()
	e.timestamp(fTimestamp, lr.Timestamp())
	e.timestamp(fObservedTimestamp, lr.ObservedTimestamp())
	e.strNonEmpty(fSeverityText, lr.SeverityText())
	if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		e.int(fSeverityNumber, int64(n))
	}
	e.strNonEmpty(fEventName, lr.EventName())
	if body := lr.Body(); body.Type() != pcommon.ValueTypeEmpty && e.key(fBody) {
		e.b = flatten.AppendJSONValue(e.b, body)
	}
	e.traceID(fTraceID, lr.TraceID())
	e.spanID(fSpanID, lr.SpanID())
	if f := lr.Flags(); f != 0 {
		e.uint(fFlags, uint64(f))
	}
	e.attributes(lr.Attributes())
	e.endLine()
}

func (e *encoder) encodeSpan(s ptrace.Span) {
	e.begin()
	e.traceID(fTraceID, s.TraceID())
	e.spanID(fSpanID, s.SpanID())
	e.spanID(fParentSpanID, s.ParentSpanID())
	e.strNonEmpty(fTraceState, s.TraceState().AsRaw())
	e.str(fName, s.Name())
	e.str(fKind, flatten.SpanKind(s.Kind()))
	e.timestamp(fStartTimestamp, s.StartTimestamp())
	e.timestamp(fEndTimestamp, s.EndTimestamp())
	if s.EndTimestamp() >= s.StartTimestamp() && s.StartTimestamp() != 0 {
		e.float(fDurationMs, float64(s.EndTimestamp()-s.StartTimestamp())/1e6)
	}
	e.str(fStatusCode, flatten.StatusCode(s.Status().Code()))
	e.strNonEmpty(fStatusMessage, s.Status().Message())
	e.attributes(s.Attributes())
	if evs := s.Events(); evs.Len() > 0 && e.key(fEvents) {
		e.b = append(e.b, '[')
		for i := 0; i < evs.Len(); i++ {
			ev := evs.At(i)
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"name":`...)
			e.b = flatten.AppendJSONString(e.b, ev.Name())
			if ev.Timestamp() != 0 {
				e.b = append(e.b, `,"timestamp":"`...)
				e.b = flatten.AppendTimestamp(e.b, ev.Timestamp())
				e.b = append(e.b, '"')
			}
			if ev.Attributes().Len() > 0 {
				e.b = append(e.b, `,"attributes":`...)
				e.b = flatten.AppendJSONMap(e.b, ev.Attributes())
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if links := s.Links(); links.Len() > 0 && e.key(fLinks) {
		e.b = append(e.b, '[')
		for i := 0; i < links.Len(); i++ {
			l := links.At(i)
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"trace_id":"`...)
			e.b = appendHex(e.b, l.TraceID())
			e.b = append(e.b, `","span_id":"`...)
			e.b = appendHexSpan(e.b, l.SpanID())
			e.b = append(e.b, '"')
			if ts := l.TraceState().AsRaw(); ts != "" {
				e.b = append(e.b, `,"trace_state":`...)
				e.b = flatten.AppendJSONString(e.b, ts)
			}
			if l.Attributes().Len() > 0 {
				e.b = append(e.b, `,"attributes":`...)
				e.b = flatten.AppendJSONMap(e.b, l.Attributes())
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.endLine()
}

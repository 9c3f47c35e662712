// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// encodeMetrics writes one NDJSON object per data point.
func (e *encoder) encodeMetrics(md pmetric.Metrics) []Group {
	e.reset()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		e.switchGroup(rm.Resource().Attributes())
		e.setResource(rm.Resource())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			e.setScope(sm.Scope())
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				e.encodeMetric(ms.At(k))
			}
		}
	}
	return e.finish()
}

func (e *encoder) metricHead(m pmetric.Metric, typ, temporality string, start, ts pcommon.Timestamp) {
	e.begin()
	e.timestamp(fTimestamp, ts)
	e.timestamp(fStartTimestamp, start)
	e.str(fName, m.Name())
	e.str(fType, typ)
	e.strNonEmpty(fTemporality, temporality)
	e.strNonEmpty(fUnit, m.Unit())
}

func (e *encoder) encodeMetric(m pmetric.Metric) {
	typ := flatten.MetricType(m)
	temporality := flatten.Temporality(m)
	switch m.Type() {
	case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
		var dps pmetric.NumberDataPointSlice
		if m.Type() == pmetric.MetricTypeGauge {
			dps = m.Gauge().DataPoints()
		} else {
			dps = m.Sum().DataPoints()
		}
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			e.metricHead(m, typ, temporality, dp.StartTimestamp(), dp.Timestamp())
			if dp.Flags().NoRecordedValue() {
				e.noValue()
			} else if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				e.int(fValue, dp.IntValue())
			} else {
				e.float(fValue, dp.DoubleValue())
			}
			e.attributes(dp.Attributes())
			e.context()
			e.end(true)
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			e.metricHead(m, typ, temporality, dp.StartTimestamp(), dp.Timestamp())
			e.histogram(dp)
			e.attributes(dp.Attributes())
			e.context()
			e.end(true)
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			e.metricHead(m, typ, temporality, dp.StartTimestamp(), dp.Timestamp())
			e.expHistogram(dp)
			e.attributes(dp.Attributes())
			e.context()
			e.end(true)
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			e.metricHead(m, typ, temporality, dp.StartTimestamp(), dp.Timestamp())
			e.summary(dp)
			e.attributes(dp.Attributes())
			e.context()
			e.end(true)
		}
	}
}

func (e *encoder) noValue() {
	if e.key(fNoRecordedValue) {
		e.b = append(e.b, "true"...)
	}
}

// histogram writes count, sum, min, max and the buckets as an object from upper bound
// to CUMULATIVE count (Prometheus and Tasker semantics), the last bound being "+Inf".
func (e *encoder) histogram(dp pmetric.HistogramDataPoint) {
	if dp.Flags().NoRecordedValue() {
		e.noValue()
		return
	}
	e.uint(fCount, dp.Count())
	if dp.HasSum() {
		e.float(fSum, dp.Sum())
	}
	if dp.HasMin() {
		e.float(fMin, dp.Min())
	}
	if dp.HasMax() {
		e.float(fMax, dp.Max())
	}
	counts := dp.BucketCounts()
	if counts.Len() == 0 || !e.key(fBuckets) {
		return
	}
	keys := e.bucketKeys(dp.ExplicitBounds())
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

func (e *encoder) expHistogram(dp pmetric.ExponentialHistogramDataPoint) {
	if dp.Flags().NoRecordedValue() {
		e.noValue()
		return
	}
	e.uint(fCount, dp.Count())
	if dp.HasSum() {
		e.float(fSum, dp.Sum())
	}
	if dp.HasMin() {
		e.float(fMin, dp.Min())
	}
	if dp.HasMax() {
		e.float(fMax, dp.Max())
	}
	e.int(fScale, int64(dp.Scale()))
	e.uint(fZeroCount, dp.ZeroCount())
	if dp.Positive().BucketCounts().Len() > 0 && e.key(fPositive) {
		e.b = appendExpBuckets(e.b, dp.Positive())
	}
	if dp.Negative().BucketCounts().Len() > 0 && e.key(fNegative) {
		e.b = appendExpBuckets(e.b, dp.Negative())
	}
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

func (e *encoder) summary(dp pmetric.SummaryDataPoint) {
	if dp.Flags().NoRecordedValue() {
		e.noValue()
		return
	}
	e.uint(fCount, dp.Count())
	e.float(fSum, dp.Sum())
	qs := dp.QuantileValues()
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

// encodeLogs writes one NDJSON object per log record.
func (e *encoder) encodeLogs(ld plog.Logs) []Group {
	e.reset()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		e.switchGroup(rl.Resource().Attributes())
		e.setResource(rl.Resource())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			e.setScope(sl.Scope())
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				e.encodeLog(lrs.At(k))
			}
		}
	}
	return e.finish()
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
	e.context()
	e.end(true)
}

// encodeTraces writes one NDJSON object per span.
func (e *encoder) encodeTraces(td ptrace.Traces) []Group {
	e.reset()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		e.switchGroup(rs.Resource().Attributes())
		e.setResource(rs.Resource())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			e.setScope(ss.Scope())
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				e.encodeSpan(spans.At(k))
			}
		}
	}
	return e.finish()
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
	e.context()
	e.end(true)
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package ndjsontest holds the fixtures of the ndjson codec's goldens, shared with the
// tasker_json exporter's tests.
package ndjsontest

import (
	"bufio"
	"bytes"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)

func tsAt(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }

// Metrics covers every metric type, int and double values, non-finite doubles,
// nested attributes, escaping and two resources (for group_by).
func Metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for r, svc := range []string{"billing", "shipping"} {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", svc)
		rm.Resource().Attributes().PutInt("process.pid", int64(1234+r))
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("taskerreceiver")
		sm.Scope().SetVersion("0.1.0")
		ms := sm.Metrics()

		c := testgen.Metric(ms, "task_completed_total", "Total number of tasks processed", "{task}")
		s := testgen.Sum(c, true, pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(tsAt(-time.Minute))
		dp.SetTimestamp(tsAt(0))
		dp.SetIntValue(42 + int64(r))
		dp.Attributes().PutStr("status", "ok")
		dp.Attributes().PutStr("namespace", `pay"ments\<eu>`)
		dp2 := s.DataPoints().AppendEmpty()
		dp2.SetTimestamp(tsAt(time.Second))
		dp2.SetIntValue(math.MaxInt64)

		g := ms.AppendEmpty()
		g.SetName("queue.depth")
		gg := g.SetEmptyGauge()
		for i, v := range []float64{0.1, -2.5e-7, 1e21, math.NaN(), math.Inf(1), math.Inf(-1), 3} {
			p := gg.DataPoints().AppendEmpty()
			p.SetTimestamp(tsAt(time.Duration(i) * time.Millisecond))
			p.SetDoubleValue(v)
			p.Attributes().PutInt("shard", int64(i))
			if i == 0 {
				nested := p.Attributes().PutEmptyMap("k8s")
				nested.PutStr("pod", "web-1 ✓")
				nested.PutEmptyMap("labels").PutStr("app", "=cmd|' /C calc'!A0")
				p.Attributes().PutEmptySlice("tags").FromRaw([]any{"a", int64(1), true})
				p.Attributes().PutEmptyBytes("raw").FromRaw([]byte{0, 1, 254})
			}
		}
		ud := ms.AppendEmpty()
		ud.SetName("workers.active")
		us := testgen.Sum(ud, false, pmetric.AggregationTemporalityDelta)
		up := us.DataPoints().AppendEmpty()
		up.SetTimestamp(tsAt(0))
		up.SetDoubleValue(-3.75)
		np := us.DataPoints().AppendEmpty()
		np.SetTimestamp(tsAt(0))
		np.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))

		h := ms.AppendEmpty()
		h.SetName("step_duration_seconds")
		h.SetUnit("s")
		hh := h.SetEmptyHistogram()
		hh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		hp := hh.DataPoints().AppendEmpty()
		hp.SetStartTimestamp(tsAt(-time.Minute))
		hp.SetTimestamp(tsAt(0))
		hp.ExplicitBounds().FromRaw([]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
		hp.BucketCounts().FromRaw([]uint64{1, 0, 2, 3, 0, 0, 4, 0, 0, 1, 0, 2})
		hp.SetCount(13)
		hp.SetSum(37.125)
		hp.SetMin(0.001)
		hp.SetMax(11.5)
		hp.Attributes().PutStr("step_name", "charge_payment")

		e := ms.AppendEmpty()
		e.SetName("task_duration_exp")
		ee := e.SetEmptyExponentialHistogram()
		ee.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		ep := ee.DataPoints().AppendEmpty()
		ep.SetTimestamp(tsAt(0))
		ep.SetScale(3)
		ep.SetCount(7)
		ep.SetSum(12.5)
		ep.SetZeroCount(1)
		ep.Positive().SetOffset(-2)
		ep.Positive().BucketCounts().FromRaw([]uint64{1, 2, 3})
		ep.Negative().BucketCounts().FromRaw([]uint64{0})

		su := ms.AppendEmpty()
		su.SetName("request_latency")
		testgen.Summary(su, tsAt(0), 10, 5.5, [2]float64{0.5, 0.4}, [2]float64{0.99, 1.75})
	}
	return md
}

// Logs covers bodies of every kind, severities, trace context and escaping.
func Logs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "billing")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("taskerreceiver")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(tsAt(0))
	lr.SetObservedTimestamp(tsAt(time.Millisecond))
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.SetSeverityText("ERROR")
	lr.SetEventName("step.failed")
	lr.Body().SetStr("Step failed:\n\"timeout\"\t<b>")
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.SetSpanID(pcommon.SpanID{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2})
	lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	lr.Attributes().PutInt("tasker.task.id", 1001)
	lr.Attributes().PutStr("exception.type", "Net::ReadTimeout")
	lr2 := sl.LogRecords().AppendEmpty()
	lr2.SetObservedTimestamp(tsAt(2 * time.Millisecond))
	lr2.Body().SetEmptyMap().PutStr("message", "structured body")
	lr3 := sl.LogRecords().AppendEmpty()
	lr3.SetTimestamp(tsAt(3 * time.Millisecond))
	lr3.Body().SetStr("plain line ü \u2028 \x01")
	return ld
}

// Traces covers span kinds, statuses, events, links and a parent.
func Traces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "billing")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("taskerreceiver")
	task := ss.Spans().AppendEmpty()
	task.SetTraceID(pcommon.TraceID{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	task.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	task.SetName("order_fulfillment")
	task.SetKind(ptrace.SpanKindInternal)
	task.SetStartTimestamp(tsAt(0))
	task.SetEndTimestamp(tsAt(1500 * time.Millisecond))
	task.Status().SetCode(ptrace.StatusCodeOk)
	task.Attributes().PutInt("tasker.task.total_steps", 3)
	task.TraceState().FromRaw("tasker=1")
	step := ss.Spans().AppendEmpty()
	step.SetTraceID(task.TraceID())
	step.SetSpanID(pcommon.SpanID{2, 2, 2, 2, 2, 2, 2, 2})
	step.SetParentSpanID(task.SpanID())
	step.SetName("charge_payment")
	step.SetKind(ptrace.SpanKindClient)
	step.SetStartTimestamp(tsAt(100 * time.Millisecond))
	step.SetEndTimestamp(tsAt(100*time.Millisecond + 1234567))
	step.Status().SetCode(ptrace.StatusCodeError)
	step.Status().SetMessage("card declined")
	ev := step.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(tsAt(101 * time.Millisecond))
	ev.Attributes().PutStr("exception.type", "PaymentError")
	l := step.Links().AppendEmpty()
	l.SetTraceID(task.TraceID())
	l.SetSpanID(pcommon.SpanID{3, 3, 3, 3, 3, 3, 3, 3})
	l.Attributes().PutStr("tasker.link", "previous_attempt")
	return td
}

// Lines splits NDJSON output into its lines (copies, without the newlines).
func Lines(b []byte) [][]byte {
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	return lines
}

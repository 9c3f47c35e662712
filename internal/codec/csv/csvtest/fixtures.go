// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package csvtest holds the batches of the csv codec's goldens and a strict CSV reader,
// shared with the tasker_csv exporter's tests.
package csvtest

import (
	"bytes"
	"encoding/csv"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

// Deterministic times of the test data.
var (
	T0 = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	T1 = T0.Add(1500*time.Millisecond + 250*time.Microsecond)
)

// TS is t as a pdata timestamp.
func TS(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// ReadCSV parses b with encoding/csv, requiring every record to have the same number
// of fields (the reader's default check), and returns the records.
func ReadCSV(t testing.TB, b []byte, sep rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = sep
	recs, err := r.ReadAll()
	require.NoError(t, err, "%s", b)
	return recs
}

// Metrics builds a batch with every metric type, flat, nested and missing labels,
// and text that needs quoting or formula escaping.
func Metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "billing")
	rm.Resource().Attributes().PutStr("host.name", "h1")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("tasker")
	sm.Scope().SetVersion("1.2.3")

	// Counter (monotonic int sum), with flat, nested and formula-like labels.
	m := sm.Metrics().AppendEmpty()
	m.SetName("task_completed_total")
	m.SetDescription("Total number of tasks processed")
	m.SetUnit("1")
	s := testgen.Sum(m, true, pmetric.AggregationTemporalityCumulative)
	dp := s.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(TS(T0.Add(-time.Minute)))
	dp.SetTimestamp(TS(T0))
	dp.SetIntValue(42)
	dp.Attributes().PutStr("task_name", "send_invoice")
	dp.Attributes().PutStr("status", "ok")
	dp = s.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(TS(T0.Add(-time.Minute)))
	dp.SetTimestamp(TS(T0))
	dp.SetIntValue(3)
	dp.Attributes().PutStr("task_name", "=cmd|' /C calc'!A0")
	dp.Attributes().PutStr("status", "error")
	step := dp.Attributes().PutEmptyMap("step")
	step.PutStr("name", "fetch")
	step.PutInt("attempt", -2)

	// UpDownCounter (non-monotonic double delta sum): negative number, never escaped.
	m = sm.Metrics().AppendEmpty()
	m.SetName("queue_depth_change")
	s = testgen.Sum(m, false, pmetric.AggregationTemporalityDelta)
	dp = s.DataPoints().AppendEmpty()
	dp.SetTimestamp(TS(T0))
	dp.SetDoubleValue(-1.5)
	dp.Attributes().PutStr("queue", "default")

	// Gauges: quoting, unicode, a missing label, no labels, no recorded value.
	m = sm.Metrics().AppendEmpty()
	m.SetName("active_connections")
	g := m.SetEmptyGauge()
	dp = g.DataPoints().AppendEmpty()
	dp.SetTimestamp(TS(T1))
	dp.SetDoubleValue(7.25)
	dp.Attributes().PutStr("region", "eu, west")
	dp.Attributes().PutStr("note", "say \"hi\"\nbye")
	dp = g.DataPoints().AppendEmpty()
	dp.SetTimestamp(TS(T1))
	dp.SetIntValue(0)
	dp.Attributes().PutStr("region", "naïve ☃ 日本")
	dp.Attributes().PutBool("primary", true)
	dp = g.DataPoints().AppendEmpty()
	dp.SetTimestamp(TS(T1))
	dp.SetDoubleValue(1e21)
	dp = g.DataPoints().AppendEmpty()
	dp.SetTimestamp(TS(T1))
	dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	dp.Attributes().PutStr("region", "@home")

	// Explicit-bucket histogram, two bound sets.
	m = sm.Metrics().AppendEmpty()
	m.SetName("task_duration_seconds")
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	hp := h.DataPoints().AppendEmpty()
	hp.SetStartTimestamp(TS(T0))
	hp.SetTimestamp(TS(T1))
	hp.ExplicitBounds().FromRaw([]float64{0.005, 0.01, 0.5, 1, 10})
	hp.BucketCounts().FromRaw([]uint64{1, 2, 0, 3, 1, 0})
	hp.SetCount(7)
	hp.SetSum(12.5)
	hp.SetMin(0.001)
	hp.SetMax(9.5)
	hp.Attributes().PutStr("task_name", "send_invoice")
	hp = h.DataPoints().AppendEmpty()
	hp.SetStartTimestamp(TS(T0))
	hp.SetTimestamp(TS(T1))
	hp.ExplicitBounds().FromRaw([]float64{0.1, 1})
	hp.BucketCounts().FromRaw([]uint64{4, 0, 2})
	hp.SetCount(6)
	hp.SetSum(3.25)
	hp.Attributes().PutStr("task_name", "sync")

	// Exponential histogram: count, sum, min, max only.
	m = sm.Metrics().AppendEmpty()
	m.SetName("payload_bytes")
	eh := m.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ep := eh.DataPoints().AppendEmpty()
	ep.SetTimestamp(TS(T1))
	ep.SetScale(1)
	ep.Positive().SetOffset(2)
	ep.Positive().BucketCounts().FromRaw([]uint64{1, 2})
	ep.SetCount(3)
	ep.SetSum(40)
	ep.SetMin(4)
	ep.SetMax(20)

	// Summary: min and max from the 0 and 1 quantiles.
	m = sm.Metrics().AppendEmpty()
	m.SetName("step_latency")
	sp := testgen.Summary(m, TS(T1), 10, 2.5, [2]float64{0, 0.01}, [2]float64{0.5, 0.2}, [2]float64{1, 0.9})
	sp.Attributes().PutStr("step_name", "+fetch")
	return md
}

// Logs builds log records with every body type and text that needs quoting.
func Logs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "billing")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("tasker")
	sl.Scope().SetVersion("1.2.3")

	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(TS(T0))
	lr.SetObservedTimestamp(TS(T1))
	lr.SetSeverityText("INFO")
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetEventName("task.completed")
	lr.Body().SetStr("Task completed, 3 steps \"ok\"")
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.SetSpanID(pcommon.SpanID{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0, 1})
	lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	lr.Attributes().PutStr("task_id", "42")
	lr.Attributes().PutEmptyMap("tasker").PutInt("attempt", 2)

	lr = sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(TS(T1))
	lr.SetSeverityText("ERROR")
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.Body().SetStr("=HYPERLINK(\"http://x\")\nsecond line")
	lr.SetDroppedAttributesCount(3)

	lr = sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(TS(T1))
	body := lr.Body().SetEmptyMap()
	body.PutStr("message", "structured")
	body.PutDouble("duration_ms", 12.5)

	lr = sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(TS(T1))
	lr.Body().SetInt(-7)

	lr = sl.LogRecords().AppendEmpty() // empty record
	return ld
}

// Traces builds a task span and step spans with events, links and statuses.
func Traces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "billing")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("tasker")
	traceID := pcommon.TraceID{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}

	root := ss.Spans().AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	root.SetName("tasker.task.execution")
	root.SetKind(ptrace.SpanKindServer)
	root.SetStartTimestamp(TS(T0))
	root.SetEndTimestamp(TS(T1))
	root.Status().SetCode(ptrace.StatusCodeOk)
	root.Attributes().PutStr("tasker.task_name", "send_invoice")
	root.Attributes().PutInt("tasker.total_steps", 3)
	root.TraceState().FromRaw("vendor=a,b=c")

	step := ss.Spans().AppendEmpty()
	step.SetTraceID(traceID)
	step.SetSpanID(pcommon.SpanID{2, 2, 2, 2, 2, 2, 2, 2})
	step.SetParentSpanID(root.SpanID())
	step.SetName("tasker.step.execution")
	step.SetKind(ptrace.SpanKindInternal)
	step.SetStartTimestamp(TS(T0.Add(time.Millisecond)))
	step.SetEndTimestamp(TS(T0.Add(1234567891 * time.Nanosecond)))
	step.Status().SetCode(ptrace.StatusCodeError)
	step.Status().SetMessage("-boom, \"quoted\"")
	step.SetFlags(1)
	step.SetDroppedEventsCount(1)
	ev := step.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(TS(T0.Add(time.Second)))
	ev.Attributes().PutStr("exception.type", "Net::Timeout")
	ev.Attributes().PutStr("exception.message", "timed out\nafter 1s")
	link := step.Links().AppendEmpty()
	link.SetTraceID(traceID)
	link.SetSpanID(pcommon.SpanID{3, 3, 3, 3, 3, 3, 3, 3})
	link.Attributes().PutStr("kind", "retry")

	open := ss.Spans().AppendEmpty() // not ended: no end, no duration
	open.SetTraceID(traceID)
	open.SetSpanID(pcommon.SpanID{4, 4, 4, 4, 4, 4, 4, 4})
	open.SetParentSpanID(root.SpanID())
	open.SetName("tasker.step.queued")
	open.SetStartTimestamp(TS(T0))
	return td
}

// Labeled builds a gauge batch named name with one point per label set.
func Labeled(name string, sets ...map[string]string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "billing")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName(name)
	dps := g.SetEmptyGauge().DataPoints()
	for i, set := range sets {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(TS(T0))
		dp.SetIntValue(int64(i))
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			dp.Attributes().PutStr(k, set[k])
		}
	}
	return md
}

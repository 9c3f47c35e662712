// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package testgen builds deterministic, Tasker-shaped telemetry for tests and benchmarks:
// the same input for our exporters and for the contrib peers they are compared with.
package testgen // import "github.com/tasker-systems/otelcol-tasker/internal/testgen"

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Base is the time of the first item: 2026-11-22T10:00:00Z.
var Base = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// TaskerBuckets are Tasker's default histogram bounds in seconds.
var TaskerBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var (
	taskNames = []string{"order_fulfillment", "invoice_sync", "user_onboarding", "report_generation"}
	stepNames = []string{"validate_order", "reserve_inventory", "charge_payment", "ship_order", "send_confirmation"}
	statuses  = []string{"completed", "failed", "retried"}
)

func ts(i int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(Base.Add(time.Duration(i) * time.Millisecond))
}

func resource(r pcommon.Resource, i int) {
	a := r.Attributes()
	a.PutStr("service.name", "tasker")
	a.PutStr("service.instance.id", "web-"+strconv.Itoa(i)+"-4242")
	a.PutStr("deployment.environment.name", "production")
	a.PutStr("tasker.version", "0.1.0")
}

// Metrics returns n data points in one resource and scope: 4 in 5 are delta counters
// (tasker.step.outcomes{task.name, step.name, status}), 1 in 5 histograms of step
// duration with Tasker's buckets.
func Metrics(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	resource(rm.Resource(), 0)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver")
	sm.Scope().SetVersion("0.1.0")
	ms := sm.Metrics()
	counter := Metric(ms, "tasker.step.outcomes", "Step executions by outcome.", "{step}")
	sum := Sum(counter, true, pmetric.AggregationTemporalityDelta)
	hist := Metric(ms, "tasker.step.duration", "Step execution duration.", "s")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	for i := 0; i < n; i++ {
		if i%5 == 4 {
			dp := h.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(ts(i - 1000))
			dp.SetTimestamp(ts(i))
			dp.Attributes().PutStr("task.name", taskNames[i%len(taskNames)])
			dp.Attributes().PutStr("step.name", stepNames[i%len(stepNames)])
			dp.ExplicitBounds().FromRaw(TaskerBuckets)
			counts := make([]uint64, len(TaskerBuckets)+1)
			var total uint64
			var s float64
			for b := range counts {
				c := uint64((i + b) % 7)
				counts[b] = c
				total += c
				if b < len(TaskerBuckets) {
					s += float64(c) * TaskerBuckets[b] * 0.8
				}
			}
			dp.BucketCounts().FromRaw(counts)
			dp.SetCount(total)
			dp.SetSum(s)
			dp.SetMin(0.001)
			dp.SetMax(12.5)
			continue
		}
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(ts(i - 1000))
		dp.SetTimestamp(ts(i))
		dp.SetIntValue(int64(i%13 + 1))
		dp.Attributes().PutStr("task.name", taskNames[i%len(taskNames)])
		dp.Attributes().PutStr("step.name", stepNames[i%len(stepNames)])
		dp.Attributes().PutStr("status", statuses[i%len(statuses)])
	}
	return md
}

// Logs returns n Tasker event log records with the attributes the tasker receiver sets.
func Logs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	resource(rl.Resource(), 0)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver")
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(n)
	for i := 0; i < n; i++ {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(ts(i))
		lr.SetObservedTimestamp(ts(i + 3))
		event := "step.completed"
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		if i%10 == 9 {
			event = "step.failed"
			lr.SetSeverityNumber(plog.SeverityNumberError)
			lr.SetSeverityText("ERROR")
			lr.Attributes().PutStr("exception.type", "Net::ReadTimeout")
			lr.Attributes().PutStr("exception.message", "Net::ReadTimeout with \"api.example.com\"")
		}
		lr.SetEventName(event)
		lr.Body().SetStr("Step " + event[5:])
		lr.SetTraceID(traceID(i / 10))
		lr.SetSpanID(spanID(i))
		a := lr.Attributes()
		a.PutStr("tasker.event.name", event)
		a.PutInt("tasker.task.id", int64(1000+i/10))
		a.PutStr("tasker.task.name", taskNames[(i/10)%len(taskNames)])
		a.PutInt("tasker.step.id", int64(50000+i))
		a.PutStr("tasker.step.name", stepNames[i%len(stepNames)])
		a.PutInt("tasker.attempt", int64(1+i%3))
		a.PutStr("tasker.correlation_id", "tsk_m1x2y3z4_"+strconv.Itoa(100000+i/10))
		a.PutDouble("tasker.duration_ms", float64(i%997)+0.25)
	}
	return ld
}

// Traces returns n spans: per task one task span with 9 step spans as children.
func Traces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	resource(rs.Resource(), 0)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver")
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	for i := 0; i < n; i++ {
		s := spans.AppendEmpty()
		task := i / 10
		s.SetTraceID(traceID(task))
		s.SetSpanID(spanID(i))
		s.SetStartTimestamp(ts(i * 10))
		s.SetEndTimestamp(ts(i*10 + 7 + i%50))
		a := s.Attributes()
		a.PutInt("tasker.task.id", int64(1000+task))
		a.PutStr("tasker.task.name", taskNames[task%len(taskNames)])
		if i%10 == 0 {
			s.SetName(taskNames[task%len(taskNames)])
			s.SetKind(ptrace.SpanKindInternal)
			s.Status().SetCode(ptrace.StatusCodeOk)
			a.PutInt("tasker.task.total_steps", 9)
			continue
		}
		s.SetParentSpanID(spanID(task * 10))
		s.SetName(stepNames[i%len(stepNames)])
		s.SetKind(ptrace.SpanKindInternal)
		a.PutInt("tasker.step.id", int64(50000+i))
		a.PutStr("tasker.step.name", stepNames[i%len(stepNames)])
		a.PutInt("tasker.attempt", 1)
		if i%10 == 9 {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("Net::ReadTimeout")
			ev := s.Events().AppendEmpty()
			ev.SetName("exception")
			ev.SetTimestamp(ts(i*10 + 6))
			ev.Attributes().PutStr("exception.type", "Net::ReadTimeout")
			ev.Attributes().PutStr("exception.message", "execution expired")
		} else {
			s.Status().SetCode(ptrace.StatusCodeOk)
		}
	}
	return td
}

func traceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	for b := range id {
		id[b] = byte(i*31 + b*7 + 1)
	}
	return id
}

func spanID(i int) pcommon.SpanID {
	var id pcommon.SpanID
	for b := range id {
		id[b] = byte(i>>(b%4*8)) ^ byte(b*17+3)
	}
	return id
}

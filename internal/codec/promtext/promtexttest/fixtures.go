// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package promtexttest holds the fixtures and checks of the Prometheus codec's tests,
// shared by the codec, the registry extension and the bench module: aggregates like
// tasker_cache's, a round trip through the Prometheus text parser against samples
// computed independently of the encoder, and `promtool check metrics`.
package promtexttest // import "github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"

import (
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

// Aggregate builds a cumulative aggregate like tasker_cache's, with every metric type the
// Prometheus encoder handles and the awkward cases (names to sanitise, values to escape).
func Aggregate() pmetric.Metrics {
	md := pmetric.NewMetrics()
	ts := pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	start := pcommon.NewTimestampFromTime(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))

	for _, svc := range []struct{ name, ns, inst string }{{"billing", "", "web-1"}, {"billing", "payments", "web-2"}} {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", svc.name)
		if svc.ns != "" {
			rm.Resource().Attributes().PutStr("service.namespace", svc.ns)
		}
		rm.Resource().Attributes().PutStr("service.instance.id", svc.inst)
		rm.Resource().Attributes().PutStr("host.name", "host-"+svc.inst)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("taskerreceiver")

		// Counter: cumulative monotonic int sum.
		m := sm.Metrics().AppendEmpty()
		m.SetName("task_completed")
		m.SetDescription("Total number of tasks completed")
		s := testgen.Sum(m, true, pmetric.AggregationTemporalityCumulative)
		for i, status := range []string{"ok", "retried"} {
			dp := s.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			dp.SetIntValue(int64(40 + i))
			dp.Attributes().PutStr("status", status)
			dp.Attributes().PutStr("tasker.task.name", "order_fulfillment")
		}

		// Counter already named *_total, double.
		m = sm.Metrics().AppendEmpty()
		m.SetName("step.failed_total")
		s = testgen.Sum(m, true, pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(3.5)
		dp.Attributes().PutStr("error", "Net::Timeout \"upstream\"\nline2 \\ end")

		// Gauge.
		m = sm.Metrics().AppendEmpty()
		m.SetName("workflow_active_tasks")
		m.SetDescription("Active tasks\nnow, with a \\ backslash")
		g := m.SetEmptyGauge()
		dp = g.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(-2.25)
		dp.Attributes().PutInt("9lives", 9)

		// Non-monotonic sum → gauge.
		m = sm.Metrics().AppendEmpty()
		m.SetName("queue-depth")
		s = testgen.Sum(m, false, pmetric.AggregationTemporalityCumulative)
		dp = s.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetIntValue(-7)

		// Histogram with Tasker's buckets.
		m = sm.Metrics().AppendEmpty()
		m.SetName("step_duration_seconds")
		m.SetDescription("Step execution duration in seconds")
		m.SetUnit("s")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		hdp := h.DataPoints().AppendEmpty()
		hdp.SetStartTimestamp(start)
		hdp.SetTimestamp(ts)
		hdp.ExplicitBounds().FromRaw(testgen.TaskerBuckets)
		hdp.BucketCounts().FromRaw([]uint64{1, 0, 2, 3, 5, 8, 13, 2, 1, 0, 0, 1})
		hdp.SetCount(36)
		hdp.SetSum(61.5)
		hdp.Attributes().PutStr("step_name", "charge_card")

		// Summary.
		m = sm.Metrics().AppendEmpty()
		m.SetName("http.server.latency")
		testgen.Summary(m, ts, 10, 4.5, [2]float64{0.5, 0.3}, [2]float64{0.99, 1.25})
	}
	return md
}

// BenchAggregate makes metrics × series cumulative series: counters, gauges and
// histograms in turn, each series with three attributes.
func BenchAggregate(metrics, series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "tasker")
	rm.Resource().Attributes().PutStr("service.instance.id", "collector-0")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for i := 0; i < metrics; i++ {
		m := ms.AppendEmpty()
		switch i % 3 {
		case 0:
			m.SetName(fmt.Sprintf("tasker.step.completed.%d", i))
			s := testgen.Sum(m, true, pmetric.AggregationTemporalityCumulative)
			for j := 0; j < series; j++ {
				dp := s.DataPoints().AppendEmpty()
				dp.SetIntValue(int64(j * 7))
				attrs(dp.Attributes(), j)
			}
		case 1:
			m.SetName(fmt.Sprintf("tasker_workflow_active_%d", i))
			g := m.SetEmptyGauge()
			for j := 0; j < series; j++ {
				dp := g.DataPoints().AppendEmpty()
				dp.SetDoubleValue(float64(j) / 3)
				attrs(dp.Attributes(), j)
			}
		case 2:
			m.SetName(fmt.Sprintf("tasker_step_duration_seconds_%d", i))
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for j := 0; j < series; j++ {
				dp := h.DataPoints().AppendEmpty()
				dp.ExplicitBounds().FromRaw(testgen.TaskerBuckets)
				counts := make([]uint64, len(testgen.TaskerBuckets)+1)
				var total uint64
				for b := range counts {
					counts[b] = uint64((j + b) % 5)
					total += counts[b]
				}
				dp.BucketCounts().FromRaw(counts)
				dp.SetCount(total)
				dp.SetSum(float64(j) * 0.75)
				attrs(dp.Attributes(), j)
			}
		}
	}
	return md
}

func attrs(a pcommon.Map, j int) {
	a.PutStr("tasker.task.name", "order_fulfillment_"+strconv.Itoa(j%17))
	a.PutStr("tasker.step.name", "step_"+strconv.Itoa(j))
	a.PutStr("status", [...]string{"ok", "failed", "retried"}[j%3])
}

// BenchCounters makes metrics × series cumulative counters.
func BenchCounters(metrics, series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "tasker")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for i := 0; i < metrics; i++ {
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("tasker.task.completed.%d", i))
		s := testgen.Sum(m, true, pmetric.AggregationTemporalityCumulative)
		for j := 0; j < series; j++ {
			dp := s.DataPoints().AppendEmpty()
			dp.SetIntValue(int64(j))
			attrs(dp.Attributes(), j)
		}
	}
	return md
}

// TwoProcesses is the case of issue 12: two Tasker processes with the same service.name
// and no service.instance.id report the same series; they differ in host.name and
// process.pid. A third resource of another service does not collide.
func TwoProcesses() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, r := range []struct{ svc, host, pid string }{{"tasker", "web-1", "11"}, {"tasker", "web-2", "11"}, {"other", "web-1", "12"}} {
		rm := md.ResourceMetrics().AppendEmpty()
		a := rm.Resource().Attributes()
		a.PutStr("service.name", r.svc)
		a.PutStr("host.name", r.host)
		a.PutStr("process.pid", r.pid)
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()
		s := ms.AppendEmpty()
		s.SetName("tasker.task.completed")
		sum := testgen.Sum(s, true, pmetric.AggregationTemporalityCumulative)
		for i, status := range []string{"ok", "failed"} {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetIntValue(int64(10 + i))
			dp.Attributes().PutStr("status", status)
		}
		// A family where only this resource reports: its series get the labels too, so
		// every series of a resource has the same resource labels.
		if r.host == "web-2" {
			g := ms.AppendEmpty()
			g.SetName("queue_depth")
			g.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(3)
		}
	}
	return md
}

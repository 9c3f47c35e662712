// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

var taskerBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// aggregate builds a cumulative aggregate like tasker_cache's, with every metric type the
// Prometheus encoder handles and the awkward cases (names to sanitise, values to escape).
func aggregate() pmetric.Metrics {
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
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
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
		s = m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
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
		s = m.SetEmptySum()
		s.SetIsMonotonic(false)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
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
		hdp.ExplicitBounds().FromRaw(taskerBuckets)
		hdp.BucketCounts().FromRaw([]uint64{1, 0, 2, 3, 5, 8, 13, 2, 1, 0, 0, 1})
		hdp.SetCount(36)
		hdp.SetSum(61.5)
		hdp.Attributes().PutStr("step_name", "charge_card")

		// Summary.
		m = sm.Metrics().AppendEmpty()
		m.SetName("http.server.latency")
		sum := m.SetEmptySummary()
		sdp := sum.DataPoints().AppendEmpty()
		sdp.SetTimestamp(ts)
		sdp.SetCount(10)
		sdp.SetSum(4.5)
		q := sdp.QuantileValues().AppendEmpty()
		q.SetQuantile(0.5)
		q.SetValue(0.3)
		q = sdp.QuantileValues().AppendEmpty()
		q.SetQuantile(0.99)
		q.SetValue(1.25)
	}
	return md
}

// staticSource is a MetricsSource returning a fixed aggregate.
type staticSource struct {
	mu    sync.Mutex
	md    pmetric.Metrics
	err   error
	info  taskerregistry.SourceInfo
	calls atomic.Int64
	delay time.Duration
}

func newStaticSource(md pmetric.Metrics) *staticSource {
	return &staticSource{md: md, info: taskerregistry.SourceInfo{
		Strategy:     "distributed_atomic",
		Capabilities: taskerregistry.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true},
		SeriesCount:  md.DataPointCount(),
	}}
}

func (s *staticSource) Snapshot(ctx context.Context) (pmetric.Metrics, error) {
	s.calls.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return pmetric.Metrics{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md, s.err
}

func (s *staticSource) Info() taskerregistry.SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// fakeEncoder is a configurable Encoder plugin implementation.
type fakeEncoder struct {
	contentType string
	ext         string
	fail        error
	partial     string // written before failing
	body        string
	calls       atomic.Int64
}

func (f *fakeEncoder) Encode(_ context.Context, format string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	f.calls.Add(1)
	if f.fail != nil {
		_, _ = io.WriteString(w, f.partial)
		return taskerregistry.Result{}, f.fail
	}
	body := f.body
	if body == "" {
		body = fmt.Sprintf("%s:%d\n", format, md.DataPointCount())
	}
	n, err := io.WriteString(w, body)
	return taskerregistry.Result{Items: md.DataPointCount(), Bytes: int64(n)}, err
}

func (f *fakeEncoder) MediaType(string) taskerregistry.MediaType {
	ct := f.contentType
	if ct == "" {
		ct = "text/csv; charset=utf-8"
	}
	return taskerregistry.MediaType{ContentType: ct, FileExtension: f.ext}
}

// recorder is an Observer collecting events.
type recorder struct {
	mu     sync.Mutex
	events []taskerregistry.Event
}

func (r *recorder) OnEvent(e taskerregistry.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Name
	}
	return out
}

var errBoom = errors.New("boom")

func encodeProm(md pmetric.Metrics, opts PrometheusOptions) (string, taskerregistry.Result, error) {
	var buf bytes.Buffer
	res, err := NewPrometheusEncoder(opts).Encode(context.Background(), FormatPrometheus, md, &buf)
	return buf.String(), res, err
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
)

const delta, cumulative = pmetric.AggregationTemporalityDelta, pmetric.AggregationTemporalityCumulative

func consume(t *testing.T, p *cacheProcessor, bs ...*builder) {
	t.Helper()
	for _, b := range bs {
		require.NoError(t, p.ConsumeMetrics(context.Background(), b.md))
	}
}

func lastExport(t *testing.T, sink *consumertest.MetricsSink) pmetric.Metrics {
	t.Helper()
	all := sink.AllMetrics()
	require.NotEmpty(t, all, "nothing exported")
	return all[len(all)-1]
}

var web1 = map[string]any{"service.name": "tasker", "service.instance.id": "web-1"}
var web2 = map[string]any{"service.name": "tasker", "service.instance.id": "web-2"}

func TestDeltaSumsAddCumulativeOutput(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(nil), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	ok := map[string]any{"status": "completed", "task.name": "order"}
	failed := map[string]any{"status": "failed", "task.name": "order"}
	consume(t, p,
		newBatch(web1).sum("tasker.task.outcomes", delta, 0, time.Second, 3, ok).sum("tasker.task.outcomes", delta, 0, time.Second, 1, failed),
		newBatch(web1).sum("tasker.task.outcomes", delta, time.Second, 2*time.Second, 4, ok),
		newBatch(web2).sum("tasker.task.outcomes", delta, time.Second, 2*time.Second, 10, ok),
		newBatch(web1).sum("tasker.step.seconds", delta, 0, time.Second, 0.1, nil).sum("tasker.step.seconds", delta, 0, time.Second, 0.2, nil),
	)
	assert.Empty(t, sink.AllMetrics(), "nothing goes downstream before the interval")
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	goldenCompare(t, "delta_sums_cumulative", out)

	dp := valueAt(t, out, "web-1", "tasker.task.outcomes", ok) // web2 is another resource
	found := 0
	for _, rm := range out.ResourceMetrics().All() {
		inst, _ := rm.Resource().Attributes().Get("service.instance.id")
		for _, m := range rm.ScopeMetrics().At(0).Metrics().All() {
			if m.Name() != "tasker.task.outcomes" {
				continue
			}
			assert.Equal(t, cumulative, m.Sum().AggregationTemporality())
			for _, p := range m.Sum().DataPoints().All() {
				if st, _ := p.Attributes().Get("status"); st.Str() == "completed" {
					found++
					want := map[string]int64{"web-1": 7, "web-2": 10}[inst.Str()]
					assert.Equal(t, want, p.IntValue(), "instance %s", inst.Str())
				}
			}
		}
	}
	assert.Equal(t, 2, found)
	assert.Equal(t, ts(0), dp.StartTimestamp(), "start is the earliest delta start")
	assert.Equal(t, ts(30*time.Second), dp.Timestamp(), "time is the export time")
	a, b := 0.1, 0.2
	assert.Equal(t, a+b, valueOf(t, out, "tasker.step.seconds", nil).DoubleValue())

	// The next interval exports the running totals again, with the same start time.
	consume(t, p, newBatch(web1).sum("tasker.task.outcomes", delta, 2*time.Second, 40*time.Second, 5, ok))
	clock.Set(t0.Add(60 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out = lastExport(t, sink)
	second := valueAt(t, out, "web-1", "tasker.task.outcomes", ok)
	assert.Equal(t, ts(0), second.StartTimestamp())
	assert.Equal(t, int64(7+5), second.IntValue())
}

func TestDeltaOutput(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(func(c *Config) { c.Temporality = TemporalityDelta }), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	a, b := map[string]any{"k": "a"}, map[string]any{"k": "b"}
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 3, a).sum("c", delta, 0, time.Second, 2, b))
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	first := lastExport(t, sink)
	assert.Equal(t, int64(3), valueOf(t, first, "c", a).IntValue())
	assert.Equal(t, int64(2), valueOf(t, first, "c", b).IntValue())

	consume(t, p, newBatch(web1).sum("c", delta, time.Second, 40*time.Second, 4, a))
	clock.Set(t0.Add(60 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	second := lastExport(t, sink)
	dp := valueOf(t, second, "c", a)
	assert.Equal(t, int64(4), dp.IntValue(), "only what arrived since the last export")
	assert.Equal(t, delta, second.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().AggregationTemporality())
	assert.Equal(t, 1, second.DataPointCount(), "unchanged series are not re-sent as zero deltas")
	goldenCompare(t, "delta_output_second", second)
}

func TestCumulativeGaugeAndResets(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(nil), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p,
		newBatch(web1).sum("cum", cumulative, 0, time.Second, 10, nil),
		newBatch(web1).sum("cum", cumulative, 0, 3*time.Second, 15, nil),
		newBatch(web1).sum("cum", cumulative, 0, 2*time.Second, 12, nil), // out of order: ignored
		newBatch(web1).gauge("queue", 5*time.Second, 4, nil),
		newBatch(web1).gauge("queue", 4*time.Second, 99, nil), // older: ignored
	)
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	assert.Equal(t, int64(15), valueOf(t, out, "cum", nil).IntValue())
	assert.Equal(t, ts(3*time.Second), valueOf(t, out, "cum", nil).Timestamp())
	assert.Equal(t, 4.0, valueOf(t, out, "queue", nil).DoubleValue())
	goldenCompare(t, "cumulative_gauge", out)

	// Reset: the producer restarted (new start time) with a smaller value.
	consume(t, p, newBatch(web1).sum("cum", cumulative, 40*time.Second, 45*time.Second, 2, nil))
	clock.Set(t0.Add(60 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	dp := valueOf(t, lastExport(t, sink), "cum", nil)
	assert.Equal(t, int64(2), dp.IntValue())
	assert.Equal(t, ts(40*time.Second), dp.StartTimestamp())
}

func TestHistogramsMergeAndBoundsMismatch(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(nil), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	step := map[string]any{"step.name": "charge"}
	consume(t, p,
		newBatch(web1).histogram("dur", time.Second, bounds, []uint64{1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}, 12.5, step),
		newBatch(web1).histogram("dur", 2*time.Second, bounds, []uint64{0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0.03, step),
		newBatch(web1).histogram("dur", 3*time.Second, []float64{1, 10}, []uint64{1, 1, 0}, 3, step), // other bounds
	)
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	goldenCompare(t, "histograms", out)
	var points []pmetric.HistogramDataPoint
	for _, m := range out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().All() {
		for _, dp := range m.Histogram().DataPoints().All() {
			points = append(points, dp)
		}
	}
	require.Len(t, points, 2, "different bounds: a separate series")
	for _, dp := range points {
		if dp.ExplicitBounds().Len() == len(bounds) {
			assert.Equal(t, []uint64{1, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}, dp.BucketCounts().AsRaw())
			assert.Equal(t, uint64(7), dp.Count())
			assert.Equal(t, 12.53, dp.Sum())
			assert.Equal(t, 12.5, dp.Max())
		}
	}
}

func TestSummariesPassThroughAndPassThroughMode(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(nil), sink, clock, nil, nil)
	b := newBatch(web1).sum("c", delta, 0, time.Second, 1, nil)
	sm := b.sm.Metrics().AppendEmpty()
	sm.SetName("latency")
	sm.SetEmptySummary().DataPoints().AppendEmpty().SetCount(3)
	consume(t, p, b)
	require.Len(t, sink.AllMetrics(), 1, "the summary is forwarded at once")
	fwd := sink.AllMetrics()[0]
	assert.Equal(t, 1, fwd.DataPointCount())
	assert.Equal(t, "latency", fwd.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Name())
	require.NoError(t, p.Shutdown(context.Background()))

	sink2 := &consumertest.MetricsSink{}
	p2 := newTestProcessor(t, testCfg(func(c *Config) { c.PassThrough = true }), sink2, clock, nil, nil)
	consume(t, p2, newBatch(web1).sum("c", delta, 0, time.Second, 1, nil).sum("c", delta, 0, time.Second, 1, nil))
	require.Len(t, sink2.AllMetrics(), 1)
	assert.Equal(t, 2, sink2.AllMetrics()[0].DataPointCount(), "pass_through forwards the input as is")
	require.NoError(t, p2.Shutdown(context.Background()))
	assert.Equal(t, 1, lastExport(t, sink2).DataPointCount(), "and the aggregate still goes out (at shutdown here)")
	assert.Equal(t, int64(2), valueOf(t, lastExport(t, sink2), "c", nil).IntValue())
}

func TestDropResourceAttributesRollsUpTheFleet(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(func(c *Config) { c.DropResourceAttributes = []string{"service.instance.id"} }), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 3, nil), newBatch(web2).sum("c", delta, 0, time.Second, 4, nil))
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	require.Equal(t, 1, out.ResourceMetrics().Len())
	_, has := out.ResourceMetrics().At(0).Resource().Attributes().Get("service.instance.id")
	assert.False(t, has)
	assert.Equal(t, int64(7), valueOf(t, out, "c", nil).IntValue())
}

func TestMaxSeriesOverflow(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(func(c *Config) { c.MaxSeries = 2 }), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	for i := range 5 {
		consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, i+1, map[string]any{"task.id": i}))
	}
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	assert.Equal(t, int64(1), valueOf(t, out, "c", map[string]any{"task.id": 0}).IntValue())
	assert.Equal(t, int64(2), valueOf(t, out, "c", map[string]any{"task.id": 1}).IntValue())
	assert.Equal(t, int64(3+4+5), valueOf(t, out, "c", map[string]any{OverflowAttribute: true}).IntValue())
	assert.Equal(t, 3, out.DataPointCount())
	goldenCompare(t, "overflow", out)
}

func TestExpiry(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(nil), sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p, newBatch(web1).sum("old", delta, 0, time.Second, 1, nil))
	clock.Set(t0.Add(4 * time.Minute))
	consume(t, p, newBatch(web1).sum("new", delta, 0, time.Second, 1, nil))
	clock.Set(t0.Add(5*time.Minute + time.Second)) // retention 5m after "old"'s last update
	p.exportOnce(context.Background(), clock.Now(), false)
	out := lastExport(t, sink)
	assert.Equal(t, 1, out.DataPointCount())
	valueOf(t, out, "new", nil)
}

// TestFailedExportExtendsTTLAndRetries: the downstream fails twice; the retries use
// backoff, the series survive past their retention, and the data goes out.
func TestFailedExportExtendsTTLAndRetries(t *testing.T) {
	clock := &fakeClock{now: t0}
	sink := &failingSink{}
	sink.fail.Store(2)
	cfg := testCfg(func(c *Config) {
		c.RetryBackoff = 20 * time.Millisecond
		c.MaxRetryBackoff = 40 * time.Millisecond
		c.SafetyMargin = time.Minute
	})
	p := newTestProcessor(t, cfg, sink, clock, nil, nil)
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 5, nil))
	// Export at 4m59.9s: retention expires at 5m; each failure extends to now+backoff+margin.
	clock.Set(t0.Add(5*time.Minute - 100*time.Millisecond))
	p.exportOnce(context.Background(), clock.Now(), false)
	assert.Equal(t, int64(3), sink.calls.Load(), "two failures, then success")
	require.Len(t, sink.AllMetrics(), 1)
	assert.Equal(t, int64(5), valueOf(t, sink.AllMetrics()[0], "c", nil).IntValue())

	// A failure with no time left to retry in the interval keeps the data: TTL extended.
	sink.fail.Store(100)
	clock.Set(t0.Add(5*time.Minute + 29*time.Second + 990*time.Millisecond))
	p.exportOnce(context.Background(), clock.Now(), false)
	states, _, err := p.be.Snapshot(context.Background(), t0.Add(5*time.Minute+80*time.Second))
	require.NoError(t, err)
	assert.Len(t, states, 1, "still there past retention: the failed export extended it")
}

// TestOneExportPerIntervalAcrossReplicas: three processors share one store; across
// 20 intervals each interval is exported exactly once, and totals are exact.
func TestOneExportPerIntervalAcrossReplicas(t *testing.T) {
	shared := backend.NewMemory(5 * time.Minute)
	clock := &fakeClock{now: t0}
	var exports atomic.Int64
	sinks := make([]*consumertest.MetricsSink, 3)
	procs := make([]*cacheProcessor, 3)
	for i := range procs {
		sinks[i] = &consumertest.MetricsSink{}
		procs[i] = newTestProcessor(t, testCfg(func(c *Config) { c.InstanceID = fmt.Sprintf("replica-%d", i) }), sinks[i], clock, shared, nil)
	}
	var want int64
	for interval := 1; interval <= 20; interval++ {
		for i, p := range procs {
			v := interval*10 + i
			want += int64(v)
			consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, v, nil))
		}
		clock.Set(t0.Add(time.Duration(interval) * 30 * time.Second))
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.exportOnce(context.Background(), clock.Now(), false) }()
		}
		wg.Wait()
		n := int64(0)
		var latest pmetric.Metrics
		for _, s := range sinks {
			n += int64(len(s.AllMetrics()))
			if len(s.AllMetrics()) > 0 {
				latest = s.AllMetrics()[len(s.AllMetrics())-1]
			}
		}
		require.Equal(t, int64(interval), n, "interval %d: exactly one export so far per interval", interval)
		exports.Store(n)
		_ = latest
	}
	var last pmetric.Metrics
	var lastTS int64
	for _, s := range sinks {
		for _, md := range s.AllMetrics() {
			if v := int64(valueOf(t, md, "c", nil).Timestamp()); v > lastTS {
				lastTS, last = v, md
			}
		}
	}
	assert.Equal(t, want, valueOf(t, last, "c", nil).IntValue(), "the total of all replicas, exactly")
	for _, p := range procs {
		require.NoError(t, p.Shutdown(context.Background()))
	}
}

func TestStorageSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	id := component.MustNewID("file_storage")
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("", dir)
	_ = id
	clock := &fakeClock{now: t0}
	cfg := testCfg(func(c *Config) { sid := storagetest.NewStorageID(""); c.Storage = &sid })
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, cfg, sink, clock, nil, host)
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 6, nil))
	// Shutdown exports and snapshots; a new processor restores and keeps counting.
	require.NoError(t, p.Shutdown(context.Background()))
	sink2 := &consumertest.MetricsSink{}
	p2 := newTestProcessor(t, cfg, sink2, clock, nil, host)
	consume(t, p2, newBatch(web1).sum("c", delta, time.Second, 2*time.Second, 4, nil))
	clock.Set(t0.Add(30 * time.Second))
	p2.exportOnce(context.Background(), clock.Now(), false)
	assert.Equal(t, int64(10), valueOf(t, lastExport(t, sink2), "c", nil).IntValue())
	require.NoError(t, p2.Shutdown(context.Background()))
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"flag"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// fakeClock is the processor's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func testCfg(mut func(*Config)) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.InstanceID = "test-1"
	if mut != nil {
		mut(cfg)
	}
	return cfg
}

// newTestProcessor starts a processor on a fake clock. be, when not nil, replaces the
// configured backend (several processors sharing one store stand for replicas).
func newTestProcessor(t *testing.T, cfg *Config, next consumer.Metrics, clock *fakeClock, be backend.Backend, host component.Host) *cacheProcessor {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := processortest.NewNopSettings(metadata.Type)
	// Warnings and errors show in the output of a failed test.
	set.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	var opts []option
	if be != nil {
		opts = append(opts, withBackend(be))
	}
	p, err := newCacheProcessor(set, cfg, next, opts...)
	require.NoError(t, err)
	p.now = clock.Now
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, p.Start(context.Background(), host))
	return p
}

func goldenCompare(t *testing.T, name string, got pmetric.Metrics) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".yaml")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, golden.WriteMetricsToFile(path, got, golden.SkipMetricTimestampNormalization()))
	}
	want, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got,
		pmetrictest.IgnoreResourceMetricsOrder(), pmetrictest.IgnoreMetricsOrder(),
		pmetrictest.IgnoreMetricDataPointsOrder(), pmetrictest.IgnoreScopeMetricsOrder()), "golden %s", path)
}

// builder makes small input batches.
type builder struct {
	md pmetric.Metrics
	sm pmetric.ScopeMetrics
}

func newBatch(resAttrs map[string]any) *builder {
	b := &builder{md: pmetric.NewMetrics()}
	rm := b.md.ResourceMetrics().AppendEmpty()
	_ = rm.Resource().Attributes().FromRaw(resAttrs)
	b.sm = rm.ScopeMetrics().AppendEmpty()
	b.sm.Scope().SetName("taskerreceiver")
	return b
}

func ts(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }

func (b *builder) sum(name string, temporality pmetric.AggregationTemporality, start, at time.Duration, v any, attrs map[string]any) *builder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("1")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(temporality)
	dp := s.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(ts(start))
	dp.SetTimestamp(ts(at))
	switch x := v.(type) {
	case int:
		dp.SetIntValue(int64(x))
	case float64:
		dp.SetDoubleValue(x)
	}
	_ = dp.Attributes().FromRaw(attrs)
	return b
}

func (b *builder) gauge(name string, at time.Duration, v float64, attrs map[string]any) *builder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts(at))
	dp.SetDoubleValue(v)
	_ = dp.Attributes().FromRaw(attrs)
	return b
}

func (b *builder) histogram(name string, at time.Duration, bounds []float64, counts []uint64, sum float64, attrs map[string]any) *builder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(ts(at - time.Second))
	dp.SetTimestamp(ts(at))
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(sum)
	dp.SetMin(sum / float64(n) / 2)
	dp.SetMax(sum)
	_ = dp.Attributes().FromRaw(attrs)
	return b
}

// failingSink fails its first n calls, then records like a MetricsSink.
type failingSink struct {
	consumertest.MetricsSink
	fail  atomic.Int64
	calls atomic.Int64
}

func (f *failingSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	f.calls.Add(1)
	if f.fail.Add(-1) >= 0 {
		return errors.New("downstream unavailable")
	}
	return f.MetricsSink.ConsumeMetrics(ctx, md)
}

// valueOf finds the single point of metric name with the given attributes.
func valueOf(t *testing.T, md pmetric.Metrics, name string, attrs map[string]any) pmetric.NumberDataPoint {
	t.Helper()
	return valueAt(t, md, "", name, attrs)
}

// valueAt is valueOf restricted to the resource whose service.instance.id is inst
// ("" matches every resource).
func valueAt(t *testing.T, md pmetric.Metrics, inst, name string, attrs map[string]any) pmetric.NumberDataPoint {
	t.Helper()
	var found []pmetric.NumberDataPoint
	for _, rm := range md.ResourceMetrics().All() {
		if id, _ := rm.Resource().Attributes().Get("service.instance.id"); inst != "" && id.Str() != inst {
			continue
		}
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Name() != name {
					continue
				}
				var dps pmetric.NumberDataPointSlice
				if m.Type() == pmetric.MetricTypeSum {
					dps = m.Sum().DataPoints()
				} else {
					dps = m.Gauge().DataPoints()
				}
				for _, dp := range dps.All() {
					raw := dp.Attributes().AsRaw()
					if len(raw) == len(attrs) && equalRaw(raw, attrs) {
						found = append(found, dp)
					}
				}
			}
		}
	}
	require.Len(t, found, 1, "points of %s%v", name, attrs)
	return found[0]
}

func equalRaw(a, b map[string]any) bool {
	for k, v := range b {
		av, ok := a[k]
		if !ok {
			return false
		}
		switch x := v.(type) {
		case int:
			if av != int64(x) {
				return false
			}
		default:
			if av != v {
				return false
			}
		}
	}
	return true
}

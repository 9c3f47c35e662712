// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadatatest"
)

// TestExportDurationBuckets: the export duration is recorded in seconds into buckets
// made for seconds. Before, the default buckets (0, 5, 10, 25 … 10000: made for
// milliseconds) put every export in the first two.
func TestExportDurationBuckets(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	clock := &fakeClock{now: t0}
	slow, _ := consumer.NewMetrics(func(context.Context, pmetric.Metrics) error {
		time.Sleep(30 * time.Millisecond)
		return nil
	})
	p, err := newCacheProcessor(metadatatest.NewSettings(tel), testCfg(nil), slow)
	require.NoError(t, err)
	p.now = clock.Now
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 1, nil))
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)

	m, err := tel.GetMetric("otelcol_processor_tasker_cache_export_duration")
	require.NoError(t, err)
	assert.Equal(t, "s", m.Unit)
	h := m.Data.(metricdata.Histogram[float64])
	require.Len(t, h.DataPoints, 1)
	dp := h.DataPoints[0]
	assert.Equal(t, []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, dp.Bounds)
	require.Equal(t, uint64(1), dp.Count)
	// A 30 ms export lands in (0.025, 0.05] (a slow machine: a later bucket), never the first.
	assert.Zero(t, dp.BucketCounts[0]+dp.BucketCounts[1]+dp.BucketCounts[2]+dp.BucketCounts[3]+dp.BucketCounts[4], "buckets: %v", dp.BucketCounts)
	assert.GreaterOrEqual(t, dp.Sum, 0.03)
}

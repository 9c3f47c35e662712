// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/memcachedtest"
	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
)

// consumeBatch is the number of points per ConsumeMetrics call in BenchmarkConsume.
const consumeBatch = 1000

// BenchmarkConsume measures the ingest path, ConsumeMetrics, in steady state: batches of
// 1,000 points cycling over 10k series that already exist, sums or histograms, on each
// backend (memory: the shipped hot path). Reports points/s.
func BenchmarkConsume(b *testing.B) {
	for _, c := range []struct {
		name  string
		setup func(b *testing.B) func(*Config)
	}{
		{"memory", func(*testing.B) func(*Config) { return nil }},
		{"memory_max_series", func(*testing.B) func(*Config) { return func(c *Config) { c.MaxSeries = 100_000 } }},
		{"redis", func(b *testing.B) func(*Config) { return redisCfg(redistest.Start(b).Addr, "bench") }},
		{"memcached", func(b *testing.B) func(*Config) { return memcachedCfg(memcachedtest.Start(b).Addr, "bench") }},
	} {
		for _, kind := range []string{"sum", "hist"} {
			b.Run(c.name+"/"+kind, func(b *testing.B) {
				mut := c.setup(b)
				clock := &fakeClock{now: t0}
				p := newTestProcessor(&testing.T{}, testCfg(mut), consumertest.NewNop(), clock, nil, nil)
				batches := make([]pmetric.Metrics, 10)
				for i := range batches {
					bt := newBatch(web1)
					for j := range consumeBatch {
						attrs := map[string]any{"i": i*consumeBatch + j}
						if kind == "sum" {
							bt.sum("c", delta, 0, time.Second, int64(j), attrs)
						} else {
							bt.histogram("h", time.Second, []float64{1, 5, 10}, []uint64{1, 2, 3, 4}, 9, attrs)
						}
					}
					batches[i] = bt.md
					require.NoError(b, p.ConsumeMetrics(context.Background(), bt.md)) // the series exist
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := p.ConsumeMetrics(context.Background(), batches[i%len(batches)]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*consumeBatch)/b.Elapsed().Seconds(), "points/s")
				if n := p.buf.points(); n > 0 {
					b.Fatal(fmt.Sprintf("%d points buffered: the backend failed", n))
				}
				require.NoError(b, p.Shutdown(context.Background()))
			})
		}
	}
}

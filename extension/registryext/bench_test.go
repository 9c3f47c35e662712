// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"fmt"
	"io"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// countWriter discards what it is given and counts it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}

var _ io.Writer = (*countWriter)(nil)

// BenchmarkPrometheusEncode encodes 10k series of the kinds tasker_cache outputs.
// Reports series/s, bytes/series, allocs/series (run with -benchmem for allocs/op).
func BenchmarkPrometheusEncode(b *testing.B) {
	for _, bc := range []struct {
		name            string
		metrics, series int
	}{
		{"mixed_30x334", 30, 334},           // counters, gauges, histograms (11 buckets)
		{"counters_10x1000", 10, 1000},      // counters only
		{"many_families_10000x1", 10000, 1}, // one series per family
	} {
		md := benchAggregate(bc.metrics, bc.series)
		if bc.name == "counters_10x1000" {
			md = benchCounters(bc.metrics, bc.series)
		}
		series := md.DataPointCount()
		b.Run(fmt.Sprintf("%s_%dseries", bc.name, series), func(b *testing.B) {
			enc := NewPrometheusEncoder(PrometheusOptions{})
			w := &countWriter{}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := enc.Encode(ctx, FormatPrometheus, md, w)
				if err != nil || res.Items != series {
					b.Fatalf("items %d err %v", res.Items, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(series)*float64(b.N)/b.Elapsed().Seconds(), "series/s")
			b.ReportMetric(float64(w.n)/float64(b.N)/float64(series), "B_out/series")
		})
	}
}

func benchCounters(metrics, series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "tasker")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for i := 0; i < metrics; i++ {
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("tasker.task.completed.%d", i))
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for j := 0; j < series; j++ {
			dp := s.DataPoints().AppendEmpty()
			dp.SetIntValue(int64(j))
			benchAttrs(dp.Attributes(), j)
		}
	}
	return md
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/prometheus/common/expfmt"
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
// Reports series/s, bytes/series, allocs/series (run with -benchmem for allocs/op), for
// this package's writer and for expfmt writing the same families.
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
		run := func(b *testing.B, encode func(w io.Writer) (int, error)) {
			w := &countWriter{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, err := encode(w)
				if err != nil || n != series {
					b.Fatalf("items %d err %v", n, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(series)*float64(b.N)/b.Elapsed().Seconds(), "series/s")
			b.ReportMetric(float64(w.n)/float64(b.N)/float64(series), "B_out/series")
		}
		enc := NewPrometheusEncoder(PrometheusOptions{})
		ctx := context.Background()
		b.Run(fmt.Sprintf("%s_%dseries/writer", bc.name, series), func(b *testing.B) {
			run(b, func(w io.Writer) (int, error) {
				res, err := enc.Encode(ctx, FormatPrometheus, md, w)
				return res.Items, err
			})
		})
		// The same conversion, written by expfmt from client_model families: the
		// library this writer is measured against (same output, byte for byte).
		b.Run(fmt.Sprintf("%s_%dseries/expfmt", bc.name, series), func(b *testing.B) {
			run(b, func(w io.Writer) (int, error) {
				st := newConvState()
				st.enc = enc
				st.convert(md)
				bw := bufio.NewWriter(w)
				for _, f := range st.families() {
					if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
						return 0, err
					}
				}
				return st.items, bw.Flush()
			})
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

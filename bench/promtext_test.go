// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"io"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
)

// countWriter discards what it is given and counts it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}

// BenchmarkPrometheusText encodes a tasker_cache-like aggregate of 10k series in the
// Prometheus text format 0.0.4, as GET /metrics does: tasker_promtext is the codec's
// direct writer (internal/codec/promtext), contrib_expfmt the same conversion written
// through client_model families by prometheus/common/expfmt (byte-identical output,
// tested in the codec). The ratio is what keeps the writer (docs/BENCHMARKS.md).
func BenchmarkPrometheusText(b *testing.B) {
	for _, bc := range []struct {
		name string
		md   pmetric.Metrics
	}{
		{"mixed_30x334", promtexttest.BenchAggregate(30, 334)},           // counters, gauges, histograms (11 buckets)
		{"counters_10x1000", promtexttest.BenchCounters(10, 1000)},       // counters only
		{"many_families_10000x1", promtexttest.BenchAggregate(10000, 1)}, // one series per family
	} {
		series := bc.md.DataPointCount()
		enc := promtext.NewEncoder(promtext.Options{})
		ctx := context.Background()
		for _, impl := range []struct {
			name   string
			encode func(w io.Writer) (int, error)
		}{
			{"tasker_promtext", func(w io.Writer) (int, error) {
				res, err := enc.Encode(ctx, promtext.Format, bc.md, w)
				return res.Items, err
			}},
			{"contrib_expfmt", func(w io.Writer) (int, error) {
				res, err := enc.EncodeExpfmt(ctx, bc.md, w, false)
				return res.Items, err
			}},
		} {
			b.Run(bc.name+"_"+strconv.Itoa(series)+"series/"+impl.name, func(b *testing.B) {
				w := &countWriter{}
				b.ReportAllocs()
				for b.Loop() {
					n, err := impl.encode(w)
					if err != nil || n != series {
						b.Fatalf("items %d err %v", n, err)
					}
				}
				b.ReportMetric(float64(series)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
				b.ReportMetric(float64(w.n)/float64(b.N)/float64(series), "B_out/series")
			})
		}
	}
}

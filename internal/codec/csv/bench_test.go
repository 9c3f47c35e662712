// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

const benchBatch = 1000

// BenchmarkEncodeMetrics encodes 1,000 Tasker-shaped data points (counters with three
// labels and histograms with Tasker's 11 buckets) as the exporter does per export:
// scan for the label keys and bounds, choose the layout, encode the rows.
func BenchmarkEncodeMetrics(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"flatten", nil},
		{"json_labels", func(c *Options) { c.FlattenLabels = false }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			o, err := newOptions(testOptions(signalMetrics, tc.mod))
			require.NoError(b, err)
			enc := newEncoder(o)
			rms := md.ResourceMetrics()
			var cached *layout
			b.ReportAllocs()
			var n int
			for b.Loop() {
				groups := enc.split(rms.Len(), func(i int) pcommon.Resource { return rms.At(i).Resource() })
				need := enc.scanMetrics(md, &groups[0])
				if cached == nil || !o.covers(cached, need) {
					cached = o.layoutFor(cached, need)
				}
				n = len(enc.encodeMetrics(md, &groups[0], cached))
			}
			testgen.ReportItems(b, benchBatch)
			b.ReportMetric(float64(n)/benchBatch, "B/item")
		})
	}
}

func BenchmarkEncodeLogs(b *testing.B) {
	ld := testgen.Logs(benchBatch)
	o, err := newOptions(testOptions(signalLogs, nil))
	require.NoError(b, err)
	enc := newEncoder(o)
	rls := ld.ResourceLogs()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		groups := enc.split(rls.Len(), func(i int) pcommon.Resource { return rls.At(i).Resource() })
		n = len(enc.encodeLogs(ld, &groups[0], o.fixed))
	}
	testgen.ReportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

func BenchmarkEncodeSpans(b *testing.B) {
	td := testgen.Traces(benchBatch)
	o, err := newOptions(testOptions(signalTraces, nil))
	require.NoError(b, err)
	enc := newEncoder(o)
	rss := td.ResourceSpans()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		groups := enc.split(rss.Len(), func(i int) pcommon.Resource { return rss.At(i).Resource() })
		n = len(enc.encodeTraces(td, &groups[0], o.fixed))
	}
	testgen.ReportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package ndjson

import (
	"testing"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

const benchBatch = 1000

func BenchmarkEncodeMetrics(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	for _, format := range []string{"ndjson", "tasker"} {
		b.Run(format, func(b *testing.B) {
			o := testOptions(func(o *Options) { o.Tasker = format == "tasker" })
			keys := newKeyTable(nil, nil)
			enc := newEncoder(o, keys)
			doc := newTaskerDoc(o, keys)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				var groups []Group
				if o.Tasker {
					groups = doc.encode(enc, md)
				} else {
					groups = enc.encodeMetrics(md)
				}
				n = len(groups[0].Buf)
			}
			testgen.ReportItems(b, benchBatch)
			b.ReportMetric(float64(n)/benchBatch, "B/item")
		})
	}
}

func BenchmarkEncodeLogs(b *testing.B) {
	ld := testgen.Logs(benchBatch)
	enc := newEncoder(testOptions(nil), newKeyTable(nil, nil))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(enc.encodeLogs(ld)[0].Buf)
	}
	testgen.ReportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

func BenchmarkEncodeTraces(b *testing.B) {
	td := testgen.Traces(benchBatch)
	enc := newEncoder(testOptions(nil), newKeyTable(nil, nil))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(enc.encodeTraces(td)[0].Buf)
	}
	testgen.ReportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

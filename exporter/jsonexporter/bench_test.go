// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"testing"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

const benchBatch = 1000

func reportItems(b *testing.B, items int) {
	b.ReportMetric(float64(b.N*items)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkEncodeMetrics(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	for _, format := range []string{FormatNDJSON, FormatTasker} {
		b.Run(format, func(b *testing.B) {
			cfg := testConfig(func(c *Config) { c.Format = format })
			keys := newKeyTable(nil, nil)
			enc := newEncoder(cfg, keys)
			doc := newTaskerDoc(cfg, keys)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				var groups []groupBuf
				if format == FormatTasker {
					groups = doc.encode(enc, md)
				} else {
					groups = enc.encodeMetrics(md)
				}
				n = len(groups[0].buf)
			}
			reportItems(b, benchBatch)
			b.ReportMetric(float64(n)/benchBatch, "B/item")
		})
	}
}

func BenchmarkEncodeLogs(b *testing.B) {
	ld := testgen.Logs(benchBatch)
	enc := newEncoder(testConfig(nil), newKeyTable(nil, nil))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(enc.encodeLogs(ld)[0].buf)
	}
	reportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

func BenchmarkEncodeTraces(b *testing.B) {
	td := testgen.Traces(benchBatch)
	enc := newEncoder(testConfig(nil), newKeyTable(nil, nil))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(enc.encodeTraces(td)[0].buf)
	}
	reportItems(b, benchBatch)
	b.ReportMetric(float64(n)/benchBatch, "B/item")
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
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

// BenchmarkExportMetrics measures one export of 1,000 data points through the exporter
// (exporterhelper without queue, encoding, write) into an append-mode file.
func BenchmarkExportMetrics(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	dir := b.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), func(c *Config) {
		c.FlushInterval = testConfig(nil).FlushInterval // the default 1 s flush loop
	})
	ctx := context.Background()
	exp, err := NewFactory().CreateMetrics(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(b, err)
	require.NoError(b, exp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(b, exp.ConsumeMetrics(ctx, md))
	b.ReportAllocs()
	for b.Loop() {
		if err := exp.ConsumeMetrics(ctx, md); err != nil {
			b.Fatal(err)
		}
	}
	reportItems(b, benchBatch)
	b.StopTimer()
	require.NoError(b, exp.Shutdown(ctx))
}

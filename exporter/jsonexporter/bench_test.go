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
	testgen.ReportItems(b, benchBatch)
	b.StopTimer()
	require.NoError(b, exp.Shutdown(ctx))
}

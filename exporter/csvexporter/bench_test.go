// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

const benchBatch = 1000

// BenchmarkExportMetrics measures one export of 1,000 data points through the
// exporter (exporterhelper without queue, header check, encoding) into a file.
func BenchmarkExportMetrics(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	dir := b.TempDir()
	cfg := fileConfig(dir, func(c *Config) {
		c.Path = filepath.Join(dir, "{signal}.csv")
		c.FlushInterval = testConfig(nil).FlushInterval // the default 1 s flush loop
	})
	exp := startMetrics(b, cfg)
	ctx := context.Background()
	require.NoError(b, exp.ConsumeMetrics(ctx, md)) // the file and its header exist
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

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
)

// BenchmarkExportMetrics measures one export of 1,000 data points through the
// exporter (exporterhelper without queue, header check, encoding) into a file.
func BenchmarkExportMetrics(b *testing.B) {
	dir := b.TempDir()
	cfg := fileConfig(dir, func(c *Config) {
		c.Path = filepath.Join(dir, "{signal}.csv")
		c.FlushInterval = testConfig(nil).FlushInterval // the default 1 s flush loop
	})
	require.NoError(b, cfg.Validate())
	exp := fileexporttest.BenchExportMetrics(b, NewFactory(), exportertest.NewNopSettings(metadata.Type), cfg, componenttest.NewNopHost())
	require.NoError(b, exp.Shutdown(context.Background()))
}

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
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
)

// BenchmarkExportMetrics measures one export of 1,000 data points through the exporter
// (exporterhelper without queue, encoding, write) into an append-mode file.
func BenchmarkExportMetrics(b *testing.B) {
	cfg := syncConfig(filepath.Join(b.TempDir(), "{signal}.json"), func(c *Config) {
		c.FlushInterval = testConfig(nil).FlushInterval // the default 1 s flush loop
	})
	exp := fileexporttest.BenchExportMetrics(b, NewFactory(), exportertest.NewNopSettings(metadata.Type), cfg, componenttest.NewNopHost())
	require.NoError(b, exp.Shutdown(context.Background()))
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter"
	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
)

// TestShippedExportersKeepDataReadOnly builds the file exporters of otelcol-config.yaml
// with their factories and checks that none declares MutatesData. A queue `batch` would
// (exporterhelper's batcher moves records out of what it is given), and the fan-out then
// copies every request for the first of the two exporters; with the batch's flush_timeout
// that made the shipped pipeline 3.5x slower (docs/BENCHMARKS.md, "End to end").
func TestShippedExportersKeepDataReadOnly(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("..", "..", "otelcol-config.yaml"))
	require.NoError(t, err)
	exporters, err := cm.Sub("exporters")
	require.NoError(t, err)
	for _, f := range []exporter.Factory{jsonexporter.NewFactory(), csvexporter.NewFactory()} {
		sub, err := exporters.Sub(f.Type().String())
		require.NoError(t, err)
		cfg := f.CreateDefaultConfig()
		require.NoError(t, sub.Unmarshal(cfg))
		me, le, te := fileexporttest.CreateAll(t, f, fileexporttest.Settings(f.Type(), ""), cfg)
		assert.False(t, le.Capabilities().MutatesData, "%s logs", f.Type())
		assert.False(t, te.Capabilities().MutatesData, "%s traces", f.Type())
		assert.False(t, me.Capabilities().MutatesData, "%s metrics", f.Type())
	}
}

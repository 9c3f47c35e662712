// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadatatest"
	"github.com/tasker-systems/otelcol-tasker/internal/testfs"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

// An export returns only when its lines are in the file (flush_interval as
// default); a failed write returns the data for retry and is counted in the
// exporter's telemetry; a torn last line left by a crash is cut off at start.
func TestExportDurability(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "logs.json")
	require.NoError(t, os.WriteFile(file, []byte("{\"kept\":1}\n{\"torn\":"), 0o644))
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), func(c *Config) { c.FlushInterval = createDefaultConfig().(*Config).FlushInterval })
	require.Positive(t, cfg.FlushInterval)
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	ctx := context.Background()
	le, err := NewFactory().CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, le.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, le.Shutdown(ctx)) })
	metadatatest.AssertEqualExporterTaskerTornRecordsRepaired(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())

	lines := func() int { b, _ := os.ReadFile(file); return strings.Count(string(b), "\n") }
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(10)))
	assert.Equal(t, 11, lines(), "written when the export returned")

	testfs.Immutable(t, file, true)
	err = le.ConsumeLogs(ctx, testgen.Logs(5))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "retryable")
	var failed consumererror.Logs
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, 5, failed.Data().LogRecordCount(), "the whole export comes back for retry")
	metadatatest.AssertEqualExporterTaskerWriteFailures(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	testfs.Immutable(t, file, false)
	require.NoError(t, le.ConsumeLogs(ctx, failed.Data()))
	assert.Equal(t, 16, lines())
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "{\"kept\":1}\n{"), "the torn line is gone, the complete one kept")
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson/ndjsontest"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

// syncConfig writes synchronously (no queue, no retry) so a test sees each export's result.
func syncConfig(path string, mut func(*Config)) *Config {
	return fileexporttest.Apply(testConfig(nil), func(c *Config) {
		c.Path = path
		fileexporttest.Sync(&c.Config)
	}, mut)
}

func TestExportAllSignalsToFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), nil)
	ctx := context.Background()
	me, le, te := fileexporttest.StartAll(t, NewFactory(), exportertest.NewNopSettings(metadata.Type), cfg, componenttest.NewNopHost())
	require.NoError(t, me.ConsumeMetrics(ctx, testgen.Metrics(100)))
	require.NoError(t, me.ConsumeMetrics(ctx, testgen.Metrics(50)))
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(70)))
	require.NoError(t, te.ConsumeTraces(ctx, testgen.Traces(30)))
	require.NoError(t, me.Shutdown(ctx))
	require.NoError(t, le.Shutdown(ctx))
	require.NoError(t, te.Shutdown(ctx))

	for signal, n := range map[string]int{"metrics": 150, "logs": 70, "traces": 30} {
		raw, err := os.ReadFile(filepath.Join(dir, signal+".json"))
		require.NoError(t, err)
		lines := ndjsontest.Lines(raw)
		require.Len(t, lines, n, signal)
		for _, l := range lines {
			require.True(t, json.Valid(l))
		}
	}
}

func TestPerExportTaskerDocuments(t *testing.T) {
	dir := t.TempDir()
	cfg := syncConfig(dir, func(c *Config) {
		c.Mode = filewriter.ModePerExport
		c.Format = FormatTasker
		c.Instance = "web-1"
	})
	ctx := context.Background()
	e, err := NewFactory().CreateMetrics(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(ctx, componenttest.NewNopHost()))
	for _, n := range []int{10, 20, 30} {
		require.NoError(t, e.ConsumeMetrics(ctx, testgen.Metrics(n)))
	}
	require.NoError(t, e.Shutdown(ctx))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 3)
	name := regexp.MustCompile(`^metrics_export_web-1_\d{8}T\d{6}Z_\d{6}\.json$`)
	totals := map[float64]bool{}
	for _, de := range entries {
		assert.Regexp(t, name, de.Name())
		raw, err := os.ReadFile(filepath.Join(dir, de.Name()))
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(raw, &doc))
		totals[doc["total_metrics"].(float64)] = true
		assert.Len(t, doc["metrics"], int(doc["total_metrics"].(float64)))
	}
	assert.Equal(t, map[float64]bool{10: true, 20: true, 30: true}, totals)
}

func TestStartFailsOnUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, []byte("x"), 0o644))
	cfg := syncConfig(filepath.Join(blocker, "sub", "{signal}.json"), nil)
	ctx := context.Background()
	e, err := NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = e.Start(ctx, componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), blocker)
	assert.Regexp(t, `^tasker_json: tasker_json/\S+ \(logs\): `, err.Error())
	require.NoError(t, e.Shutdown(ctx))
}

// TestGroupByRetriesOnlyUnwrittenGroups makes the second group's directory unusable: the
// export fails, the error carries only that group's data, the first group's file has
// its data once.
func TestGroupByRetriesOnlyUnwrittenGroups(t *testing.T) {
	dir := t.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{group}", "{signal}.json"), func(c *Config) {
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 4, MissingValue: "unknown"}
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shipping"), []byte("not a directory"), 0o644))
	ctx := context.Background()
	e, err := NewFactory().CreateMetrics(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(ctx, componenttest.NewNopHost()))
	md := ndjsontest.Metrics()
	err = e.ConsumeMetrics(ctx, md)
	require.Error(t, err)
	var me consumererror.Metrics
	require.True(t, errors.As(err, &me), "error must carry the data to retry: %v", err)
	rest := me.Data()
	require.Equal(t, 1, rest.ResourceMetrics().Len())
	svc, _ := rest.ResourceMetrics().At(0).Resource().Attributes().Get("service.name")
	assert.Equal(t, "shipping", svc.Str())
	require.NoError(t, e.Shutdown(ctx))
	raw, err := os.ReadFile(filepath.Join(dir, "billing", "metrics.json"))
	require.NoError(t, err)
	assert.Len(t, ndjsontest.Lines(raw), md.DataPointCount()/2)
}

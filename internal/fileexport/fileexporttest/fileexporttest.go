// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package fileexporttest is the test scaffolding the file exporters (tasker_json,
// tasker_csv) share: synchronous configurations, settings, starting the three signals'
// instances, the sizes of the files written, the export benchmark loop and the checks of
// the configuration both have. The checks against a real tasker_registry are in
// extension/registryext/registrytest (an internal package imports no component).
package fileexporttest // import "github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
)

// BenchBatch is the number of data points of one benchmarked export.
const BenchBatch = 1000

// Apply applies the mods to cfg in order, skipping nil ones, and returns cfg: how the
// exporters' tests derive a configuration from a base one.
func Apply[C any](cfg C, mods ...func(C)) C {
	for _, mod := range mods {
		if mod != nil {
			mod(cfg)
		}
	}
	return cfg
}

// Sync makes cfg synchronous, so a test sees each export's result when the call
// returns: no sending queue, no retry, the file flushed after every export.
func Sync(cfg *fileexport.Config) {
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	cfg.FlushInterval = 0
}

// Settings are the no-op settings of the exporter typ/name (name "": no name), built
// as version 0.1.0.
func Settings(typ component.Type, name string) exporter.Settings {
	set := exportertest.NewNopSettings(typ)
	set.ID = component.NewIDWithName(typ, name)
	set.BuildInfo.Version = "0.1.0"
	return set
}

// CreateAll creates the metrics, logs and traces exporters of f with the same settings
// and configuration (so they share one id, as the collector's instances of one
// exporter do), without starting them.
func CreateAll(t *testing.T, f exporter.Factory, set exporter.Settings, cfg component.Config) (exporter.Metrics, exporter.Logs, exporter.Traces) {
	t.Helper()
	ctx := context.Background()
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := f.CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	return me, le, te
}

// StartAll is CreateAll, then starts the three on host. The caller shuts them down.
func StartAll(t *testing.T, f exporter.Factory, set exporter.Settings, cfg component.Config, host component.Host) (exporter.Metrics, exporter.Logs, exporter.Traces) {
	t.Helper()
	me, le, te := CreateAll(t, f, set, cfg)
	for _, c := range []component.Component{me, le, te} {
		require.NoError(t, c.Start(context.Background(), host))
	}
	return me, le, te
}

// DirBytes sums the sizes of the files under dir (rotated files included).
func DirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	}))
	return n
}

// BenchExportMetrics creates the metrics exporter of f with set and cfg, starts it on
// host and measures its exports of BenchBatch data points: one export first, so the file
// (and a header) exists, then one export per iteration, reporting allocations and items
// per second. The timer is stopped when it returns the exporter, still running: the
// caller checks what it wants and shuts it down.
func BenchExportMetrics(b *testing.B, f exporter.Factory, set exporter.Settings, cfg component.Config, host component.Host) exporter.Metrics {
	md := testgen.Metrics(BenchBatch)
	ctx := context.Background()
	exp, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(b, err)
	require.NoError(b, exp.Start(ctx, host))
	require.NoError(b, exp.ConsumeMetrics(ctx, md))
	b.ReportAllocs()
	for b.Loop() {
		if err := exp.ConsumeMetrics(ctx, md); err != nil {
			b.Fatal(err)
		}
	}
	testgen.ReportItems(b, BenchBatch)
	b.StopTimer()
	return exp
}

// CheckRegistryOption checks the registry option of a file exporter's configuration
// (newConfig returns its default): a component id, with or without a name, is taken;
// anything else fails to decode.
func CheckRegistryOption(t *testing.T, newConfig func() fileexport.Configured) {
	for _, tc := range []struct{ value, err string }{
		{"tasker_registry", ""},
		{"tasker_registry/x", ""},
		{"tasker registry", "invalid character"},
	} {
		cfg := newConfig()
		err := confmap.NewFromStringMap(map[string]any{"registry": tc.value}).Unmarshal(cfg)
		if tc.err != "" {
			require.Error(t, err, tc.value)
			assert.Contains(t, err.Error(), tc.err)
			continue
		}
		require.NoError(t, err, tc.value)
		require.NotNil(t, cfg.FileExport().Registry)
		assert.Equal(t, tc.value, cfg.FileExport().Registry.String())
	}
}

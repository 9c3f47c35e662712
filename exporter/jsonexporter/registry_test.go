// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson/ndjsontest"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// exporterSettings are the settings of the instance tasker_json/name.
func exporterSettings(name string) exporter.Settings {
	return fileexporttest.Settings(metadata.Type, name)
}

// TestRegistryRegistersAndReports runs the three signals of one exporter against a real
// registry: one shared plugin, every export reported with the items and the bytes of
// the files written, unregistered with the last instance.
func TestRegistryRegistersAndReports(t *testing.T) {
	host, regs := registrytest.NewHostRegistries(t, "")
	reg := regs[0]
	dir := t.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), nil) // registry unset: the only one
	ctx := context.Background()
	me, le, te := fileexporttest.StartAll(t, NewFactory(), exporterSettings("files"), cfg, host)

	p, ok := reg.Get("tasker_json/files")
	require.True(t, ok)
	assert.Equal(t, "0.1.0", p.Version)
	assert.Equal(t, []string{"json", "ndjson"}, p.Formats)
	assert.Equal(t, "tasker_json/files", p.ComponentID)
	assert.Equal(t, "exporter", p.ComponentKind)
	assert.True(t, p.Encoder)
	assert.Equal(t, 3, p.Instances)
	assert.Equal(t, map[string]string{"path": cfg.Path, "mode": "append", "format": "ndjson"}, p.Options)
	assert.NotEmpty(t, p.Description)
	assert.Equal(t, []string{"tasker_json/files"}, reg.Stats().PluginsByFormat["ndjson"])

	require.NoError(t, me.ConsumeMetrics(ctx, testgen.Metrics(100)))
	require.NoError(t, me.ConsumeMetrics(ctx, testgen.Metrics(50)))
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(70)))
	require.NoError(t, te.ConsumeTraces(ctx, testgen.Traces(30)))

	st := reg.Stats().Plugins["tasker_json/files"]
	assert.EqualValues(t, 4, st.Exports)
	assert.EqualValues(t, 0, st.Failures)
	assert.EqualValues(t, 150+70+30, st.Items)
	assert.EqualValues(t, fileexporttest.DirBytes(t, dir), st.Bytes)
	require.NotNil(t, st.LastExport)
	require.NotNil(t, st.LastDurationMs)

	// Each export is an event of origin pipeline, with its signal, items and bytes.
	page := reg.Events(registryext.EventQuery{Name: taskerregistry.EventExportCompleted})
	require.Len(t, page.Events, 4)
	signals := map[string]float64{}
	for _, ev := range page.Events {
		assert.Equal(t, "pipeline", ev.Payload["origin"])
		assert.Equal(t, "ndjson", ev.Payload["format"])
		assert.Equal(t, "tasker_json/files", ev.Payload["plugin_name"])
		signals[ev.Payload["signal"].(string)] += float64(ev.Payload["metrics_count"].(int))
	}
	assert.Equal(t, map[string]float64{"metrics": 150, "logs": 70, "traces": 30}, signals)
	for signal, items := range map[string]int{"metrics": 150, "logs": 70, "traces": 30} {
		raw, err := os.ReadFile(filepath.Join(dir, signal+".json"))
		require.NoError(t, err)
		assert.Len(t, ndjsontest.Lines(raw), items, signal)
	}

	// The plugin lives until its last instance shuts down.
	registrytest.CheckSharedPlugin(t, reg, "tasker_json/files", me, le, te)
	assert.Len(t, reg.Events(registryext.EventQuery{Name: taskerregistry.EventPluginUnregistered}).Events, 1)
}

// TestRegistryReportsFailures: a failed write is reported as a failed export.
func TestRegistryReportsFailures(t *testing.T) {
	host, regs := registrytest.NewHostRegistries(t, "")
	reg := regs[0]
	dir := t.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{group}", "{signal}.json"), func(c *Config) {
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 4, MissingValue: "unknown"}
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shipping"), []byte("not a directory"), 0o644))
	ctx := context.Background()
	e, err := NewFactory().CreateMetrics(ctx, exporterSettings(""), cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(ctx, host))
	require.Error(t, e.ConsumeMetrics(ctx, ndjsontest.Metrics()))
	defer func() { require.NoError(t, e.Shutdown(ctx)) }()

	registrytest.CheckFailedExport(t, reg, "tasker_json", "shipping", "metrics")
}

// TestRegistryExportMatchesFile: the registry's on-demand export of an aggregate is
// byte for byte what the exporter writes for the same metrics (a per_export file).
func TestRegistryExportMatchesFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		ct   string
		ext  string
	}{
		{"ndjson", nil, "application/x-ndjson; charset=utf-8", "ndjson"},
		{"ndjson_flatten_mapped", func(c *Config) {
			c.Labels = LabelsFlatten
			c.FieldMapping = map[string]string{"timestamp": "@timestamp"}
			c.AdditionalFields = map[string]any{"env": "prod"}
		}, "application/x-ndjson; charset=utf-8", "ndjson"},
		// group_by splits the files, not the on-demand export.
		{"ndjson_group_by", func(c *Config) {
			c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 4, MissingValue: "unknown"}
			c.Path = filepath.Join(c.Path, "{group}")
		}, "application/x-ndjson; charset=utf-8", "ndjson"},
		{"tasker", func(c *Config) { c.Format = FormatTasker }, "application/json; charset=utf-8", "json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, regs := registrytest.NewHostRegistries(t, "a", "b")
			regA, regB := regs[0], regs[1]
			dir := t.TempDir()
			cfg := syncConfig(dir, func(c *Config) {
				c.Mode = filewriter.ModePerExport
				id := component.MustNewIDWithName("tasker_registry", "b")
				c.Registry = &id
				if tc.mut != nil {
					tc.mut(c)
				}
			})
			require.NoError(t, cfg.Validate())
			ctx := context.Background()
			e, err := NewFactory().CreateMetrics(ctx, exporterSettings("x"), cfg)
			require.NoError(t, err)
			require.NoError(t, e.Start(ctx, host))
			defer func() { require.NoError(t, e.Shutdown(ctx)) }()
			assert.Len(t, regA.Plugins(), 1, "only the built-in prometheus plugin in the other registry")

			md := ndjsontest.Metrics()
			require.NoError(t, e.ConsumeMetrics(ctx, md))
			var file []byte
			require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, rerr := os.ReadFile(path)
					file = append(file, b...)
					return rerr
				}
				return err
			}))
			require.NotEmpty(t, file)

			_, err = regB.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "tasker_cache", Source: registrytest.StaticSource{MD: md}})
			require.NoError(t, err)
			wantBytes := len(file)
			for _, format := range []string{"json", cfg.Format} {
				res, err := regB.Export(ctx, registryext.ExportRequest{Format: format})
				require.NoError(t, err, format)
				wantBytes += len(res.Data)
				assert.Equal(t, "tasker_json/x", res.Plugin)
				assert.Equal(t, md.DataPointCount(), res.Items)
				assert.Equal(t, taskerregistry.MediaType{ContentType: tc.ct, FileExtension: tc.ext}, res.MediaType)
				got, want := res.Data, file
				if cfg.Format == FormatTasker { // the export time differs
					got, want = maskExportTime(t, got), maskExportTime(t, want)
				}
				if cfg.GroupBy != nil { // one file per group; the export is all of them
					assert.ElementsMatch(t, ndjsontest.Lines(want), ndjsontest.Lines(got))
					assert.Len(t, got, len(want))
					continue
				}
				assert.Equal(t, string(want), string(got), format)
			}
			// On-demand exports count in the plugin's stats too.
			st := regB.Stats().Plugins["tasker_json/x"]
			assert.EqualValues(t, 3, st.Exports)
			assert.EqualValues(t, 3*md.DataPointCount(), st.Items)
			assert.EqualValues(t, wantBytes, st.Bytes)
		})
	}
}

// maskExportTime replaces the export time of a tasker document: its top-level
// timestamp and metadata.exported_at (the data points' times are days earlier).
func maskExportTime(t *testing.T, doc []byte) []byte {
	t.Helper()
	var top struct {
		Timestamp string `json:"timestamp"`
		Metadata  struct {
			ExportedAt string `json:"exported_at"`
		} `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal(doc, &top))
	ts, err := time.Parse(time.RFC3339Nano, top.Timestamp)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), ts, time.Minute)
	require.Equal(t, top.Timestamp, top.Metadata.ExportedAt)
	out := bytes.ReplaceAll(doc, []byte(`"`+top.Timestamp+`"`), []byte(`"EXPORT_TIME"`))
	require.Equal(t, 2, bytes.Count(out, []byte("EXPORT_TIME")))
	return out
}

// TestRegistryEncoderGolden: the encoder the exporter registers gives the golden output
// of the exporter's encoder (tasker documents with a fixed export time).
func TestRegistryEncoderGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		mut    func(*Config)
	}{
		{"metrics.ndjson", nil},
		{"metrics_flatten.ndjson", func(c *Config) { c.Labels = LabelsFlatten }},
		{"metrics_tasker.json", func(c *Config) { c.Format = FormatTasker }},
		{"metrics_tasker_pretty.json", func(c *Config) {
			c.Format = FormatTasker
			c.Pretty = true
			c.FieldMapping = map[string]string{"metrics": "data"}
			c.AdditionalFields = map[string]any{"source": "otelcol-tasker"}
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			cfg := testConfig(tc.mut)
			enc := newMetricsEncoder(cfg)
			enc.Now = func() time.Time { return time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC) }
			var buf bytes.Buffer
			res, err := enc.Encode(context.Background(), "json", ndjsontest.Metrics(), &buf)
			require.NoError(t, err)
			want, err := os.ReadFile(filepath.Join(goldenDir, tc.golden))
			require.NoError(t, err)
			assert.Equal(t, string(want), buf.String())
			assert.Equal(t, taskerregistry.Result{Items: ndjsontest.Metrics().DataPointCount(), Bytes: int64(buf.Len())}, res)
		})
	}

	// An empty aggregate: no NDJSON lines; a tasker document without metrics.
	var buf bytes.Buffer
	_, err := newMetricsEncoder(testConfig(nil)).Encode(context.Background(), "ndjson", pmetric.NewMetrics(), &buf)
	require.NoError(t, err)
	assert.Empty(t, buf.Bytes())
	_, err = newMetricsEncoder(testConfig(func(c *Config) { c.Format = FormatTasker })).Encode(context.Background(), "tasker", pmetric.NewMetrics(), &buf)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, map[string]any{}, doc["metrics"])
	assert.EqualValues(t, 0, doc["total_metrics"])

	// A cancelled export writes nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	buf.Reset()
	_, err = newMetricsEncoder(testConfig(nil)).Encode(ctx, "json", ndjsontest.Metrics(), &buf)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, buf.Bytes())
}

// TestRegistryFind: a configured registry that is not running fails Start; without any
// registry the exporter works; several need the registry option.
func TestRegistryFind(t *testing.T) {
	registrytest.CheckFind(t, registrytest.FindCase{
		Factory: NewFactory(), Settings: exporterSettings("f"), Signal: fileexport.SignalMetrics,
		Config: func(dir string, registry *component.ID) component.Config {
			return syncConfig(filepath.Join(dir, "{signal}.json"), func(c *Config) { c.Registry = registry })
		},
		Works: func(t *testing.T, e component.Component, dir string) {
			require.NoError(t, e.(exporter.Metrics).ConsumeMetrics(context.Background(), testgen.Metrics(10)))
			raw, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
			require.NoError(t, err)
			assert.Len(t, ndjsontest.Lines(raw), 10)
		},
	})
}

// BenchmarkExportMetricsRegistry is BenchmarkExportMetrics with a tasker_registry
// receiving a report (stats and an export_completed event) for every export.
func BenchmarkExportMetricsRegistry(b *testing.B) {
	cfg := syncConfig(filepath.Join(b.TempDir(), "{signal}.json"), func(c *Config) {
		c.FlushInterval = testConfig(nil).FlushInterval
	})
	host, regs := registrytest.NewHostRegistries(b, "")
	exp := fileexporttest.BenchExportMetrics(b, NewFactory(), exporterSettings(""), cfg, host)
	require.EqualValues(b, b.N+1, regs[0].Stats().Plugins["tasker_json"].Exports)
	require.NoError(b, exp.Shutdown(context.Background()))
}

// BenchmarkReport is what the registry support adds to every export of 1,000 data
// points: a time.Now pair, the item count and the report (a no-op without a registry).
func BenchmarkReport(b *testing.B) {
	md := testgen.Metrics(fileexporttest.BenchBatch)
	for _, name := range []string{"no_registry", "registry"} {
		b.Run(name, func(b *testing.B) {
			e := &jsonExporter{Exporter: &fileexport.Exporter{Signal: fileexport.SignalMetrics, Format: FormatNDJSON}}
			if name == "registry" {
				var err error
				e.Handle, err = taskerregistry.NewRegistry(registryext.New(registryext.Options{})).Register(newPlugin(testConfig(nil), component.MustNewID("tasker_json"), "0.1.0"))
				require.NoError(b, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				e.Report(start, md.DataPointCount(), 544_000, nil)
			}
		})
	}
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson/ndjsontest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// The registry test helpers are shared: extension/registryext/registrytest.
type registryHost = registrytest.Host

func newRegistryHost(t *testing.T, names ...string) registryHost {
	return registrytest.NewHost(t, names...)
}

func registryOf(t *testing.T, h registryHost, id component.ID) *registryext.Registry {
	return registrytest.Registry(t, h, id)
}

func exporterSettings(name string) exporter.Settings {
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, name)
	set.BuildInfo.Version = "0.1.0"
	return set
}

// fileSizes sums the sizes of the files under dir.
func fileSizes(t *testing.T, dir string) int64 {
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

// TestRegistryRegistersAndReports runs the three signals of one exporter against a real
// registry: one shared plugin, every export reported with the items and the bytes of
// the files written, unregistered with the last instance.
func TestRegistryRegistersAndReports(t *testing.T) {
	host := newRegistryHost(t, "")
	reg := registryOf(t, host, component.MustNewID("tasker_registry"))
	dir := t.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), nil) // registry unset: the only one
	ctx := context.Background()
	set := exporterSettings("files")
	f := NewFactory()
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := f.CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	for _, c := range []component.Component{me, le, te} {
		require.NoError(t, c.Start(ctx, host))
	}

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
	assert.EqualValues(t, fileSizes(t, dir), st.Bytes)
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
	require.NoError(t, me.Shutdown(ctx))
	require.NoError(t, le.Shutdown(ctx))
	p, ok = reg.Get("tasker_json/files")
	require.True(t, ok)
	assert.Equal(t, 1, p.Instances)
	require.NoError(t, te.Shutdown(ctx))
	_, ok = reg.Get("tasker_json/files")
	assert.False(t, ok)
	assert.Len(t, reg.Events(registryext.EventQuery{Name: taskerregistry.EventPluginUnregistered}).Events, 1)
}

// TestRegistryReportsFailures: a failed write is reported as a failed export.
func TestRegistryReportsFailures(t *testing.T) {
	host := newRegistryHost(t, "")
	reg := registryOf(t, host, component.MustNewID("tasker_registry"))
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

	st := reg.Stats().Plugins["tasker_json"]
	assert.EqualValues(t, 0, st.Exports)
	assert.EqualValues(t, 1, st.Failures)
	require.NotNil(t, st.LastError)
	assert.Contains(t, *st.LastError, "shipping")
	failed := reg.Events(registryext.EventQuery{Name: taskerregistry.EventExportFailed}).Events
	require.Len(t, failed, 1)
	assert.Equal(t, "metrics", failed[0].Payload["signal"])
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
			host := newRegistryHost(t, "a", "b")
			regA := registryOf(t, host, component.MustNewIDWithName("tasker_registry", "a"))
			regB := registryOf(t, host, component.MustNewIDWithName("tasker_registry", "b"))
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
	ctx := context.Background()
	start := func(t *testing.T, host component.Host, mut func(*Config)) (exporter.Metrics, string, error) {
		dir := t.TempDir()
		e, err := NewFactory().CreateMetrics(ctx, exporterSettings("f"), syncConfig(filepath.Join(dir, "{signal}.json"), mut))
		require.NoError(t, err)
		return e, dir, e.Start(ctx, host)
	}
	missing := component.MustNewIDWithName("tasker_registry", "missing")

	t.Run("configured id missing", func(t *testing.T) {
		e, _, err := start(t, newRegistryHost(t, ""), func(c *Config) { c.Registry = &missing })
		require.Error(t, err)
		assert.Contains(t, err.Error(), `tasker_json: tasker_json/f (metrics): registry "tasker_registry/missing": no such extension is running`)
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("configured id missing, no extensions", func(t *testing.T) {
		e, _, err := start(t, componenttest.NewNopHost(), func(c *Config) { c.Registry = &missing })
		require.Error(t, err)
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("configured id of another type", func(t *testing.T) {
		other := component.MustNewID("health_check")
		host := newRegistryHost(t, "")
		host.Exts[other] = struct {
			component.StartFunc
			component.ShutdownFunc
		}{}
		e, _, err := start(t, host, func(c *Config) { c.Registry = &other })
		require.Error(t, err)
		assert.Contains(t, err.Error(), `registry "health_check": extension is a`)
		assert.Contains(t, err.Error(), "not a tasker_registry extension")
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("several, none chosen", func(t *testing.T) {
		e, _, err := start(t, newRegistryHost(t, "a", "b"), nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "several tasker_registry extensions are running")
		require.NoError(t, e.Shutdown(ctx))
	})
	t.Run("no registry", func(t *testing.T) {
		e, dir, err := start(t, componenttest.NewNopHost(), nil)
		require.NoError(t, err)
		require.NoError(t, e.ConsumeMetrics(ctx, testgen.Metrics(10)))
		require.NoError(t, e.Shutdown(ctx))
		raw, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
		require.NoError(t, err)
		assert.Len(t, ndjsontest.Lines(raw), 10)
	})
	t.Run("name taken", func(t *testing.T) {
		host := newRegistryHost(t, "")
		reg := registryOf(t, host, component.MustNewID("tasker_registry"))
		_, err := reg.Register(taskerregistry.Plugin{Name: "tasker_json/f", Formats: []string{"json"}})
		require.NoError(t, err)
		e, _, err := start(t, host, nil)
		require.Error(t, err)
		assert.True(t, errors.Is(err, taskerregistry.ErrAlreadyRegistered), "%v", err)
		assert.Contains(t, err.Error(), "tasker_json: tasker_json/f (metrics): registering with tasker_registry")
		require.NoError(t, e.Shutdown(ctx))
	})
}

// BenchmarkExportMetricsRegistry is BenchmarkExportMetrics with a tasker_registry
// receiving a report (stats and an export_completed event) for every export.
func BenchmarkExportMetricsRegistry(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	dir := b.TempDir()
	cfg := syncConfig(filepath.Join(dir, "{signal}.json"), func(c *Config) {
		c.FlushInterval = testConfig(nil).FlushInterval
	})
	ctx := context.Background()
	f := registryext.NewFactory()
	rcfg := f.CreateDefaultConfig().(*registryext.Config)
	rcfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	set := extensiontest.NewNopSettings(f.Type())
	ext, err := f.Create(ctx, set, rcfg)
	require.NoError(b, err)
	require.NoError(b, ext.Start(ctx, componenttest.NewNopHost()))
	host := registryHost{Host: componenttest.NewNopHost(), Exts: map[component.ID]component.Component{set.ID: ext}}
	exp, err := NewFactory().CreateMetrics(ctx, exporterSettings(""), cfg)
	require.NoError(b, err)
	require.NoError(b, exp.Start(ctx, host))
	require.NoError(b, exp.ConsumeMetrics(ctx, md))
	b.ReportAllocs()
	for b.Loop() {
		if err := exp.ConsumeMetrics(ctx, md); err != nil {
			b.Fatal(err)
		}
	}
	testgen.ReportItems(b, benchBatch)
	b.StopTimer()
	reg := registrytest.Registry(b, host, set.ID)
	require.EqualValues(b, b.N+1, reg.Stats().Plugins["tasker_json"].Exports)
	require.NoError(b, exp.Shutdown(ctx))
	require.NoError(b, ext.Shutdown(ctx))
}

// BenchmarkReport is what the registry support adds to every export of 1,000 data
// points: a time.Now pair, the item count and the report (a no-op without a registry).
func BenchmarkReport(b *testing.B) {
	md := testgen.Metrics(benchBatch)
	for _, name := range []string{"no_registry", "registry"} {
		b.Run(name, func(b *testing.B) {
			e := &jsonExporter{signal: signalMetrics, format: FormatNDJSON}
			if name == "registry" {
				var err error
				e.handle, err = taskerregistry.NewRegistry(registryext.New(registryext.Options{})).Register(newPlugin(testConfig(nil), component.MustNewID("tasker_json"), "0.1.0"))
				require.NoError(b, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				e.report(start, md.DataPointCount(), 544_000, nil)
			}
		})
	}
}

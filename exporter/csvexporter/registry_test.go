// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/testgen"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// exporterSettings are the settings of the instance tasker_csv/name.
func exporterSettings(name string) exporter.Settings {
	return fileexporttest.Settings(metadata.Type, name)
}

// TestRegistryRegistersAndReports runs the three signals of one exporter against a real
// registry: one shared plugin; every export reported with its items and the bytes it
// added to the files, header lines counted once per file (also when a new label rotates
// the metrics file, and not again for a restart that appends to a file with the same
// header); unregistered with the last instance.
func TestRegistryRegistersAndReports(t *testing.T) {
	host, regs := registrytest.NewHostRegistries(t, "")
	reg := regs[0]
	dir := t.TempDir()
	cfg := fileConfig(dir, nil) // registry unset: the only one
	ctx := context.Background()
	set := exporterSettings("files")
	f := NewFactory()
	me, le, te := fileexporttest.StartAll(t, f, set, cfg, host)

	p, ok := reg.Get("tasker_csv/files")
	require.True(t, ok)
	assert.Equal(t, "0.1.0", p.Version)
	assert.Equal(t, []string{"csv"}, p.Formats)
	assert.Equal(t, "tasker_csv/files", p.ComponentID)
	assert.Equal(t, "exporter", p.ComponentKind)
	assert.True(t, p.Encoder)
	assert.Equal(t, 3, p.Instances)
	assert.Equal(t, map[string]string{"path": cfg.Path, "mode": "append"}, p.Options)
	assert.Equal(t, []string{"csv", "prometheus"}, reg.ExportableFormats())

	require.NoError(t, me.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, me.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t2"})))                 // same header
	require.NoError(t, me.ConsumeMetrics(ctx, labeled("b", map[string]string{"task": "t3", "status": "ok"}))) // rotates
	require.NoError(t, me.ConsumeMetrics(ctx, testMetrics()))                                                 // rotates
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(70)))
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(30)))
	require.NoError(t, te.ConsumeTraces(ctx, testgen.Traces(30)))

	files := csvFiles(t, dir)
	require.Len(t, files, 3+2, "metrics.csv rotated twice: %v", files)
	metricItems := 3 + testMetrics().DataPointCount()
	st := reg.Stats().Plugins["tasker_csv/files"]
	assert.EqualValues(t, 7, st.Exports)
	assert.EqualValues(t, 0, st.Failures)
	assert.EqualValues(t, metricItems+100+30, st.Items)
	assert.EqualValues(t, fileexporttest.DirBytes(t, dir), st.Bytes)

	// Each export is an event of origin pipeline, with its signal and items.
	page := reg.Events(registryext.EventQuery{Name: taskerregistry.EventExportCompleted})
	require.Len(t, page.Events, 7)
	items := map[string]int{}
	for _, ev := range page.Events {
		assert.Equal(t, "pipeline", ev.Payload["origin"])
		assert.Equal(t, "csv", ev.Payload["format"])
		assert.Equal(t, "tasker_csv/files", ev.Payload["plugin_name"])
		items[ev.Payload["signal"].(string)] += ev.Payload["metrics_count"].(int)
	}
	assert.Equal(t, map[string]int{"metrics": metricItems, "logs": 100, "traces": 30}, items)

	// The plugin lives until its last instance shuts down.
	registrytest.CheckSharedPlugin(t, reg, "tasker_csv/files", me, le, te)

	// A restart appends to the files: their headers are not counted again.
	before := fileexporttest.DirBytes(t, dir)
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	le, err = f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, me.Start(ctx, host))
	require.NoError(t, le.Start(ctx, host))
	require.NoError(t, me.ConsumeMetrics(ctx, testMetrics()))
	require.NoError(t, le.ConsumeLogs(ctx, testgen.Logs(10)))
	st = reg.Stats().Plugins["tasker_csv/files"]
	assert.EqualValues(t, 2, st.Exports)
	assert.EqualValues(t, fileexporttest.DirBytes(t, dir)-before, st.Bytes)
	assert.Len(t, csvFiles(t, dir), 5, "appended, not rotated")
	require.NoError(t, me.Shutdown(ctx))
	require.NoError(t, le.Shutdown(ctx))
}

// TestRegistryReportsFailures: a failed write is reported as a failed export.
func TestRegistryReportsFailures(t *testing.T) {
	host, regs := registrytest.NewHostRegistries(t, "")
	reg := regs[0]
	dir := t.TempDir()
	cfg := fileConfig(dir, func(c *Config) {
		c.Path = filepath.Join(dir, "{group}.csv")
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10, MissingValue: "none"}
	})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "shipping.csv"), 0o755)) // a directory where the file should go
	ctx := context.Background()
	e, err := NewFactory().CreateMetrics(ctx, exporterSettings(""), cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(ctx, host))
	defer func() { require.NoError(t, e.Shutdown(ctx)) }()
	md := labeled("a", map[string]string{"task": "t1"})
	other := labeled("b", map[string]string{"status": "ok"})
	other.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "shipping")
	other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	require.Error(t, e.ConsumeMetrics(ctx, md))

	registrytest.CheckFailedExport(t, reg, "tasker_csv", "shipping.csv", "metrics")
}

// TestRegistryExportMatchesFile: the registry's on-demand export of an aggregate is
// byte for byte what the exporter writes for the same metrics: a per_export file, or a
// new append-mode file, header included.
func TestRegistryExportMatchesFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		ct   string
	}{
		{"per_export", nil, "text/csv; charset=utf-8; header=present"},
		{"append", func(c *Config) { c.Mode = filewriter.ModeAppend }, "text/csv; charset=utf-8; header=present"},
		{"all_columns", func(c *Config) {
			c.Columns, c.ResourceColumns = csv.Columns(signalMetrics), []string{"service.instance.id"}
		}, "text/csv; charset=utf-8; header=present"},
		{"json_labels", func(c *Config) { c.FlattenLabels = false }, "text/csv; charset=utf-8; header=present"},
		{"unknown_labels_json", func(c *Config) { c.UnknownLabels = UnknownLabelsJSON }, "text/csv; charset=utf-8; header=present"},
		{"semicolon_crlf_mapped", func(c *Config) {
			c.Separator = ";"
			c.LineEnding = LineEndingCRLF
			c.EscapeFormulas = false
			c.FieldMapping = map[string]string{"timestamp": "time", "label_status": "Status", "le_inf": "le_+Inf"}
		}, "text/csv; charset=utf-8; header=present"},
		{"no_headers", func(c *Config) { c.IncludeHeaders = false }, "text/csv; charset=utf-8; header=absent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, regs := registrytest.NewHostRegistries(t, "a", "b")
			regA, regB := regs[0], regs[1]
			dir := t.TempDir()
			cfg := fileConfig(dir, func(c *Config) {
				c.Path = dir
				c.Mode = filewriter.ModePerExport
				id := component.MustNewIDWithName("tasker_registry", "b")
				c.Registry = &id
				if tc.mod != nil {
					tc.mod(c)
				}
				if c.Mode == filewriter.ModeAppend {
					c.Path = filepath.Join(dir, "{signal}.csv")
				}
			})
			ctx := context.Background()
			e := startMetricsOn(t, cfg, "x", host)
			defer func() { require.NoError(t, e.Shutdown(ctx)) }()
			assert.Len(t, regA.Plugins(), 1, "only the built-in prometheus plugin in the other registry")

			md := testMetrics()
			require.NoError(t, e.ConsumeMetrics(ctx, md))
			files := csvFiles(t, dir)
			require.Len(t, files, 1)
			var file string
			for _, c := range files {
				file = c
			}

			_, err := regB.RegisterMetricsSource(taskerregistry.SourceRegistration{Name: "tasker_cache", Source: registrytest.StaticSource{MD: md}})
			require.NoError(t, err)
			res, err := regB.Export(ctx, registryext.ExportRequest{Format: "CSV"})
			require.NoError(t, err)
			assert.Equal(t, "tasker_csv/x", res.Plugin)
			assert.Equal(t, md.DataPointCount(), res.Items)
			assert.Equal(t, taskerregistry.MediaType{ContentType: tc.ct, FileExtension: "csv"}, res.MediaType)
			assert.Equal(t, file, string(res.Data))

			// Exports through the pipeline and on demand both count.
			st := regB.Stats().Plugins["tasker_csv/x"]
			assert.EqualValues(t, 2, st.Exports)
			assert.EqualValues(t, 2*md.DataPointCount(), st.Items)
			assert.EqualValues(t, 2*len(file), st.Bytes)
		})
	}
}

func startMetricsOn(t *testing.T, cfg *Config, name string, host component.Host) exporter.Metrics {
	t.Helper()
	require.NoError(t, cfg.Validate())
	e, err := NewFactory().CreateMetrics(context.Background(), exporterSettings(name), cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(context.Background(), host))
	return e
}

// TestRegistryEncoder: the encoder the exporter registers writes what a new file would
// hold (the golden files); group_by does not split it: one header for the whole
// aggregate; an empty aggregate is the header alone.
func TestRegistryEncoder(t *testing.T) {
	encode := func(t *testing.T, cfg *Config, md pmetric.Metrics) ([]byte, taskerregistry.Result) {
		t.Helper()
		enc, err := newMetricsEncoder(cfg)
		require.NoError(t, err)
		var buf bytes.Buffer
		res, err := enc.Encode(context.Background(), "csv", md, &buf)
		require.NoError(t, err)
		assert.EqualValues(t, buf.Len(), res.Bytes)
		return buf.Bytes(), res
	}
	for _, tc := range []struct {
		golden string
		mod    func(*Config)
	}{
		{"metrics.csv", nil},
		{"metrics_json_labels.csv", func(c *Config) { c.FlattenLabels = false }},
		{"metrics_buckets_column.csv", func(c *Config) { c.Columns = []string{"name", "count", "sum", "buckets", "labels"} }},
		{"metrics_no_headers.csv", func(c *Config) { c.IncludeHeaders = false }},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, res := encode(t, testConfig(tc.mod), testMetrics())
			want, err := os.ReadFile(filepath.Join(goldenDir, tc.golden))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
			assert.Equal(t, testMetrics().DataPointCount(), res.Items)
		})
	}

	t.Run("group_by", func(t *testing.T) {
		md := labeled("a", map[string]string{"task": "t1"})
		other := labeled("b", map[string]string{"status": "ok"})
		other.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "shipping")
		other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
		cfg := testConfig(func(c *Config) {
			c.Path = "./out/{group}/{signal}.csv"
			c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10, MissingValue: "none"}
		})
		got, _ := encode(t, cfg, md)
		assert.Equal(t, "timestamp,start_timestamp,name,type,temporality,value,status,task,resource_id,service_name,service_instance_id\n"+
			"2024-05-01T12:00:00.123456789Z,,a,gauge,,0,,t1,ccfeb79637208dc4,billing,\n"+
			"2024-05-01T12:00:00.123456789Z,,b,gauge,,0,ok,,db9ebc2f4dca93a3,shipping,\n", string(got))
		whole, _ := encode(t, testConfig(nil), md)
		assert.Equal(t, string(whole), string(got))
	})

	t.Run("empty", func(t *testing.T) {
		got, res := encode(t, testConfig(nil), pmetric.NewMetrics())
		assert.Equal(t, "timestamp,start_timestamp,name,type,temporality,value,labels,resource_id,service_name,service_instance_id\n", string(got))
		assert.Equal(t, 0, res.Items)
		got, _ = encode(t, testConfig(func(c *Config) { c.IncludeHeaders = false }), pmetric.NewMetrics())
		assert.Empty(t, got)
	})

	t.Run("cancelled", func(t *testing.T) {
		enc, err := newMetricsEncoder(testConfig(nil))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var buf bytes.Buffer
		_, err = enc.Encode(ctx, "csv", testMetrics(), &buf)
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, buf.Bytes())
	})
}

// TestRegistryFind: a configured registry that is not running fails Start; without any
// registry the exporter works; several need the registry option.
func TestRegistryFind(t *testing.T) {
	registrytest.CheckFind(t, registrytest.FindCase{
		Factory: NewFactory(), Settings: exporterSettings("f"), Signal: signalLogs,
		Config: func(dir string, registry *component.ID) component.Config {
			return fileConfig(dir, func(c *Config) { c.Registry = registry })
		},
		Works: func(t *testing.T, e component.Component, dir string) {
			require.NoError(t, e.(exporter.Logs).ConsumeLogs(context.Background(), testgen.Logs(10)))
			raw, err := os.ReadFile(filepath.Join(dir, "logs.csv"))
			require.NoError(t, err)
			assert.Len(t, readCSV(t, raw, ','), 11)
		},
	})
}

// BenchmarkExportMetricsRegistry is BenchmarkExportMetrics with a tasker_registry
// receiving a report (stats and an export_completed event) for every export.
func BenchmarkExportMetricsRegistry(b *testing.B) {
	cfg := fileConfig(b.TempDir(), func(c *Config) {
		c.FlushInterval = testConfig(nil).FlushInterval // the default 1 s flush loop
	})
	host, regs := registrytest.NewHostRegistries(b, "")
	exp := fileexporttest.BenchExportMetrics(b, NewFactory(), exporterSettings(""), cfg, host)
	require.EqualValues(b, b.N+1, regs[0].Stats().Plugins["tasker_csv"].Exports)
	require.NoError(b, exp.Shutdown(context.Background()))
}

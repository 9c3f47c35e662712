// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

// fileConfig is a synchronous configuration (no queue, flush after every export)
// writing to dir.
func fileConfig(dir string, mod func(*Config)) *Config {
	return fileexporttest.Apply(testConfig(nil), func(c *Config) {
		c.Path = filepath.Join(dir, "{signal}.csv")
		fileexporttest.Sync(&c.Config)
		taskerStyle(c) // the tests below spell out rows in Tasker's layout
	}, mod)
}

func startMetrics(t testing.TB, cfg *Config) exporter.Metrics {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateMetrics(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	return exp
}

// consistentFiles reads the n files in dir (name → content), each a CSV file with at
// least one record.
func consistentFiles(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	files := csvFiles(t, dir)
	require.Len(t, files, n)
	requireConsistent(t, files)
	return files
}

// csvFiles reads every file in dir: name → content.
func csvFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = string(b)
	}
	return files
}

// requireConsistent checks with encoding/csv that every file's rows have exactly as
// many fields as its header.
func requireConsistent(t *testing.T, files map[string]string) {
	t.Helper()
	for name, content := range files {
		recs := readCSV(t, []byte(content), ',')
		require.NotEmpty(t, recs, name)
	}
}

func TestExportMatchesGolden(t *testing.T) {
	for _, tt := range []struct {
		signal, golden string
		consume        func(t *testing.T, cfg *Config)
	}{
		{signalMetrics, "metrics.csv", func(t *testing.T, cfg *Config) {
			exp := startMetrics(t, cfg)
			require.NoError(t, exp.ConsumeMetrics(context.Background(), testMetrics()))
			require.NoError(t, exp.Shutdown(context.Background()))
		}},
		{signalLogs, "logs.csv", func(t *testing.T, cfg *Config) {
			exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, exp.ConsumeLogs(context.Background(), testLogs()))
			require.NoError(t, exp.Shutdown(context.Background()))
		}},
		{signalTraces, "spans.csv", func(t *testing.T, cfg *Config) {
			exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, exp.ConsumeTraces(context.Background(), testTraces()))
			require.NoError(t, exp.Shutdown(context.Background()))
		}},
	} {
		t.Run(tt.signal, func(t *testing.T) {
			dir := t.TempDir()
			// The default configuration: queue, retries and the 1 s flush loop included.
			cfg := testConfig(func(c *Config) { c.Path = filepath.Join(dir, "{signal}.csv") })
			tt.consume(t, cfg)
			want, err := os.ReadFile(filepath.Join(goldenDir, tt.golden))
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(dir, tt.signal+".csv"))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestPerExport(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, func(c *Config) {
		c.Path = dir
		c.Mode = filewriter.ModePerExport
		c.Instance = "test"
	}))
	ctx := context.Background()
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"status": "ok"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"status": "err"})))
	require.NoError(t, exp.Shutdown(ctx))
	files := consistentFiles(t, dir, 3)
	var contents []string
	for name, c := range files {
		assert.True(t, strings.HasPrefix(name, "metrics_export_test_"), name)
		assert.True(t, strings.HasSuffix(name, ".csv"), name)
		contents = append(contents, c)
	}
	sort.Strings(contents)
	assert.Equal(t, []string{
		"timestamp,name,type,value,label_status\n2024-05-01T12:00:00.123456789Z,b,gauge,0,ok\n",
		"timestamp,name,type,value,label_status\n2024-05-01T12:00:00.123456789Z,c,gauge,0,err\n",
		"timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,a,gauge,0,t1\n",
	}, contents)
}

func TestGroupBy(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, func(c *Config) {
		c.Path = filepath.Join(dir, "{group}", "{signal}.csv")
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10, MissingValue: "none"}
	}))
	md := labeled("a", map[string]string{"task": "t1"})
	other := labeled("b", map[string]string{"status": "ok"})
	other.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "shipping")
	other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	bare := labeled("c", map[string]string{"task": "t3"})
	bare.ResourceMetrics().At(0).Resource().Attributes().Clear()
	bare.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), md))
	require.NoError(t, exp.Shutdown(context.Background()))

	assert.Equal(t, map[string]string{"metrics.csv": "timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,a,gauge,0,t1\n"}, csvFiles(t, filepath.Join(dir, "billing")))
	assert.Equal(t, map[string]string{"metrics.csv": "timestamp,name,type,value,label_status\n2024-05-01T12:00:00.123456789Z,b,gauge,0,ok\n"}, csvFiles(t, filepath.Join(dir, "shipping")))
	assert.Equal(t, map[string]string{"metrics.csv": "timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,c,gauge,0,t3\n"}, csvFiles(t, filepath.Join(dir, "none")))
}

// A group that cannot be written fails the export with only the data not written, so
// a retry does not duplicate the groups that were.
func TestWriteErrorReturnsUnwrittenData(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, func(c *Config) {
		c.Path = filepath.Join(dir, "{group}.csv")
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10, MissingValue: "none"}
	}))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "shipping.csv"), 0o755)) // a directory where the file should go
	md := labeled("a", map[string]string{"task": "t1"})
	other := labeled("b", map[string]string{"status": "ok"})
	other.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "shipping")
	other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	err := exp.ConsumeMetrics(context.Background(), md)
	require.Error(t, err)
	var me consumererror.Metrics
	require.True(t, errors.As(err, &me), "%v", err)
	require.Equal(t, 1, me.Data().ResourceMetrics().Len())
	svc, _ := me.Data().ResourceMetrics().At(0).Resource().Attributes().Get("service.name")
	assert.Equal(t, "shipping", svc.Str())
	require.NoError(t, exp.Shutdown(context.Background()))
	b, err := os.ReadFile(filepath.Join(dir, "billing.csv"))
	require.NoError(t, err)
	assert.Equal(t, "timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,a,gauge,0,t1\n", string(b))
}

// Concurrent exports with changing label sets (the queue runs several consumers):
// every file's rows still match its header, and no row is lost.
func TestConcurrentExportsKeepRowsMatchingHeaders(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, nil))
	const workers, batches = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				key := fmt.Sprintf("k%d", (w*batches+b)%7)
				assert.NoError(t, exp.ConsumeMetrics(context.Background(), labeled("m", map[string]string{key: "v", "w": fmt.Sprint(w)})))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, exp.Shutdown(context.Background()))
	files := csvFiles(t, dir)
	rows := 0
	for _, content := range files {
		recs := readCSV(t, []byte(content), ',')
		rows += len(recs) - 1
		assert.Equal(t, "timestamp", recs[0][0])
	}
	assert.Equal(t, workers*batches, rows)
}

func TestStartFailsBelowRegularFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	cfg := fileConfig(dir, func(c *Config) { c.Path = filepath.Join(file, "sub", "{signal}.csv") })
	for name, create := range map[string]func() (component.Component, error){
		"metrics": func() (component.Component, error) {
			return NewFactory().CreateMetrics(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		},
		"logs": func() (component.Component, error) {
			return NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		},
		"traces": func() (component.Component, error) {
			return NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := create()
			require.NoError(t, err)
			err = c.Start(context.Background(), componenttest.NewNopHost())
			require.Error(t, err)
			assert.Regexp(t, `^tasker_csv: tasker_csv/\S+ \(`+name+`\): `, err.Error())
			assert.Contains(t, err.Error(), file)
			assert.Contains(t, err.Error(), "not a directory")
			require.NoError(t, c.Shutdown(context.Background()))
		})
	}
}

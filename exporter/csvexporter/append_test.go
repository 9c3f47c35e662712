// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// rotatedFiles reads the n metrics files in dir, which must be consistent: the current
// metrics.csv and the contents of the rotated ones, sorted.
func rotatedFiles(t *testing.T, dir string, n int) (current string, old []string) {
	t.Helper()
	files := csvFiles(t, dir)
	requireConsistent(t, files)
	require.Len(t, files, n)
	for name, content := range files {
		if name != "metrics.csv" {
			old = append(old, content)
		}
	}
	sort.Strings(old)
	return files["metrics.csv"], old
}

func TestAppendNewLabelRotates(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, nil))
	ctx := context.Background()
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"task": "t2"}, map[string]string{"status": "ok"})))
	// Keys the current header has (a subset): same file, missing cells empty.
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"status": "err"})))
	require.NoError(t, exp.Shutdown(ctx))

	files := consistentFiles(t, dir, 2)
	assert.Equal(t,
		"timestamp,name,type,value,label_status,label_task\n"+
			"2024-05-01T12:00:00.123456789Z,b,gauge,0,,t2\n"+
			"2024-05-01T12:00:00.123456789Z,b,gauge,1,ok,\n"+
			"2024-05-01T12:00:00.123456789Z,c,gauge,0,err,\n",
		files["metrics.csv"])
	delete(files, "metrics.csv")
	for name, old := range files { // the rotated file, intact
		assert.True(t, strings.HasPrefix(name, "metrics-"), name)
		assert.Equal(t, "timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,a,gauge,0,t1\n", old)
	}
}

func TestAppendNewBucketBoundRotates(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, func(c *Config) { c.Columns = []string{"name", "labels"} }))
	ctx := context.Background()
	hist := func(bounds []float64, counts []uint64) pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("d")
		dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
		dp.ExplicitBounds().FromRaw(bounds)
		dp.BucketCounts().FromRaw(counts)
		var n uint64
		for _, c := range counts {
			n += c
		}
		dp.SetCount(n)
		return md
	}
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("g", map[string]string{})))
	require.NoError(t, exp.ConsumeMetrics(ctx, hist([]float64{1, 5}, []uint64{1, 1, 1})))
	require.NoError(t, exp.ConsumeMetrics(ctx, hist([]float64{1}, []uint64{2, 3})))
	require.NoError(t, exp.ConsumeMetrics(ctx, hist([]float64{0.5, 5}, []uint64{1, 0, 1})))
	require.NoError(t, exp.Shutdown(ctx))

	current, old := rotatedFiles(t, dir, 3)
	assert.Equal(t, "name,labels,count,sum,le_0.5,le_1,le_5,le_inf\nd,,2,,1,,1,2\n", current)
	assert.Equal(t, []string{
		"name,labels\ng,\n",
		"name,labels,count,sum,le_1,le_5,le_inf\nd,,3,,1,2,3\nd,,5,,2,,5\n",
	}, old)
}

func TestAppendUnknownLabelsJSON(t *testing.T) {
	dir := t.TempDir()
	cfg := fileConfig(dir, func(c *Config) { c.UnknownLabels = UnknownLabelsJSON })
	exp := startMetrics(t, cfg)
	ctx := context.Background()
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"task": "t2", "status": "=ok", "z": "1,2"})))
	require.NoError(t, exp.Shutdown(ctx))

	// Restart: the header is read back from the file and kept.
	exp = startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"other": "x"})))
	require.NoError(t, exp.Shutdown(ctx))

	files := consistentFiles(t, dir, 1)
	assert.Equal(t,
		"timestamp,name,type,value,label_task,labels\n"+
			"2024-05-01T12:00:00.123456789Z,a,gauge,0,t1,\n"+
			"2024-05-01T12:00:00.123456789Z,b,gauge,0,t2,\"{\"\"status\"\":\"\"=ok\"\",\"\"z\"\":\"\"1,2\"\"}\"\n"+
			"2024-05-01T12:00:00.123456789Z,c,gauge,0,,\"{\"\"other\"\":\"\"x\"\"}\"\n",
		files["metrics.csv"])
}

func TestAppendRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, mod := range []func(*Config){
		nil,
		func(c *Config) { // a header that needs quoting and renames must be read back too
			c.Separator = ";"
			c.LineEnding = LineEndingCRLF
			c.FieldMapping = map[string]string{"timestamp": "time; UTC", "label_task": "Task \"name\""}
		},
	} {
		dir := filepath.Join(dir, fmt.Sprint(mod != nil))
		cfg := fileConfig(dir, mod)
		exp := startMetrics(t, cfg)
		require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
		require.NoError(t, exp.Shutdown(ctx))
		first := csvFiles(t, dir)["metrics.csv"]

		exp = startMetrics(t, cfg)
		require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"task": "t2"})))
		require.NoError(t, exp.Shutdown(ctx))
		files := csvFiles(t, dir)
		require.Len(t, files, 1, "same header: appended, no new file")
		header := readCSV(t, []byte(first), rune(cfg.Separator[0]))[0]
		assert.Equal(t, 1, strings.Count(files["metrics.csv"], header[0]), "header written once")
		recs := readCSV(t, []byte(files["metrics.csv"]), rune(cfg.Separator[0]))
		require.Len(t, recs, 3)
		assert.Equal(t, []string{"a", "b"}, []string{recs[1][1], recs[2][1]})

		// A restart with a new label key rotates; the old file stays as it was.
		whole := files["metrics.csv"]
		exp = startMetrics(t, cfg)
		require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"queue": "q"})))
		require.NoError(t, exp.Shutdown(ctx))
		files = csvFiles(t, dir)
		require.Len(t, files, 2)
		cur := readCSV(t, []byte(files["metrics.csv"]), rune(cfg.Separator[0]))
		require.Len(t, cur, 2)
		assert.Contains(t, cur[0], "label_queue")
		for name, content := range files {
			if name != "metrics.csv" {
				assert.Equal(t, whole, content)
			}
		}
	}
}

func TestAppendForeignHeaderRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.csv")
	foreign := "metric_name,type,value,timestamp,instance\nx,counter,1,2024,unknown\n"
	require.NoError(t, os.WriteFile(path, []byte(foreign), 0o600))
	exp := startMetrics(t, fileConfig(dir, nil))
	require.NoError(t, exp.ConsumeMetrics(context.Background(), labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.Shutdown(context.Background()))
	files := csvFiles(t, dir)
	require.Len(t, files, 2)
	assert.Equal(t, "timestamp,name,type,value,label_task\n2024-05-01T12:00:00.123456789Z,a,gauge,0,t1\n", files["metrics.csv"])
	for name, content := range files {
		if name != "metrics.csv" {
			assert.Equal(t, foreign, content)
		}
	}
}

func TestNoHeadersKeepsOneLayout(t *testing.T) {
	dir := t.TempDir()
	exp := startMetrics(t, fileConfig(dir, func(c *Config) { c.IncludeHeaders = false }))
	ctx := context.Background()
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("a", map[string]string{"task": "t1"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"status": "ok", "z": "1"})))
	require.NoError(t, exp.ConsumeMetrics(ctx, testMetrics()))
	require.NoError(t, exp.Shutdown(ctx))
	files := csvFiles(t, dir)
	require.Len(t, files, 1)
	recs := readCSV(t, []byte(files["metrics.csv"]), ',')
	require.Len(t, recs, 2+testMetrics().DataPointCount())
	assert.Equal(t, []string{"2024-05-01T12:00:00.123456789Z", "a", "gauge", "0", `{"task":"t1"}`, "", "", ""}, recs[0])
	assert.Equal(t, `{"status":"ok","z":"1"}`, recs[1][4])
}

// Summaries and exponential histograms add count and sum; explicit-bucket histograms
// also the le_ columns, which rotates a file that had only count and sum. The header
// with count and sum is read back after a restart.
func TestAppendAggregateColumns(t *testing.T) {
	dir := t.TempDir()
	cfg := fileConfig(dir, func(c *Config) { c.Columns = []string{"name", "value"} })
	summary := func() pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("s")
		dp := m.SetEmptySummary().DataPoints().AppendEmpty()
		dp.SetCount(4)
		dp.SetSum(2.5)
		return md
	}
	ctx := context.Background()
	exp := startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("g", map[string]string{})))
	require.NoError(t, exp.ConsumeMetrics(ctx, summary()))
	require.NoError(t, exp.Shutdown(ctx))
	exp = startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, summary()))
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("g", map[string]string{})))
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("h")
	dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
	dp.ExplicitBounds().FromRaw([]float64{2})
	dp.BucketCounts().FromRaw([]uint64{1, 1})
	dp.SetCount(2)
	dp.SetSum(3)
	require.NoError(t, exp.ConsumeMetrics(ctx, md))
	require.NoError(t, exp.Shutdown(ctx))

	current, old := rotatedFiles(t, dir, 3)
	assert.Equal(t, "name,value,count,sum,le_2,le_inf\nh,,2,3,1,2\n", current)
	assert.Equal(t, []string{
		"name,value\ng,0\n",
		"name,value,count,sum\ns,,4,2.5\ns,,4,2.5\ng,0,,\n",
	}, old)
}

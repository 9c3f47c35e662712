// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSQLName(t *testing.T) {
	for in, want := range map[string]string{
		"tasker.task.name": "tasker_task_name",
		"service.name":     "service_name",
		"already_fine_9":   "already_fine_9",
		"a-b c/d":          "a_b_c_d",
		"größe":            "gr__e",
	} {
		assert.Equal(t, want, sqlName(in), in)
	}
	n := &labelNamer{sql: true, reserved: map[string]bool{"name": true, "value": true, "service_name": true}}
	for in, want := range map[string]string{
		"tasker.task.name": "tasker_task_name",
		"name":             "label_name",         // the metric's name column
		"service.name":     "label_service_name", // a resource column
		"9lives":           "label_9lives",       // SQL identifiers do not start with a digit
		"le_x":             "label_le_x",         // looks like a bucket column
		"label_x":          "label_label_x",      // looks prefixed
	} {
		assert.Equal(t, want, n.columnKey(in), in)
	}
	p := &labelNamer{}
	assert.Equal(t, "tasker.task.name", p.columnKey("tasker.task.name"))
	assert.Equal(t, "label_tasker.task.name", p.header("tasker.task.name"))
}

// The default layout: SQL-friendly label names, the start time and temporality, and
// the service.name and service.instance.id resource columns; headers read back on
// restart (the file is appended to, not rotated), a new key rotates to the union.
func TestDefaultLayoutAppendRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cfg := fileConfig(dir, func(c *Config) {
		d := testConfig(nil)
		c.Columns, c.ResourceColumns, c.LabelNames = d.Columns, d.ResourceColumns, d.LabelNames
	})
	md := labeled("tasker.task.outcomes", map[string]string{"tasker.task.name": "t1", "name": "n"})
	md.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.instance.id", "i-1")
	exp := startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, md))
	require.NoError(t, exp.Shutdown(ctx))
	const header = "timestamp,start_timestamp,name,type,temporality,value,label_name,tasker_task_name,resource_id,service_name,service_instance_id"
	assert.Equal(t, header+"\n2024-05-01T12:00:00.123456789Z,,tasker.task.outcomes,gauge,,0,n,t1,86f92e088fbcc928,billing,i-1\n", csvFiles(t, dir)["metrics.csv"])

	exp = startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("b", map[string]string{"tasker.task.name": "t2"})))
	require.NoError(t, exp.Shutdown(ctx))
	files := csvFiles(t, dir)
	require.Len(t, files, 1, "the header was read back: appended")
	assert.Equal(t, 1, strings.Count(files["metrics.csv"], header))

	exp = startMetrics(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(ctx, labeled("c", map[string]string{"tasker.step.name": "s"})))
	require.NoError(t, exp.Shutdown(ctx))
	files = csvFiles(t, dir)
	require.Len(t, files, 2, "a new key rotates the old file away")
	recs := readCSV(t, []byte(files["metrics.csv"]), ',')
	assert.Equal(t, []string{"timestamp", "start_timestamp", "name", "type", "temporality", "value", "label_name", "tasker_step_name", "tasker_task_name", "resource_id", "service_name", "service_instance_id"}, recs[0])
}

// Keys that become the same column name share it; a point carrying two of them keeps
// the first in the column and, with unknown_labels: json, the other in the trailing
// labels column.
func TestSQLNameCollision(t *testing.T) {
	md := labeled("m", map[string]string{"a.b": "dot", "a_b": "underscore"})
	got := readCSV(t, encodeAll(t, testConfig(func(c *Config) { c.UnknownLabels = UnknownLabelsJSON }), signalMetrics, md), ',')
	require.Len(t, got, 2)
	assert.Equal(t, []string{"timestamp", "start_timestamp", "name", "type", "temporality", "value", "a_b", "resource_id", "service_name", "service_instance_id", "labels"}, got[0])
	assert.Equal(t, "dot", got[1][6])
	assert.Equal(t, `{"a_b":"underscore"}`, got[1][10])
	// prefixed keeps them apart.
	got = readCSV(t, encodeAll(t, testConfig(taskerStyle), signalMetrics, md), ',')
	assert.Equal(t, []string{"timestamp", "name", "type", "value", "label_a.b", "label_a_b"}, got[0])
}

func TestValidateResourceColumns(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"empty":     {func(c *Config) { c.ResourceColumns = []string{""} }, "resource_columns: empty attribute name"},
		"same name": {func(c *Config) { c.ResourceColumns = []string{"host.name", "host_name"} }, `resource_columns: "host.name" and "host_name" would both be the column "host_name"`},
		"a column":  {func(c *Config) { c.Columns = append(c.Columns, "service_name") }, `resource_columns: "service.name" would be the column "service_name", which columns also lists`},
		"naming":    {func(c *Config) { c.LabelNames = "camel" }, `label_names "camel" is not supported`},
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorContains(t, testConfig(tc.mod).Validate(), tc.want)
		})
	}
}

// Two resources that agree on service.name and service.instance.id (the tasker
// receiver's HTTP and log-file inputs) give rows told apart by resource_id.
func TestResourceIDTellsResourcesApart(t *testing.T) {
	md := labeled("m", map[string]string{"k": "v"})
	other := labeled("m", map[string]string{"k": "v"})
	other.ResourceMetrics().At(0).Resource().Attributes().PutInt("process.pid", 4242)
	other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	recs := readCSV(t, encodeAll(t, testConfig(nil), signalMetrics, md), ',')
	require.Len(t, recs, 3)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	assert.Equal(t, recs[1][col["service_name"]], recs[2][col["service_name"]])
	assert.Len(t, recs[1][col["resource_id"]], 16)
	assert.NotEqual(t, recs[1][col["resource_id"]], recs[2][col["resource_id"]])
}

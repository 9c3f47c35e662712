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

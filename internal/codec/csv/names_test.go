// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv/csvtest"
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

// Keys that become the same column name share it; a point carrying two of them keeps
// the first in the column and, with unknown_labels: json, the other in the trailing
// labels column.
func TestSQLNameCollision(t *testing.T) {
	md := csvtest.Labeled("m", map[string]string{"a.b": "dot", "a_b": "underscore"})
	got := readCSV(t, encodeAll(t, testOptions(signalMetrics, func(c *Options) { c.UnknownLabelsJSON = true }), md), ',')
	require.Len(t, got, 2)
	assert.Equal(t, []string{"timestamp", "start_timestamp", "name", "type", "temporality", "value", "a_b", "resource_id", "service_name", "service_instance_id", "labels"}, got[0])
	assert.Equal(t, "dot", got[1][6])
	assert.Equal(t, `{"a_b":"underscore"}`, got[1][10])
	// prefixed keeps them apart.
	got = readCSV(t, encodeAll(t, testOptions(signalMetrics, taskerStyle), md), ',')
	assert.Equal(t, []string{"timestamp", "name", "type", "value", "label_a.b", "label_a_b"}, got[0])
}

// Two resources that agree on service.name and service.instance.id (the tasker
// receiver's HTTP and log-file inputs) give rows told apart by resource_id.
func TestResourceIDTellsResourcesApart(t *testing.T) {
	md := csvtest.Labeled("m", map[string]string{"k": "v"})
	other := csvtest.Labeled("m", map[string]string{"k": "v"})
	other.ResourceMetrics().At(0).Resource().Attributes().PutInt("process.pid", 4242)
	other.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	recs := readCSV(t, encodeAll(t, testOptions(signalMetrics, nil), md), ',')
	require.Len(t, recs, 3)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	assert.Equal(t, recs[1][col["service_name"]], recs[2][col["service_name"]])
	assert.Len(t, recs[1][col["resource_id"]], 16)
	assert.NotEqual(t, recs[1][col["resource_id"]], recs[2][col["resource_id"]])
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv/csvtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func allMetricColumns() []string {
	var cols []string
	for _, d := range metricColumns {
		cols = append(cols, d.name)
	}
	return cols
}

func allColumns(defs []columnDef) []string {
	var cols []string
	for _, d := range defs {
		cols = append(cols, d.name)
	}
	return cols
}

// TestGolden compares the encoder's output for deterministic batches byte for byte
// with testdata/golden. Run `go test -run TestGolden -update` to regenerate them,
// then review the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		file   string
		signal string
		data   any
		mod    func(*Options)
	}{
		{file: "metrics.csv", signal: signalMetrics, data: csvtest.Metrics()},
		{file: "metrics_all_columns.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.Columns = allMetricColumns()
			c.ResourceColumns = []string{"service.instance.id"} // service_name is a column
		}},
		{file: "metrics_json_labels.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.FlattenLabels = false
		}},
		{file: "metrics_unknown_labels_json.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.UnknownLabelsJSON = true
		}},
		{file: "metrics_buckets_column.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.Columns = []string{"name", "count", "sum", "buckets", "labels"}
		}},
		{file: "metrics_no_headers.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.IncludeHeaders = false
		}},
		{file: "metrics_semicolon_crlf_mapped.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.Separator = ";"
			c.CRLF = true
			c.EscapeFormulas = false
			c.FieldMapping = map[string]string{"timestamp": "time", "status": "Status", "le_inf": "le_+Inf"}
		}},
		{file: "metrics_tasker_style.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: taskerStyle},
		{file: "metrics_resource_columns.csv", signal: signalMetrics, data: csvtest.Metrics(), mod: func(c *Options) {
			c.ResourceColumns = []string{"service.name", "host.name", "deployment.environment.name"}
		}},
		{file: "logs.csv", signal: signalLogs, data: csvtest.Logs()},
		{file: "logs_all_columns.csv", signal: signalLogs, data: csvtest.Logs(), mod: func(c *Options) {
			c.Columns = allColumns(logColumns)
		}},
		{file: "spans.csv", signal: signalTraces, data: csvtest.Traces()},
		{file: "spans_all_columns.csv", signal: signalTraces, data: csvtest.Traces(), mod: func(c *Options) {
			c.Columns = allColumns(spanColumns)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := testOptions(tt.signal, tt.mod)
			got := encodeAll(t, cfg, tt.data)
			sep, err := separatorRune(cfg.Separator)
			require.NoError(t, err)
			recs := readCSV(t, got, sep) // every row has as many fields as the header
			require.NotEmpty(t, recs)

			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o600))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestGolden -update to create it")
			assert.Equal(t, string(want), string(got))
		})
	}
}

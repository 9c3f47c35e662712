// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv/csvtest"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport/fileexporttest"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

// goldenDir holds the codec's goldens (the exporter and its registry encoder write them).
var goldenDir = filepath.Join("..", "..", "internal", "codec", "csv", "testdata", "golden")

// The codec's test data.
var (
	testMetrics func() pmetric.Metrics = csvtest.Metrics
	testLogs    func() plog.Logs       = csvtest.Logs
	testTraces  func() ptrace.Traces   = csvtest.Traces
	labeled                            = csvtest.Labeled
	readCSV                            = csvtest.ReadCSV
)

// testConfig returns the default configuration changed by mod.
func testConfig(mod func(*Config)) *Config {
	return fileexporttest.Apply(createDefaultConfig().(*Config), mod)
}

// taskerStyle configures the layout of Tasker's CsvExporter, the default before the
// SQL-friendly one: timestamp, name, type, value, label_<key> columns, no resource
// columns.
func taskerStyle(c *Config) {
	c.Columns = []string{"timestamp", "name", "type", "value", "labels"}
	c.ResourceColumns = nil
	c.LabelNames = LabelNamesPrefixed
}

// TestCodecOptions: the configuration maps onto the codec's options of each signal (the
// codec's tests take the default configuration's options as their base).
func TestCodecOptions(t *testing.T) {
	d := testConfig(nil)
	base := csv.Options{Separator: ",", IncludeHeaders: true, FlattenLabels: true, EscapeFormulas: true}
	m := base
	m.Signal, m.Columns, m.ResourceColumns = signalMetrics, csv.DefaultColumns, csv.DefaultResourceColumns
	assert.Equal(t, m, d.codecOptions(signalMetrics))
	l := base
	l.Signal, l.Columns = signalLogs, csv.DefaultLogColumns
	assert.Equal(t, l, d.codecOptions(signalLogs))
	s := base
	s.Signal, s.Columns = signalTraces, csv.DefaultSpanColumns
	assert.Equal(t, s, d.codecOptions(signalTraces))

	c := testConfig(func(c *Config) {
		taskerStyle(c)
		c.Separator, c.LineEnding, c.EscapeFormulas, c.IncludeHeaders = ";", LineEndingCRLF, false, false
		c.FlattenLabels, c.UnknownLabels = false, UnknownLabelsJSON
		c.FieldMapping = map[string]string{"timestamp": "time"}
		c.GroupBy = &filewriter.GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10}
	})
	assert.Equal(t, csv.Options{
		Signal: signalMetrics, Columns: c.Columns, Separator: ";", CRLF: true,
		FieldMapping: map[string]string{"timestamp": "time"}, PrefixedLabelNames: true,
		UnknownLabelsJSON: true, GroupBy: "service.name",
	}, c.codecOptions(signalMetrics))
}

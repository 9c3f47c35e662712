// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv/csvtest"
)

// testOptions returns the options of tasker_csv's default configuration for a signal,
// changed by mod.
func testOptions(signal string, mod func(*Options)) *Options {
	o := &Options{
		Signal:         signal,
		Separator:      ",",
		IncludeHeaders: true,
		FlattenLabels:  true,
		EscapeFormulas: true,
	}
	switch signal {
	case signalMetrics:
		o.Columns = append([]string(nil), DefaultColumns...)
		o.ResourceColumns = append([]string(nil), DefaultResourceColumns...)
	case signalLogs:
		o.Columns = append([]string(nil), DefaultLogColumns...)
	default:
		o.Columns = append([]string(nil), DefaultSpanColumns...)
	}
	if mod != nil {
		mod(o)
	}
	return o
}

// taskerStyle configures the layout of Tasker's CsvExporter, the default before the
// SQL-friendly one: timestamp, name, type, value, label_<key> columns, no resource
// columns.
func taskerStyle(o *Options) {
	o.Columns = []string{"timestamp", "name", "type", "value", "labels"}
	o.ResourceColumns = nil
	o.PrefixedLabelNames = true
}

func readCSV(t testing.TB, b []byte, sep rune) [][]string { return csvtest.ReadCSV(t, b, sep) }

// encodeAll encodes a batch as it would be written to a new file (header, then the
// rows of every group in order) without touching a file.
func encodeAll(t testing.TB, opts *Options, data any) []byte {
	t.Helper()
	o, err := newOptions(opts)
	require.NoError(t, err)
	enc := newEncoder(o)
	var out []byte
	switch d := data.(type) {
	case pmetric.Metrics:
		rms := d.ResourceMetrics()
		groups := enc.split(rms.Len(), func(i int) pcommon.Resource { return rms.At(i).Resource() })
		for gi := range groups {
			l := o.fixed
			if l == nil {
				l = o.layoutFor(nil, enc.scanMetrics(d, &groups[gi]))
			}
			out = append(out, l.header...)
			out = append(out, enc.encodeMetrics(d, &groups[gi], l)...)
		}
	case plog.Logs:
		rls := d.ResourceLogs()
		for _, g := range enc.split(rls.Len(), func(i int) pcommon.Resource { return rls.At(i).Resource() }) {
			out = append(out, o.fixed.header...)
			out = append(out, enc.encodeLogs(d, &g, o.fixed)...)
		}
	case ptrace.Traces:
		rss := d.ResourceSpans()
		for _, g := range enc.split(rss.Len(), func(i int) pcommon.Resource { return rss.At(i).Resource() }) {
			out = append(out, o.fixed.header...)
			out = append(out, enc.encodeTraces(d, &g, o.fixed)...)
		}
	default:
		t.Fatalf("unknown data %T", data)
	}
	return out
}

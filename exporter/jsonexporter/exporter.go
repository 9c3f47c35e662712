// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/partial"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// fileExt is the extension of the files written.
const fileExt = "json"

// jsonExporter writes one signal. Encoders are pooled so concurrent queue consumers
// encode in parallel; the Output serializes the writes. The lifecycle (registry, output,
// reports) is the shared one of the file exporters. Format, reported to the registry, is
// tasker for metrics with format tasker, else ndjson.
type jsonExporter struct {
	*fileexport.Exporter
	cfg  *Config
	pool sync.Pool
}

func newJSONExporter(cfg *Config, signal string, set exporter.Settings) (*jsonExporter, error) {
	o := cfg.codecOptions()
	o.Tasker = o.Tasker && signal == fileexport.SignalMetrics
	format := FormatNDJSON
	if o.Tasker {
		format = FormatTasker
	}
	fe, err := fileexport.New(&cfg.Config, set, fileexport.Settings{
		Type:      metadata.Type,
		Signal:    signal,
		Ext:       fileExt,
		Format:    format,
		Telemetry: fileexport.TelemetryOf(metadata.NewTelemetryBuilder, set.TelemetrySettings, counters),
		Plugin:    func() (taskerregistry.Plugin, error) { return newPlugin(cfg, set.ID, set.BuildInfo.Version), nil },
	})
	if err != nil {
		return nil, err
	}
	e := &jsonExporter{Exporter: fe, cfg: cfg}
	if o.Tasker && cfg.Pretty { // indented documents: no line is a record
		e.Out.SetFraming(filewriter.FramingNone)
	}
	codec := ndjson.New(o)
	e.pool.New = func() any { return codec.NewEncoder() }
	return e, nil
}

// write writes every group and returns the bytes written. On failure it also returns
// the names of the groups not written (nil when none was written, so the whole batch is
// retried).
func (e *jsonExporter) write(groups []ndjson.Group) (int64, map[string]bool, error) {
	var n int64
	for i, g := range groups {
		if len(g.Buf) == 0 {
			continue
		}
		if err := e.Out.Write(g.Name, nil, g.Buf); err != nil {
			if i == 0 {
				return n, nil, err
			}
			left := map[string]bool{}
			for _, r := range groups[i:] {
				left[r.Name] = true
			}
			return n, left, err
		}
		n += int64(len(g.Buf))
	}
	return n, nil, nil
}

// inGroups reports whether a resource belongs to one of the groups left to write.
func (e *jsonExporter) inGroups(left map[string]bool) func(pcommon.Map) bool {
	return func(attrs pcommon.Map) bool {
		name := ""
		if v, ok := attrs.Get(e.cfg.GroupBy.ResourceAttribute); ok {
			name = string(flatten.AppendValue(nil, v)) // as the encoder names groups
		}
		return left[name]
	}
}

// unwritten returns the part of data to hand back for retry: all of it when no group
// was written, otherwise the resources of the groups left.
func unwritten[T partial.Signal](e *jsonExporter, data T, left map[string]bool) T {
	if left == nil {
		return data
	}
	keep := e.inGroups(left)
	return partial.Select(data, func(r pcommon.Resource) bool { return keep(r.Attributes()) })
}

func (e *jsonExporter) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Metrics(md))
	e.Report(start, md.DataPointCount(), n, err)
	if err != nil {
		return fileexport.Retryable(err, unwritten(e, md, left))
	}
	return nil
}

func (e *jsonExporter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Logs(ld))
	e.Report(start, ld.LogRecordCount(), n, err)
	if err != nil {
		return fileexport.Retryable(err, unwritten(e, ld, left))
	}
	return nil
}

func (e *jsonExporter) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Traces(td))
	e.Report(start, td.SpanCount(), n, err)
	if err != nil {
		return fileexport.Retryable(err, unwritten(e, td, left))
	}
	return nil
}

// counters are the counters of the exporter's telemetry the shared lifecycle records into.
func counters(tel *metadata.TelemetryBuilder) (writeFailures, tornRecordsRepaired metric.Int64Counter) {
	return tel.ExporterTaskerWriteFailures, tel.ExporterTaskerTornRecordsRepaired
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/partial"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

const (
	signalMetrics = "metrics"
	signalLogs    = "logs"
	signalTraces  = "traces"
	fileExt       = "json"
)

// jsonExporter writes one signal. Encoders are pooled so concurrent queue consumers
// encode in parallel; the Output serializes the writes.
type jsonExporter struct {
	cfg     *Config
	signal  string
	id      component.ID
	version string
	logger  *zap.Logger
	out     *filewriter.Output
	tel     *metadata.TelemetryBuilder
	pool    sync.Pool

	// format is what the signal is written as (reported to the registry): tasker for
	// metrics with format tasker, else ndjson.
	format string
	// handle is the registration with tasker_registry (set by start; nil without a
	// registry, which makes every report a no-op).
	handle *taskerregistry.PluginHandle
}

func newJSONExporter(cfg *Config, signal string, set exporter.Settings) (*jsonExporter, error) {
	out, err := filewriter.NewOutput(cfg.Config, signal, fileExt, set.Logger)
	if err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	out.SetHooks(filewriter.Hooks{
		WriteFailed:  func() { tel.ExporterTaskerWriteFailures.Add(context.Background(), 1) },
		TornRepaired: func(int64) { tel.ExporterTaskerTornRecordsRepaired.Add(context.Background(), 1) },
	})
	e := &jsonExporter{
		tel:     tel,
		cfg:     cfg,
		signal:  signal,
		id:      set.ID,
		version: set.BuildInfo.Version,
		logger:  set.Logger,
		out:     out,
		format:  FormatNDJSON,
	}
	o := cfg.codecOptions()
	o.Tasker = o.Tasker && signal == signalMetrics
	if o.Tasker {
		e.format = FormatTasker
		if cfg.Pretty { // indented documents: no line is a record
			out.SetFraming(filewriter.FramingNone)
		}
	}
	codec := ndjson.New(o)
	e.pool.New = func() any { return codec.NewEncoder() }
	return e, nil
}

// start finds the tasker_registry (the configured one, else the only one running, if
// any), registers the exporter with it, then opens the output.
func (e *jsonExporter) start(_ context.Context, host component.Host) error {
	reg, err := taskerregistry.Find(host, e.cfg.Registry)
	if err != nil {
		return e.startError(err)
	}
	// The collector makes one instance per signal with the same id: they share the plugin.
	h, err := reg.Register(newPlugin(e.cfg, e.id, e.version), taskerregistry.WithShared())
	if err != nil {
		return e.startError(fmt.Errorf("registering with tasker_registry: %w", err))
	}
	if err := e.out.Start(); err != nil {
		_ = h.Unregister()
		return e.startError(err)
	}
	e.handle = h
	return nil
}

// startError prefixes an error of start with the component type, then the instance and
// its signal: "tasker_json: tasker_json/x (metrics): ...".
func (e *jsonExporter) startError(err error) error {
	return fmt.Errorf("%s: %s (%s): %w", metadata.Type, e.id, e.signal, err)
}

func (e *jsonExporter) shutdown(context.Context) error {
	defer e.tel.Shutdown()
	return errors.Join(e.handle.Unregister(), e.out.Shutdown())
}

// report tells the registry about one export (a no-op without a registry).
func (e *jsonExporter) report(start time.Time, items int, bytes int64, err error) {
	e.handle.ReportExport(taskerregistry.ExportReport{
		Format:   e.format,
		Items:    items,
		Bytes:    bytes,
		Duration: time.Since(start),
		Err:      err,
		Signal:   e.signal,
	})
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
		if err := e.out.Write(g.Name, nil, g.Buf); err != nil {
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

func (e *jsonExporter) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Metrics(md))
	e.report(start, md.DataPointCount(), n, err)
	if err != nil {
		return consumererror.NewMetrics(err, unwritten(e, md, left))
	}
	return nil
}

func (e *jsonExporter) consumeLogs(_ context.Context, ld plog.Logs) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Logs(ld))
	e.report(start, ld.LogRecordCount(), n, err)
	if err != nil {
		return consumererror.NewLogs(err, unwritten(e, ld, left))
	}
	return nil
}

func (e *jsonExporter) consumeTraces(_ context.Context, td ptrace.Traces) error {
	start := time.Now()
	enc := e.pool.Get().(*ndjson.Encoder)
	defer e.pool.Put(enc)
	n, left, err := e.write(enc.Traces(td))
	e.report(start, td.SpanCount(), n, err)
	if err != nil {
		return consumererror.NewTraces(err, unwritten(e, td, left))
	}
	return nil
}

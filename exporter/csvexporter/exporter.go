// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"bytes"
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/fileexport"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/partial"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

const (
	signalMetrics = fileexport.SignalMetrics
	signalLogs    = fileexport.SignalLogs
	signalTraces  = fileexport.SignalTraces
	fileExt       = "csv"
)

// csvExporter writes one signal. Encoders are pooled so concurrent queue consumers
// encode in parallel. For metrics, where the header depends on the data, choosing the
// header, encoding the rows and writing them is serialized per group (file), so that
// two exports never fight over the header of the same file; other groups, logs and
// spans are not held up. The lifecycle (registry, output, reports) is the shared one of
// the file exporters.
type csvExporter struct {
	*fileexport.Exporter
	o    *csv.Codec
	cfg  *Config
	pool sync.Pool

	mu        sync.Mutex
	states    map[string]*groupState
	maxStates int
}

// groupState is the layout of one group's current file, as far as this exporter knows.
type groupState struct {
	mu     sync.Mutex
	layout *csv.Layout
}

func newCSVExporter(cfg *Config, signal string, set exporter.Settings) (*csvExporter, error) {
	o, err := csv.New(cfg.codecOptions(signal))
	if err != nil {
		return nil, err
	}
	fe, err := fileexport.New(&cfg.Config, set, fileexport.Settings{
		Type:      metadata.Type,
		Signal:    signal,
		Ext:       fileExt,
		Format:    formatCSV,
		Telemetry: fileexport.TelemetryOf(metadata.NewTelemetryBuilder, set.TelemetrySettings, counters),
		Plugin:    func() (taskerregistry.Plugin, error) { return newPlugin(cfg, set.ID, set.BuildInfo.Version) },
	})
	if err != nil {
		return nil, err
	}
	fe.Out.SetFraming(filewriter.FramingCSV)
	e := &csvExporter{Exporter: fe, o: o, cfg: cfg, states: map[string]*groupState{}, maxStates: 1024}
	if cfg.GroupBy != nil && 4*cfg.GroupBy.MaxOpenFiles > e.maxStates {
		e.maxStates = 4 * cfg.GroupBy.MaxOpenFiles
	}
	e.pool.New = func() any { return o.NewEncoder() }
	return e, nil
}

func (e *csvExporter) put(enc *csv.Encoder) {
	enc.Trim()
	e.pool.Put(enc)
}

func (e *csvExporter) state(name string) *groupState {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.states[name]
	if !ok {
		if len(e.states) >= e.maxStates {
			// Forget the cached layouts (they are re-read from the files' headers).
			clear(e.states)
		}
		st = &groupState{}
		e.states[name] = st
	}
	return st
}

// chooseLayout picks the layout of the rows of a batch with needs n for group name.
// Append mode: the current file's layout when it has every column the batch needs,
// else the canonical layout of the union (a different header, so the file rotates).
// per_export: the batch's own layout. Called with st.mu held.
//
// fresh reports whether the write starts a file, which then begins with the header:
// always in per_export mode; in append mode when there is no current file (or it is
// empty) or its header is not the layout's.
func (e *csvExporter) chooseLayout(st *groupState, name string, n *csv.Needs) (l *csv.Layout, fresh bool) {
	if e.cfg.Mode == filewriter.ModePerExport {
		st.layout = e.o.PerExportLayout(st.layout, n)
		return st.layout, true
	}
	h := e.Out.Header(name)
	st.layout = e.o.AppendLayout(st.layout, h, n)
	return st.layout, !bytes.Equal(h, st.layout.Header())
}

// startsFile reports whether writing to group with a fixed header starts a file (see
// chooseLayout). It is asked only when a registry counts the bytes written: in append
// mode it costs a look at the current file's header.
func (e *csvExporter) startsFile(group string, header []byte) bool {
	switch {
	case header == nil || e.Handle == nil:
		return false
	case e.cfg.Mode == filewriter.ModePerExport:
		return true
	}
	return !bytes.Equal(e.Out.Header(group), header)
}

func (e *csvExporter) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	start := time.Now()
	enc := e.pool.Get().(*csv.Encoder)
	defer e.put(enc)
	rms := md.ResourceMetrics()
	groups := enc.Split(rms.Len(), func(i int) pcommon.Resource { return rms.At(i).Resource() })
	var written int64
	for gi := range groups {
		n, err := e.writeMetrics(enc, md, &groups[gi])
		written += n
		if err != nil {
			e.Report(start, md.DataPointCount(), written, err)
			return fileexport.Retryable(err, failed(md, groups, gi))
		}
	}
	e.Report(start, md.DataPointCount(), written, nil)
	return nil
}

func (e *csvExporter) writeMetrics(enc *csv.Encoder, md pmetric.Metrics, g *csv.Group) (int64, error) {
	if l := e.o.Fixed(); l != nil {
		data := enc.EncodeMetrics(md, g, l)
		return e.write(g.Name(), l.Header(), data, len(data) > 0 && e.startsFile(g.Name(), l.Header()))
	}
	n := enc.ScanMetrics(md, g)
	st := e.state(g.Name())
	st.mu.Lock()
	defer st.mu.Unlock()
	l, fresh := e.chooseLayout(st, g.Name(), n)
	return e.write(g.Name(), l.Header(), enc.EncodeMetrics(md, g, l), fresh)
}

// write writes the rows of one group and returns the bytes written (uncompressed): the
// rows, and the header when the write starts a file (fresh).
func (e *csvExporter) write(group string, header, data []byte, fresh bool) (int64, error) {
	if len(data) == 0 {
		return 0, nil
	}
	if err := e.Out.Write(group, header, data); err != nil {
		return 0, err
	}
	n := int64(len(data))
	if fresh {
		n += int64(len(header))
	}
	return n, nil
}

func (e *csvExporter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	start := time.Now()
	enc := e.pool.Get().(*csv.Encoder)
	defer e.put(enc)
	rls := ld.ResourceLogs()
	groups := enc.Split(rls.Len(), func(i int) pcommon.Resource { return rls.At(i).Resource() })
	l := e.o.Fixed()
	var written int64
	for gi := range groups {
		g := &groups[gi]
		data := enc.EncodeLogs(ld, g, l)
		n, err := e.write(g.Name(), l.Header(), data, len(data) > 0 && e.startsFile(g.Name(), l.Header()))
		written += n
		if err != nil {
			e.Report(start, ld.LogRecordCount(), written, err)
			return fileexport.Retryable(err, failed(ld, groups, gi))
		}
	}
	e.Report(start, ld.LogRecordCount(), written, nil)
	return nil
}

func (e *csvExporter) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	start := time.Now()
	enc := e.pool.Get().(*csv.Encoder)
	defer e.put(enc)
	rss := td.ResourceSpans()
	groups := enc.Split(rss.Len(), func(i int) pcommon.Resource { return rss.At(i).Resource() })
	l := e.o.Fixed()
	var written int64
	for gi := range groups {
		g := &groups[gi]
		data := enc.EncodeTraces(td, g, l)
		n, err := e.write(g.Name(), l.Header(), data, len(data) > 0 && e.startsFile(g.Name(), l.Header()))
		written += n
		if err != nil {
			e.Report(start, td.SpanCount(), written, err)
			return fileexport.Retryable(err, failed(td, groups, gi))
		}
	}
	e.Report(start, td.SpanCount(), written, nil)
	return nil
}

// failed returns the data of groups[from:], the groups not written yet, so a retry does
// not write the groups that succeeded twice.
func failed[T partial.Signal](data T, groups []csv.Group, from int) T {
	if from == 0 {
		return data
	}
	var idx []int
	for _, g := range groups[from:] {
		idx = append(idx, g.Resources()...)
	}
	return partial.Pick(data, idx)
}

// counters are the counters of the exporter's telemetry the shared lifecycle records into.
func counters(tel *metadata.TelemetryBuilder) (writeFailures, tornRecordsRepaired metric.Int64Counter) {
	return tel.ExporterTaskerWriteFailures, tel.ExporterTaskerTornRecordsRepaired
}

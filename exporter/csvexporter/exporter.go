// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"bytes"
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

	"github.com/tasker-systems/otelcol-tasker/exporter/csvexporter/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/csv"
	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/partial"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

const (
	signalMetrics = "metrics"
	signalLogs    = "logs"
	signalTraces  = "traces"
	fileExt       = "csv"
)

// csvExporter writes one signal. Encoders are pooled so concurrent queue consumers
// encode in parallel. For metrics, where the header depends on the data, choosing the
// header, encoding the rows and writing them is serialized per group (file), so that
// two exports never fight over the header of the same file; other groups, logs and
// spans are not held up.
type csvExporter struct {
	o       *csv.Codec
	signal  string
	cfg     *Config
	id      component.ID
	version string
	out     *filewriter.Output
	tel     *metadata.TelemetryBuilder
	logger  *zap.Logger
	pool    sync.Pool

	// handle is the registration with tasker_registry (set by start; nil without a
	// registry, which makes every report a no-op).
	handle *taskerregistry.PluginHandle

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
	out, err := filewriter.NewOutput(cfg.Config, signal, fileExt, set.Logger)
	if err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	out.SetFraming(filewriter.FramingCSV)
	out.SetHooks(filewriter.Hooks{
		WriteFailed:  func() { tel.ExporterTaskerWriteFailures.Add(context.Background(), 1) },
		TornRepaired: func(int64) { tel.ExporterTaskerTornRecordsRepaired.Add(context.Background(), 1) },
	})
	e := &csvExporter{
		o: o, signal: signal, cfg: cfg, id: set.ID, version: set.BuildInfo.Version, tel: tel,
		out: out, logger: set.Logger, states: map[string]*groupState{}, maxStates: 1024,
	}
	if cfg.GroupBy != nil && 4*cfg.GroupBy.MaxOpenFiles > e.maxStates {
		e.maxStates = 4 * cfg.GroupBy.MaxOpenFiles
	}
	e.pool.New = func() any { return o.NewEncoder() }
	return e, nil
}

// start finds the tasker_registry (the configured one, else the only one running, if
// any), registers the exporter with it, then opens the output.
func (e *csvExporter) start(_ context.Context, host component.Host) error {
	reg, err := taskerregistry.Find(host, e.cfg.Registry)
	if err != nil {
		return e.startError(err)
	}
	p, err := newPlugin(e.cfg, e.id, e.version)
	if err != nil {
		return e.startError(err)
	}
	// The collector makes one instance per signal with the same id: they share the plugin.
	h, err := reg.Register(p, taskerregistry.WithShared())
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
// its signal: "tasker_csv: tasker_csv/x (metrics): ...".
func (e *csvExporter) startError(err error) error {
	return fmt.Errorf("%s: %s (%s): %w", metadata.Type, e.id, e.signal, err)
}

func (e *csvExporter) shutdown(context.Context) error {
	defer e.tel.Shutdown()
	return errors.Join(e.handle.Unregister(), e.out.Shutdown())
}

// report tells the registry about one export (a no-op without a registry).
func (e *csvExporter) report(start time.Time, items int, bytes int64, err error) {
	e.handle.ReportExport(taskerregistry.ExportReport{
		Format:   formatCSV,
		Items:    items,
		Bytes:    bytes,
		Duration: time.Since(start),
		Err:      err,
		Signal:   e.signal,
	})
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
	h := e.out.Header(name)
	st.layout = e.o.AppendLayout(st.layout, h, n)
	return st.layout, !bytes.Equal(h, st.layout.Header())
}

// startsFile reports whether writing to group with a fixed header starts a file (see
// chooseLayout). It is asked only when a registry counts the bytes written: in append
// mode it costs a look at the current file's header.
func (e *csvExporter) startsFile(group string, header []byte) bool {
	switch {
	case header == nil || e.handle == nil:
		return false
	case e.cfg.Mode == filewriter.ModePerExport:
		return true
	}
	return !bytes.Equal(e.out.Header(group), header)
}

func (e *csvExporter) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
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
			e.report(start, md.DataPointCount(), written, err)
			return consumererror.NewMetrics(err, failed(md, groups, gi))
		}
	}
	e.report(start, md.DataPointCount(), written, nil)
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
	if err := e.out.Write(group, header, data); err != nil {
		return 0, err
	}
	n := int64(len(data))
	if fresh {
		n += int64(len(header))
	}
	return n, nil
}

func (e *csvExporter) consumeLogs(_ context.Context, ld plog.Logs) error {
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
			e.report(start, ld.LogRecordCount(), written, err)
			return consumererror.NewLogs(err, failed(ld, groups, gi))
		}
	}
	e.report(start, ld.LogRecordCount(), written, nil)
	return nil
}

func (e *csvExporter) consumeTraces(_ context.Context, td ptrace.Traces) error {
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
			e.report(start, td.SpanCount(), written, err)
			return consumererror.NewTraces(err, failed(td, groups, gi))
		}
	}
	e.report(start, td.SpanCount(), written, nil)
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

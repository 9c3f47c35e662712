// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csvexporter

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
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
	o      *options
	out    *filewriter.Output
	logger *zap.Logger
	pool   sync.Pool

	mu        sync.Mutex
	states    map[string]*groupState
	maxStates int
}

// groupState is the layout of one group's current file, as far as this exporter knows.
type groupState struct {
	mu     sync.Mutex
	layout *layout
}

func newCSVExporter(cfg *Config, signal string, logger *zap.Logger) (*csvExporter, error) {
	o, err := newOptions(cfg, signal)
	if err != nil {
		return nil, err
	}
	out, err := filewriter.NewOutput(cfg.Config, signal, fileExt, logger)
	if err != nil {
		return nil, err
	}
	e := &csvExporter{o: o, out: out, logger: logger, states: map[string]*groupState{}, maxStates: 1024}
	if cfg.GroupBy != nil && 4*cfg.GroupBy.MaxOpenFiles > e.maxStates {
		e.maxStates = 4 * cfg.GroupBy.MaxOpenFiles
	}
	e.pool.New = func() any { return newEncoder(o) }
	return e, nil
}

func (e *csvExporter) start(context.Context, component.Host) error {
	if err := e.out.Start(); err != nil {
		return fmt.Errorf("tasker_csv (%s): %w", e.o.signal, err)
	}
	return nil
}

func (e *csvExporter) shutdown(context.Context) error {
	return e.out.Shutdown()
}

func (e *csvExporter) put(enc *encoder) {
	enc.trim()
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
func (e *csvExporter) chooseLayout(st *groupState, name string, n *needs) *layout {
	o := e.o
	if o.mode == filewriter.ModePerExport {
		if st.layout == nil || !o.same(st.layout, n) {
			st.layout = o.layoutFor(nil, n)
		}
		return st.layout
	}
	cur := st.layout
	if h := e.out.Header(name); h != nil && (cur == nil || !bytes.Equal(h, cur.header)) {
		// A file this exporter did not start (an earlier run) or a layout it no
		// longer knows: read its header back. nil when it is not ours.
		cur = o.parseLayout(h)
	}
	switch {
	case cur == nil:
		st.layout = o.layoutFor(nil, n)
	case o.covers(cur, n):
		st.layout = cur
	default:
		st.layout = o.layoutFor(cur, n)
	}
	return st.layout
}

func (e *csvExporter) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
	enc := e.pool.Get().(*encoder)
	defer e.put(enc)
	rms := md.ResourceMetrics()
	groups := enc.split(rms.Len(), func(i int) pcommon.Resource { return rms.At(i).Resource() })
	for gi := range groups {
		if err := e.writeMetrics(enc, md, &groups[gi]); err != nil {
			return consumererror.NewMetrics(err, failedMetrics(md, groups, gi))
		}
	}
	return nil
}

func (e *csvExporter) writeMetrics(enc *encoder, md pmetric.Metrics, g *group) error {
	if l := e.o.fixed; l != nil {
		return e.write(g.name, l.header, enc.encodeMetrics(md, g, l))
	}
	n := enc.scanMetrics(md, g)
	st := e.state(g.name)
	st.mu.Lock()
	defer st.mu.Unlock()
	l := e.chooseLayout(st, g.name, n)
	return e.write(g.name, l.header, enc.encodeMetrics(md, g, l))
}

func (e *csvExporter) write(group string, header, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	return e.out.Write(group, header, data)
}

func (e *csvExporter) consumeLogs(_ context.Context, ld plog.Logs) error {
	enc := e.pool.Get().(*encoder)
	defer e.put(enc)
	rls := ld.ResourceLogs()
	groups := enc.split(rls.Len(), func(i int) pcommon.Resource { return rls.At(i).Resource() })
	l := e.o.fixed
	for gi := range groups {
		if err := e.write(groups[gi].name, l.header, enc.encodeLogs(ld, &groups[gi], l)); err != nil {
			return consumererror.NewLogs(err, failedLogs(ld, groups, gi))
		}
	}
	return nil
}

func (e *csvExporter) consumeTraces(_ context.Context, td ptrace.Traces) error {
	enc := e.pool.Get().(*encoder)
	defer e.put(enc)
	rss := td.ResourceSpans()
	groups := enc.split(rss.Len(), func(i int) pcommon.Resource { return rss.At(i).Resource() })
	l := e.o.fixed
	for gi := range groups {
		if err := e.write(groups[gi].name, l.header, enc.encodeTraces(td, &groups[gi], l)); err != nil {
			return consumererror.NewTraces(err, failedTraces(td, groups, gi))
		}
	}
	return nil
}

// failedMetrics returns the data of groups[from:], the groups not written yet, so a
// retry does not write the groups that succeeded twice.
func failedMetrics(md pmetric.Metrics, groups []group, from int) pmetric.Metrics {
	if from == 0 {
		return md
	}
	out := pmetric.NewMetrics()
	for _, g := range groups[from:] {
		for _, ri := range g.res {
			md.ResourceMetrics().At(ri).CopyTo(out.ResourceMetrics().AppendEmpty())
		}
	}
	return out
}

func failedLogs(ld plog.Logs, groups []group, from int) plog.Logs {
	if from == 0 {
		return ld
	}
	out := plog.NewLogs()
	for _, g := range groups[from:] {
		for _, ri := range g.res {
			ld.ResourceLogs().At(ri).CopyTo(out.ResourceLogs().AppendEmpty())
		}
	}
	return out
}

func failedTraces(td ptrace.Traces, groups []group, from int) ptrace.Traces {
	if from == 0 {
		return td
	}
	out := ptrace.NewTraces()
	for _, g := range groups[from:] {
		for _, ri := range g.res {
			td.ResourceSpans().At(ri).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
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
	cfg    *Config
	signal string
	logger *zap.Logger
	out    *filewriter.Output
	keys   *keyTable
	pool   sync.Pool
}

func newJSONExporter(cfg *Config, signal string, set exporter.Settings) (*jsonExporter, error) {
	out, err := filewriter.NewOutput(cfg.Config, signal, fileExt, set.Logger)
	if err != nil {
		return nil, err
	}
	e := &jsonExporter{
		cfg:    cfg,
		signal: signal,
		logger: set.Logger,
		out:    out,
		keys:   newKeyTable(cfg.FieldMapping, cfg.AdditionalFields),
	}
	taskerDoc := cfg.Format == FormatTasker && signal == signalMetrics
	entryKeys := e.keys
	if taskerDoc {
		entryKeys = newKeyTable(cfg.FieldMapping, nil)
	}
	e.pool.New = func() any {
		w := &worker{enc: newEncoder(cfg, entryKeys)}
		if taskerDoc {
			w.doc = newTaskerDoc(cfg, e.keys)
		}
		return w
	}
	return e, nil
}

// worker is the pooled per-call state.
type worker struct {
	enc *encoder
	doc *taskerDoc
}

func (e *jsonExporter) start(context.Context, component.Host) error {
	return e.out.Start()
}

func (e *jsonExporter) shutdown(context.Context) error {
	return e.out.Shutdown()
}

// write writes every group. On failure it returns the error and the names of the groups
// not written (nil when none was written, so the whole batch is retried).
func (e *jsonExporter) write(groups []groupBuf) (map[string]bool, error) {
	for i, g := range groups {
		if len(g.buf) == 0 {
			continue
		}
		if err := e.out.Write(g.name, nil, g.buf); err != nil {
			if i == 0 {
				return nil, err
			}
			left := map[string]bool{}
			for _, r := range groups[i:] {
				left[r.name] = true
			}
			return left, err
		}
	}
	return nil, nil
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

func (e *jsonExporter) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
	w := e.pool.Get().(*worker)
	defer e.pool.Put(w)
	var groups []groupBuf
	if w.doc != nil {
		groups = w.doc.encode(w.enc, md)
	} else {
		groups = w.enc.encodeMetrics(md)
	}
	left, err := e.write(groups)
	if err != nil {
		if left != nil { // retry only the groups that were not written
			keep := e.inGroups(left)
			rest := pmetric.NewMetrics()
			for _, rm := range md.ResourceMetrics().All() {
				if keep(rm.Resource().Attributes()) {
					rm.CopyTo(rest.ResourceMetrics().AppendEmpty())
				}
			}
			md = rest
		}
		return consumererror.NewMetrics(err, md)
	}
	return nil
}

func (e *jsonExporter) consumeLogs(_ context.Context, ld plog.Logs) error {
	w := e.pool.Get().(*worker)
	defer e.pool.Put(w)
	if left, err := e.write(w.enc.encodeLogs(ld)); err != nil {
		if left != nil {
			keep := e.inGroups(left)
			rest := plog.NewLogs()
			for _, rl := range ld.ResourceLogs().All() {
				if keep(rl.Resource().Attributes()) {
					rl.CopyTo(rest.ResourceLogs().AppendEmpty())
				}
			}
			ld = rest
		}
		return consumererror.NewLogs(err, ld)
	}
	return nil
}

func (e *jsonExporter) consumeTraces(_ context.Context, td ptrace.Traces) error {
	w := e.pool.Get().(*worker)
	defer e.pool.Put(w)
	if left, err := e.write(w.enc.encodeTraces(td)); err != nil {
		if left != nil {
			keep := e.inGroups(left)
			rest := ptrace.NewTraces()
			for _, rs := range td.ResourceSpans().All() {
				if keep(rs.Resource().Attributes()) {
					rs.CopyTo(rest.ResourceSpans().AppendEmpty())
				}
			}
			td = rest
		}
		return consumererror.NewTraces(err, td)
	}
	return nil
}

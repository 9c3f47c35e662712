// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// batch is the output of one call: the signals, grouped by resource (one Tasker
// process of one deployment), and the completions held until the end of the call.
type batch struct {
	logs    plog.Logs
	traces  ptrace.Traces
	metrics pmetric.Metrics
	res     map[resKey]*resBuf
	order   []resKey
	// lastKey/lastRes: the resource of the previous event (events come in runs).
	lastKey resKey
	lastRes *resBuf
	stats   stats
	// rejected counts log lines that looked like Tasker's but did not parse.
	rejected int64

	// env is the deployment of events that name none (the HTTP request's header, else
	// deployment_environment); http: the events came over HTTP (see eventTime).
	env  string
	http bool
	n    int // events or lines of the call: the first resource's log records are sized for them
	// pending holds the completions of this call by identity, in order: later copies
	// of the same completion and the events that follow it in the call (the
	// "Exception occurred" line, workflow_failed) complete it before it is emitted.
	pending map[dedupeKey]*completion
	tasks   map[spanKey]*completion // the task completions of pending, by task
	done    []*completion
	// touched are the open spans that got span events pointing into this call's input.
	touched []*openSpan
	// undo is what the call took from the builder's state (undo.go).
	undo undoLog
	// queue: the log records to fill once b.mu is released, if not nil (logs.go).
	queue *[]queuedLog
}

type resKey struct {
	host, env, version string
	pid                int64
}

type resBuf struct {
	lrs   plog.LogRecordSlice
	spans ptrace.SpanSlice
	agg   metricAgg
}

// newBatch is the output of a call of n events or lines.
func (b *builder) newBatch(env string, http bool, n int) *batch {
	if env == "" {
		env = b.cfg.DeploymentEnvironment
	}
	return &batch{logs: plog.NewLogs(), traces: ptrace.NewTraces(), metrics: pmetric.NewMetrics(),
		res: map[resKey]*resBuf{}, env: env, http: http, n: n}
}

// deployment is the deployment an event belongs to: its `environment` field, else the
// batch's default.
func (out *batch) deployment(ev *tasker.Event) string {
	if env := payloadStr(ev, "environment"); env != "" {
		return env
	}
	return out.env
}

// fillResource sets the resource attributes of the source k (one Tasker process).
func (b *builder) fillResource(k resKey, r pcommon.Resource) {
	a := r.Attributes()
	a.PutStr("service.name", b.cfg.ServiceName)
	switch {
	case k.host != "" && k.pid != 0:
		a.PutStr("service.instance.id", k.host+"-"+strconv.FormatInt(k.pid, 10))
	case k.host != "":
		a.PutStr("service.instance.id", k.host)
	}
	if k.env != "" {
		a.PutStr("deployment.environment.name", k.env)
	}
	if k.host != "" {
		a.PutStr("host.name", k.host)
	}
	if k.pid != 0 {
		a.PutInt("process.pid", k.pid)
	}
	if k.version != "" {
		a.PutStr("tasker.version", k.version)
	}
}

func (b *builder) resourceFor(out *batch, ev *tasker.Event, dep string) *resBuf {
	return b.resourceForKey(out, resKey{host: ev.Host, pid: ev.PID, version: payloadStr(ev, "tasker_version"), env: dep})
}

func (b *builder) resourceForKey(out *batch, k resKey) *resBuf {
	if out.lastRes != nil && out.lastKey == k {
		return out.lastRes
	}
	if rb := out.res[k]; rb != nil {
		out.lastKey, out.lastRes = k, rb
		return rb
	}
	rb := &resBuf{agg: metricAgg{pool: &b.points}}
	if b.wantLogs {
		rl := out.logs.ResourceLogs().AppendEmpty()
		b.fillResource(k, rl.Resource())
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(metadata.ScopeName)
		sl.Scope().SetVersion(b.version)
		rb.lrs = sl.LogRecords()
		if len(out.order) == 0 {
			rb.lrs.EnsureCapacity(out.n) // mostly one resource: not grown 7 times a call of 100
		}
	}
	if b.wantTraces {
		rs := out.traces.ResourceSpans().AppendEmpty()
		b.fillResource(k, rs.Resource())
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(metadata.ScopeName)
		ss.Scope().SetVersion(b.version)
		rb.spans = ss.Spans()
	}
	out.res[k] = rb
	out.order = append(out.order, k)
	out.lastKey, out.lastRes = k, rb
	return rb
}

// addPlain records a line that is not a Tasker event as a plain log record. A line
// without a time of its own gets none (only the observed time): the collector's clock
// is not the time the line was written.
func (b *builder) addPlain(out *batch, ev *tasker.Event, line string, parseErr error, attrs map[string]any, now time.Time) {
	out.stats.plain++
	if !b.wantLogs {
		return
	}
	rb := b.resourceFor(out, ev, out.deployment(ev))
	lr := rb.lrs.AppendEmpty()
	if !ev.Time.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Time))
	}
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
	if ev.LogSeverity != tasker.SeverityUnset {
		lr.SetSeverityNumber(plog.SeverityNumber(ev.LogSeverity))
		lr.SetSeverityText(ev.LogSeverity.String())
	}
	body := ev.Message
	if body == "" {
		body = line
	}
	lr.Body().SetStr(strings.Clone(body))
	for k, v := range attrs {
		if s, ok := v.(string); ok {
			lr.Attributes().PutStr(k, s)
		}
	}
	if parseErr != nil {
		lr.Attributes().PutStr("tasker.parse_error", parseErr.Error())
	}
}

func removeEmptyLogs(out *batch) {
	out.logs.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool { return rl.ScopeLogs().At(0).LogRecords().Len() == 0 })
}

// finish emits the completions held during the call, then the call's metrics.
func (b *builder) finish(out *batch, now time.Time) {
	b.emitCompletions(out)
	for _, s := range out.touched { // the spans that stay open keep copies (spanevent.go)
		if b.table.get(s.key) == s {
			b.ownEntry(s)
		}
	}
	out.touched = nil
	b.stepKey = spanKey{} // it points into this call's input
	b.slots = nil         // and so do the span events of its block
	// A resource whose events made no span (or no record: routes) sends nothing.
	out.traces.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool { return rs.ScopeSpans().At(0).Spans().Len() == 0 })
	if out.queue == nil { // else once filled (fillLogs)
		removeEmptyLogs(out)
	}
	if !b.wantMetrics {
		return
	}
	start := b.lastEmit
	if start.IsZero() {
		start = b.startTime
	}
	if start.IsZero() {
		start = now
	}
	emitted := false
	for _, k := range out.order {
		rb := out.res[k]
		if rb.agg.empty() {
			continue
		}
		rm := out.metrics.ResourceMetrics().AppendEmpty()
		b.fillResource(k, rm.Resource())
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		sm.Scope().SetVersion(b.version)
		rb.agg.emit(sm, pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(now))
		b.points.put(&rb.agg)
		emitted = true
	}
	if emitted {
		b.lastEmit = now
	}
}

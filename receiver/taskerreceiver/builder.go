// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// builder turns events into logs, traces and metrics. It is the one place signals are
// built; every input feeds it. It is safe for concurrent use (one mutex: the start
// table, the de-duplication window and the delta interval are shared state).
type builder struct {
	cfg     *Config
	source  string
	version string
	router  *router
	mcfg    metadata.MetricsConfig

	// wantLogs/Traces/Metrics: a consumer exists for the signal.
	wantLogs, wantTraces, wantMetrics bool

	mu sync.Mutex
	// payloadKeys caches "tasker.payload.<key>" by key.
	payloadKeys map[string]string
	// idTask is the task whose ids were computed last (idTraceID, idSpanID).
	idTask    string
	idValid   bool
	idTraceID pcommon.TraceID
	idSpanID  pcommon.SpanID
	table     *startTable
	dedupe    *dedupeWindow
	lastEmit  time.Time
	stats     stats
	nowFunc   func() time.Time
	startTime time.Time
}

// stats counts what one call did, for the receiver's telemetry.
type stats struct {
	accepted, dropped, duplicates, evictions, plain int64
}

func newBuilder(cfg *Config, build component.BuildInfo) (*builder, error) {
	r, err := newRouter(cfg.Routes)
	if err != nil {
		return nil, err
	}
	return &builder{
		cfg:     cfg,
		source:  cfg.source(),
		version: build.Version,
		router:  r,
		mcfg:    cfg.Metrics,
		table:   newStartTable(cfg.Spans.MaxOpen, cfg.Spans.MaxAge),
		dedupe:  newDedupeWindow(cfg.Dedupe.Window, cfg.Dedupe.MaxEntries),
		nowFunc: time.Now,
	}, nil
}

// batch is the output of one call.
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

func (b *builder) newBatch() *batch {
	return &batch{logs: plog.NewLogs(), traces: ptrace.NewTraces(), metrics: pmetric.NewMetrics(), res: map[resKey]*resBuf{}}
}

func payloadStr(ev *tasker.Event, key string) string {
	for i := range ev.Payload {
		if ev.Payload[i].Key == key {
			return ev.Payload[i].Value.Text()
		}
	}
	return ""
}

func payloadValue(ev *tasker.Event, key string) (tasker.Value, bool) {
	for i := range ev.Payload {
		if ev.Payload[i].Key == key {
			return ev.Payload[i].Value, true
		}
	}
	return tasker.Value{}, false
}

// resource keys that go to the resource, not to tasker.payload.*.
func resourcePayloadKey(k string) bool {
	return k == "environment" || k == "tasker_version"
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

func (b *builder) resourceFor(out *batch, ev *tasker.Event) *resBuf {
	k := resKey{host: ev.Host, pid: ev.PID, version: payloadStr(ev, "tasker_version"), env: b.cfg.DeploymentEnvironment}
	if k.env == "" {
		k.env = payloadStr(ev, "environment")
	}
	if out.lastRes != nil && out.lastKey == k {
		return out.lastRes
	}
	if rb := out.res[k]; rb != nil {
		out.lastKey, out.lastRes = k, rb
		return rb
	}
	rb := &resBuf{}
	if b.wantLogs {
		rl := out.logs.ResourceLogs().AppendEmpty()
		b.fillResource(k, rl.Resource())
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(metadata.ScopeName)
		sl.Scope().SetVersion(b.version)
		rb.lrs = sl.LogRecords()
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

// build turns events into signals. Events must not be used by the caller afterwards
// only if they are kept: build copies what it keeps.
func (b *builder) build(events []tasker.Event) *batch {
	out := b.newBatch()
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowFunc()
	out.stats.evictions += int64(b.table.expire(now))
	for i := range events {
		b.add(out, &events[i], now)
	}
	b.finish(out, now)
	return out
}

// buildPlain records lines that are not Tasker events as plain log records.
func (b *builder) addPlain(out *batch, ev *tasker.Event, line string, parseErr error, attrs map[string]any, now time.Time) {
	out.stats.plain++
	if !b.wantLogs {
		return
	}
	rb := b.resourceFor(out, ev)
	lr := rb.lrs.AppendEmpty()
	ts := ev.Time
	if ts.IsZero() {
		ts = now
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
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

func (b *builder) finish(out *batch, now time.Time) {
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
		emitted = true
	}
	if emitted {
		b.lastEmit = now
	}
}

func (b *builder) add(out *batch, ev *tasker.Event, now time.Time) {
	sig := b.router.decide(ev)
	if sig == 0 {
		out.stats.dropped++
		return
	}
	out.stats.accepted++
	info := ev.Info()
	entity := info.Entity
	if ev.StepID != "" && entity != tasker.EntityTask {
		entity = tasker.EntityStep
	}
	wantTraces := b.wantTraces && sig&tasker.SignalTraces != 0
	wantMetrics := b.wantMetrics && sig&tasker.SignalMetrics != 0
	wantLogs := b.wantLogs && sig&tasker.SignalLogs != 0

	attempt := int64(0)
	if ev.StepID != "" {
		switch {
		case ev.HasAttempt:
			attempt = ev.Attempt
		case b.table.currentAttempt(ev.TaskID, ev.StepID) > 0:
			attempt = b.table.currentAttempt(ev.TaskID, ev.StepID)
		default:
			attempt = 1
		}
	}

	// De-duplicate terminal events: Tasker publishes one completion several times.
	duplicate := false
	terminal := info.Terminal && ev.TaskID != "" && (entity == tasker.EntityTask || ev.StepID != "")
	if terminal {
		k := dedupeKey{entity: uint8(entity), task: ev.TaskID, outcome: uint8(info.Outcome)}
		if entity == tasker.EntityStep {
			k.step, k.attempt = ev.StepID, attempt
		} else if ev.HasAttempt {
			k.attempt = ev.Attempt
		}
		if b.dedupe.seen(k, now) {
			duplicate = true
			out.stats.duplicates++
		}
	}

	var rb *resBuf
	if wantLogs || wantTraces || wantMetrics {
		rb = b.resourceFor(out, ev)
	}
	if wantLogs {
		b.appendLog(rb.lrs.AppendEmpty(), ev, info, entity, attempt, duplicate, now)
	}
	if wantMetrics && b.mcfg.TaskerEvents.Enabled {
		rb.agg.add(descEvents, 1, kv{"tasker.event.name", ev.Name})
	}
	if (!wantTraces && !wantMetrics) || ev.TaskID == "" {
		return
	}

	evTime := ev.Time
	if evTime.IsZero() {
		evTime = now
	}
	taskKey := spanKey{task: ev.TaskID}
	stepKey := spanKey{task: ev.TaskID, step: ev.StepID, attempt: attempt}

	// Starts: the task entry opens on any event of the task (first seen), a step
	// attempt entry on its start event.
	var task *openSpan
	if !(terminal && entity == tasker.EntityTask) || b.table.get(taskKey) != nil {
		var ev1 int
		task, ev1 = b.table.open(taskKey, now)
		out.stats.evictions += int64(ev1)
		if task.firstSeen.IsZero() || evTime.Before(task.firstSeen) {
			task.firstSeen = evTime
		}
		if task.taskName == "" && ev.TaskName != "" {
			task.taskName = strings.Clone(ev.TaskName)
		}
		if info.Start && entity == tasker.EntityTask && (task.start.IsZero() || evTime.Before(task.start)) {
			task.start = evTime
		}
	}
	var step *openSpan
	if entity == tasker.EntityStep && ev.StepID != "" {
		step = b.table.get(stepKey)
		if step == nil && info.Start {
			var ev1 int
			step, ev1 = b.table.open(stepKey, now)
			out.stats.evictions += int64(ev1)
		}
		if step != nil {
			if info.Start && (step.start.IsZero() || evTime.Before(step.start)) {
				step.start = evTime
			}
			if step.stepName == "" && ev.StepName != "" {
				step.stepName = strings.Clone(ev.StepName)
			}
		}
	}

	switch {
	case terminal && duplicate:
		// Counted once already; the log above carries tasker.duplicate=true.
	case terminal && entity == tasker.EntityTask:
		b.endTask(rb, ev, info, evTime, wantTraces, wantMetrics)
	case terminal:
		b.endStep(rb, ev, info, attempt, step, evTime, wantTraces, wantMetrics)
	default:
		if wantTraces {
			target := step
			if target == nil {
				target = task
			}
			if target != nil {
				b.addSpanEvent(target, ev, evTime, attempt)
			}
		}
		if wantMetrics {
			b.eventMetrics(rb, ev, attempt)
		}
	}
}

func (b *builder) addSpanEvent(s *openSpan, ev *tasker.Event, t time.Time, attempt int64) {
	if len(s.events) >= maxSpanEvents {
		s.dropped++
		return
	}
	// The event is kept in the start table until its span ends: its strings are copied
	// (in one allocation) so that it does not keep the request body or log line alive.
	var c arena
	n := 0
	if ev.StepID != "" {
		c.want(ev.StepID)
		c.want(ev.StepName)
		n += 2
		if ev.StepName != "" {
			n++
		}
	}
	for _, v := range [...]string{ev.FromState, ev.ToState, ev.Message, ev.ErrorClass, ev.ErrorMessage} {
		c.want(v)
		if v != "" {
			n++
		}
	}
	c.want(ev.Name)
	for i := range ev.Payload {
		switch v := ev.Payload[i].Value; v.Kind() {
		case tasker.KindString:
			c.want(v.Str())
		case tasker.KindRaw:
			c.want(v.Raw())
		}
	}
	n += payloadAttrCount(ev)
	c.grow()

	m := pcommon.NewMap()
	m.EnsureCapacity(n)
	if ev.StepID != "" {
		m.PutStr("tasker.step.id", c.clone(ev.StepID))
		if ev.StepName != "" {
			m.PutStr("tasker.step.name", c.clone(ev.StepName))
		}
		m.PutInt("tasker.attempt", attempt)
	}
	if ev.FromState != "" {
		m.PutStr("tasker.from_state", c.clone(ev.FromState))
	}
	if ev.ToState != "" {
		m.PutStr("tasker.to_state", c.clone(ev.ToState))
	}
	if ev.Message != "" {
		m.PutStr("tasker.message", c.clone(ev.Message))
	}
	if ev.ErrorClass != "" {
		m.PutStr("exception.type", c.clone(ev.ErrorClass))
	}
	if ev.ErrorMessage != "" {
		m.PutStr("exception.message", c.clone(ev.ErrorMessage))
	}
	b.putPayloadTo(m, ev, &c)
	s.events = append(s.events, spanEvent{name: c.clone(ev.Name), time: t, attrs: m})
}

// arena copies several strings with one allocation: want each, grow, then clone each.
type arena struct {
	n   int
	buf strings.Builder
}

func (c *arena) want(s string) { c.n += len(s) }

func (c *arena) grow() { c.buf.Grow(c.n) }

// clone is a copy of s that shares the arena's memory.
func (c *arena) clone(s string) string {
	if s == "" {
		return ""
	}
	if c.buf.Cap()-c.buf.Len() < len(s) {
		return strings.Clone(s)
	}
	i := c.buf.Len()
	c.buf.WriteString(s)
	return c.buf.String()[i:]
}

// maxPayloadKeys bounds the cache of "tasker.payload.<key>" attribute names.
const maxPayloadKeys = 4096

// payloadKey is "tasker.payload." + key, from a cache of the keys seen (payloads use a
// small set of keys). Called with b.mu held.
func (b *builder) payloadKey(key string) string {
	if k, ok := b.payloadKeys[key]; ok {
		return k
	}
	k := "tasker.payload." + key
	if len(b.payloadKeys) < maxPayloadKeys {
		if b.payloadKeys == nil {
			b.payloadKeys = make(map[string]string)
		}
		b.payloadKeys[k[len("tasker.payload."):]] = k
	}
	return k
}

// putPayload writes the remaining payload as tasker.payload.* attributes.
func (b *builder) putPayload(m pcommon.Map, ev *tasker.Event) { b.putPayloadTo(m, ev, nil) }

// putPayloadTo is putPayload, with the strings copied into c when c is not nil.
func (b *builder) putPayloadTo(m pcommon.Map, ev *tasker.Event, c *arena) {
	clone := c != nil
	for i := range ev.Payload {
		f := &ev.Payload[i]
		if resourcePayloadKey(f.Key) {
			continue
		}
		k := b.payloadKey(f.Key)
		switch f.Value.Kind() {
		case tasker.KindString:
			s := f.Value.Str()
			if clone {
				s = c.clone(s)
			}
			m.PutStr(k, s)
		case tasker.KindInt:
			m.PutInt(k, f.Value.Int())
		case tasker.KindFloat:
			m.PutDouble(k, f.Value.Float())
		case tasker.KindBool:
			m.PutBool(k, f.Value.Bool())
		case tasker.KindRaw:
			s := f.Value.Raw()
			if clone {
				s = c.clone(s)
			}
			m.PutStr(k, s)
		case tasker.KindNull:
			// Tasker drops nil labels; an empty attribute carries no information.
		}
	}
}

func putTime(m pcommon.Map, k string, t time.Time) {
	if !t.IsZero() {
		m.PutStr(k, t.UTC().Format(time.RFC3339Nano))
	}
}

func (b *builder) appendLog(lr plog.LogRecord, ev *tasker.Event, info tasker.Info, entity tasker.Entity, attempt int64, duplicate bool, now time.Time) {
	ts := ev.Time
	if ts.IsZero() {
		ts = now
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
	sev := ev.Severity()
	lr.SetSeverityNumber(plog.SeverityNumber(sev))
	lr.SetSeverityText(sev.String())
	if ev.Name != "" {
		lr.SetEventName(ev.Name)
	}
	switch {
	case ev.Message != "":
		lr.Body().SetStr(ev.Message)
	case ev.Name != "":
		lr.Body().SetStr(ev.Name)
	default:
		lr.Body().SetStr(ev.EntityType)
	}
	a := lr.Attributes()
	a.EnsureCapacity(logAttrCount(ev, info, duplicate))
	if ev.Name != "" {
		a.PutStr("tasker.event.name", ev.Name)
	}
	a.PutStr("tasker.event.category", info.Category.String())
	if ev.EventType != "" {
		a.PutStr("tasker.event.type", ev.EventType)
	}
	if ev.EntityType != "" {
		a.PutStr("tasker.entity.type", ev.EntityType)
	}
	if ev.TaskID != "" {
		a.PutStr("tasker.task.id", ev.TaskID)
	}
	if ev.TaskName != "" {
		a.PutStr("tasker.task.name", ev.TaskName)
	}
	if ev.StepID != "" {
		a.PutStr("tasker.step.id", ev.StepID)
	}
	if ev.StepName != "" {
		a.PutStr("tasker.step.name", ev.StepName)
	}
	if ev.Namespace != "" {
		a.PutStr("tasker.namespace", ev.Namespace)
	}
	if ev.Version != "" {
		a.PutStr("tasker.task.version", ev.Version)
	}
	if ev.HasAttempt {
		a.PutInt("tasker.attempt", ev.Attempt)
	}
	if ev.HasRetryLimit {
		a.PutInt("tasker.retry_limit", ev.RetryLimit)
	}
	if ev.HasExecutionDuration {
		a.PutDouble("tasker.execution_duration", ev.ExecutionDuration.Seconds())
	}
	if ev.HasTotalDuration {
		a.PutDouble("tasker.total_duration", ev.TotalDuration.Seconds())
	}
	if ev.FromState != "" {
		a.PutStr("tasker.from_state", ev.FromState)
	}
	if ev.ToState != "" {
		a.PutStr("tasker.to_state", ev.ToState)
	}
	if ev.CorrelationID != "" {
		a.PutStr("tasker.correlation_id", ev.CorrelationID)
	}
	putTime(a, "tasker.started_at", ev.StartedAt)
	putTime(a, "tasker.completed_at", ev.CompletedAt)
	if info.Outcome != tasker.OutcomeNone {
		a.PutStr("tasker.outcome", info.Outcome.String())
	}
	if duplicate {
		a.PutBool("tasker.duplicate", true)
	}
	if ev.ErrorClass != "" {
		a.PutStr("exception.type", ev.ErrorClass)
	}
	if ev.ErrorMessage != "" {
		a.PutStr("exception.message", ev.ErrorMessage)
	}
	if len(ev.Backtrace) > 0 {
		a.PutStr("exception.stacktrace", strings.Join(ev.Backtrace, "\n"))
	}
	b.putPayload(a, ev)
	if ev.TaskID != "" {
		traceID, taskSpanID := b.taskIDs(ev.TaskID)
		lr.SetTraceID(traceID)
		if entity == tasker.EntityStep && ev.StepID != "" {
			lr.SetSpanID(newStepSpanID(b.source, ev.TaskID, ev.StepID, attempt))
		} else {
			lr.SetSpanID(taskSpanID)
		}
	}
}

// logAttrCount is the number of attributes appendLog puts, so the map is sized once.
func logAttrCount(ev *tasker.Event, info tasker.Info, duplicate bool) int {
	n := 1 // tasker.event.category
	for _, s := range [...]string{ev.Name, ev.EventType, ev.EntityType, ev.TaskID, ev.TaskName, ev.StepID, ev.StepName,
		ev.Namespace, ev.Version, ev.FromState, ev.ToState, ev.CorrelationID, ev.ErrorClass, ev.ErrorMessage} {
		if s != "" {
			n++
		}
	}
	for _, f := range [...]bool{ev.HasAttempt, ev.HasRetryLimit, ev.HasExecutionDuration, ev.HasTotalDuration,
		!ev.StartedAt.IsZero(), !ev.CompletedAt.IsZero(), info.Outcome != tasker.OutcomeNone, duplicate, len(ev.Backtrace) > 0} {
		if f {
			n++
		}
	}
	return n + payloadAttrCount(ev)
}

// payloadAttrCount is the number of attributes putPayload puts.
func payloadAttrCount(ev *tasker.Event) int {
	n := 0
	for i := range ev.Payload {
		if !resourcePayloadKey(ev.Payload[i].Key) && ev.Payload[i].Value.Kind() != tasker.KindNull {
			n++
		}
	}
	return n
}

// taskIDs are the trace id and task span id of a task. The last task's are kept: the
// events of a task mostly come together. Called with b.mu held.
func (b *builder) taskIDs(taskID string) (pcommon.TraceID, pcommon.SpanID) {
	if b.idTask != taskID || !b.idValid {
		b.idTraceID, b.idSpanID = newTraceID(b.source, taskID), newTaskSpanID(b.source, taskID)
		b.idTask, b.idValid = strings.Clone(taskID), true
	}
	return b.idTraceID, b.idSpanID
}

func copyEvents(span ptrace.Span, s *openSpan) {
	if s == nil {
		return
	}
	for _, e := range s.events {
		se := span.Events().AppendEmpty()
		se.SetName(e.name)
		se.SetTimestamp(pcommon.NewTimestampFromTime(e.time))
		e.attrs.MoveTo(se.Attributes())
	}
	span.SetDroppedEventsCount(s.dropped)
}

// payloadNumberAttr copies a numeric payload field to a span attribute.
func payloadNumberAttr(m pcommon.Map, ev *tasker.Event, key, attr string) {
	v, ok := payloadValue(ev, key)
	if !ok {
		return
	}
	switch v.Kind() {
	case tasker.KindInt:
		m.PutInt(attr, v.Int())
	case tasker.KindFloat:
		m.PutDouble(attr, v.Float())
	case tasker.KindString:
		if f, err := strconv.ParseFloat(v.Str(), 64); err == nil {
			m.PutDouble(attr, f)
		}
	}
}

func setOutcomeStatus(span ptrace.Span, info tasker.Info, ev *tasker.Event, what string) {
	switch info.Outcome {
	case tasker.OutcomeCompleted, tasker.OutcomeResolvedManually:
		span.Status().SetCode(ptrace.StatusCodeOk)
	case tasker.OutcomeFailed:
		span.Status().SetCode(ptrace.StatusCodeError)
		msg := ev.ErrorMessage
		if msg == "" {
			msg = what + " failed"
		}
		span.Status().SetMessage(strings.Clone(msg))
	case tasker.OutcomeCancelled:
		// Unset: a cancellation is not an error of the task; tasker.outcome says it.
	}
}

func (b *builder) endTask(rb *resBuf, ev *tasker.Event, info tasker.Info, evTime time.Time, wantTraces, wantMetrics bool) {
	key := spanKey{task: ev.TaskID}
	entry := b.table.get(key)
	end := evTime
	if !ev.CompletedAt.IsZero() {
		end = ev.CompletedAt
	}
	start, startKnown := ev.StartedAt, !ev.StartedAt.IsZero()
	switch {
	case startKnown:
	case entry != nil && !entry.start.IsZero():
		start, startKnown = entry.start, true
	case ev.HasTotalDuration:
		start, startKnown = end.Add(-ev.TotalDuration), true
	case entry != nil && !entry.firstSeen.IsZero():
		start, startKnown = entry.firstSeen, true
	}
	if !startKnown || start.After(end) {
		start = end
	}
	name := ev.TaskName
	if name == "" && entry != nil {
		name = entry.taskName
	}
	if wantTraces {
		span := rb.spans.AppendEmpty()
		traceID, taskSpanID := b.taskIDs(ev.TaskID)
		span.SetTraceID(traceID)
		span.SetSpanID(taskSpanID)
		if name == "" {
			name = "task " + ev.TaskID
		}
		span.SetName(name)
		span.SetKind(ptrace.SpanKindInternal)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		a := span.Attributes()
		a.EnsureCapacity(8 + min(len(ev.Payload), len(taskNumberAttrs)+1))
		a.PutStr("tasker.task.id", ev.TaskID)
		if name != "" {
			a.PutStr("tasker.task.name", name)
		}
		a.PutStr("tasker.outcome", info.Outcome.String())
		a.PutStr("tasker.terminal_event", ev.Name)
		if ev.Namespace != "" {
			a.PutStr("tasker.namespace", ev.Namespace)
		}
		if ev.Version != "" {
			a.PutStr("tasker.task.version", ev.Version)
		}
		if ev.CorrelationID != "" {
			a.PutStr("tasker.correlation_id", ev.CorrelationID)
		}
		if !startKnown {
			a.PutBool("tasker.start_missing", true)
		}
		for _, f := range taskNumberAttrs {
			payloadNumberAttr(a, ev, f[0], f[1])
		}
		if hs := payloadStr(ev, "health_status"); hs != "" {
			a.PutStr("tasker.task.health_status", hs)
		}
		copyEvents(span, entry)
		setOutcomeStatus(span, info, ev, "task")
		if info.Outcome == tasker.OutcomeFailed {
			addException(span, ev, end)
		}
	}
	if wantMetrics {
		outcome := info.Outcome.String()
		b.outcomeMetrics(rb, ev, "task", outcome, startKnown, end.Sub(start).Seconds(),
			b.mcfg.TaskerTaskOutcomes.Enabled, b.mcfg.TaskerTaskDuration.Enabled, descTaskOutcomes, descTaskDuration,
			kv{"tasker.task.name", name})
	}
	if entry != nil {
		b.table.remove(entry)
	}
}

// taskNumberAttrs are the numeric payload fields of a task's end: {field, attribute}.
var taskNumberAttrs = [...][2]string{
	{"total_steps", "tasker.task.total_steps"},
	{"completed_steps", "tasker.task.completed_steps"},
	{"failed_steps", "tasker.task.failed_steps"},
	{"pending_steps", "tasker.task.pending_steps"},
	{"completion_percentage", "tasker.task.completion_percentage"},
	{"failed_steps_count", "tasker.task.failed_steps_count"},
}

func addException(span ptrace.Span, ev *tasker.Event, t time.Time) {
	if ev.ErrorClass == "" && ev.ErrorMessage == "" {
		return
	}
	se := span.Events().AppendEmpty()
	se.SetName("exception")
	se.SetTimestamp(pcommon.NewTimestampFromTime(t))
	a := se.Attributes()
	if ev.ErrorClass != "" {
		a.PutStr("exception.type", ev.ErrorClass)
	}
	if ev.ErrorMessage != "" {
		a.PutStr("exception.message", ev.ErrorMessage)
	}
	if len(ev.Backtrace) > 0 {
		a.PutStr("exception.stacktrace", strings.Join(ev.Backtrace, "\n"))
	}
}

func (b *builder) endStep(rb *resBuf, ev *tasker.Event, info tasker.Info, attempt int64, entry *openSpan, evTime time.Time, wantTraces, wantMetrics bool) {
	end := evTime
	if !ev.CompletedAt.IsZero() {
		end = ev.CompletedAt
	}
	start, startKnown := ev.StartedAt, !ev.StartedAt.IsZero()
	switch {
	case startKnown:
	case ev.HasExecutionDuration:
		start, startKnown = end.Add(-ev.ExecutionDuration), true
	case entry != nil && !entry.start.IsZero():
		start, startKnown = entry.start, true
	}
	if !startKnown || start.After(end) {
		start = end
	}
	dur := end.Sub(start).Seconds()
	if ev.HasExecutionDuration {
		dur = ev.ExecutionDuration.Seconds()
	}
	stepName := ev.StepName
	if stepName == "" && entry != nil {
		stepName = entry.stepName
	}
	taskName := ev.TaskName
	if task := b.table.get(spanKey{task: ev.TaskID}); taskName == "" && task != nil {
		taskName = task.taskName
	}
	if wantTraces {
		span := rb.spans.AppendEmpty()
		traceID, taskSpanID := b.taskIDs(ev.TaskID)
		span.SetTraceID(traceID)
		span.SetSpanID(newStepSpanID(b.source, ev.TaskID, ev.StepID, attempt))
		span.SetParentSpanID(taskSpanID)
		name := stepName
		if name == "" {
			name = "step " + ev.StepID
		}
		span.SetName(name)
		span.SetKind(ptrace.SpanKindInternal)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		a := span.Attributes()
		a.EnsureCapacity(10)
		a.PutStr("tasker.task.id", ev.TaskID)
		if taskName != "" {
			a.PutStr("tasker.task.name", taskName)
		}
		a.PutStr("tasker.step.id", ev.StepID)
		if stepName != "" {
			a.PutStr("tasker.step.name", stepName)
		}
		a.PutInt("tasker.attempt", attempt)
		if ev.HasRetryLimit {
			a.PutInt("tasker.retry_limit", ev.RetryLimit)
		}
		a.PutStr("tasker.outcome", info.Outcome.String())
		a.PutStr("tasker.terminal_event", ev.Name)
		if ev.HasExecutionDuration {
			a.PutDouble("tasker.execution_duration", ev.ExecutionDuration.Seconds())
		}
		if !startKnown {
			a.PutBool("tasker.start_missing", true)
		}
		if attempt > 1 {
			l := span.Links().AppendEmpty()
			l.SetTraceID(traceID)
			l.SetSpanID(newStepSpanID(b.source, ev.TaskID, ev.StepID, attempt-1))
			l.Attributes().PutStr("tasker.link", "previous_attempt")
		}
		copyEvents(span, entry)
		setOutcomeStatus(span, info, ev, "step")
		if info.Outcome == tasker.OutcomeFailed {
			addException(span, ev, end)
		}
	}
	if wantMetrics {
		b.outcomeMetrics(rb, ev, "step", info.Outcome.String(), startKnown || ev.HasExecutionDuration, dur,
			b.mcfg.TaskerStepOutcomes.Enabled, b.mcfg.TaskerStepDuration.Enabled, descStepOutcomes, descStepDuration,
			kv{"tasker.task.name", taskName}, kv{"tasker.step.name", stepName})
	}
	if entry != nil {
		b.table.remove(entry)
	}
}

// outcomeMetrics records a terminal event: the outcome counter and the duration.
func (b *builder) outcomeMetrics(rb *resBuf, ev *tasker.Event, entity, outcome string, haveDur bool, dur float64,
	countOn, durOn bool, countDesc, durDesc metricDesc, names ...kv,
) {
	if b.cfg.MetricNaming == MetricNamingTasker {
		// Tasker's MetricsBackend: <entity>_{completed,failed,cancelled}_total and
		// <entity>_duration_seconds, labels status, handler, namespace (nil dropped).
		if outcome == "resolved_manually" {
			return
		}
		var lb [3]kv
		labels := lb[:0]
		if s := payloadStr(ev, "status"); s != "" {
			labels = append(labels, kv{"status", s})
		}
		if s := payloadStr(ev, "handler_class"); s != "" {
			labels = append(labels, kv{"handler", s})
		}
		if ev.Namespace != "" {
			labels = append(labels, kv{"namespace", ev.Namespace})
		}
		if countOn {
			rb.agg.add(taskerDesc(entity, outcome), 1, labels...)
		}
		if durOn && haveDur && outcome != "cancelled" {
			rb.agg.observe(taskerDesc(entity, "duration"), dur, labels...)
		}
		return
	}
	var ab [4]kv
	attrs := append(ab[:0], names...)
	attrs = append(attrs, kv{"tasker.outcome", outcome})
	if countOn {
		rb.agg.add(countDesc, 1, attrs...)
	}
	if durOn && haveDur {
		rb.agg.observe(durDesc, dur, attrs...)
	}
}

// eventMetrics records retries and backoffs.
func (b *builder) eventMetrics(rb *resBuf, ev *tasker.Event, _ int64) {
	switch ev.Name {
	case "step.retry_requested":
		if b.mcfg.TaskerStepRetries.Enabled {
			rb.agg.add(descStepRetries, 1, kv{"tasker.task.name", ev.TaskName}, kv{"tasker.step.name", ev.StepName})
		}
	case "observability.step.backoff":
		bt := payloadStr(ev, "backoff_type")
		if b.mcfg.TaskerStepBackoffs.Enabled {
			rb.agg.add(descStepBackoffs, 1, kv{"tasker.step.name", ev.StepName}, kv{"tasker.backoff.type", bt})
		}
		if v, ok := payloadValue(ev, "backoff_seconds"); ok && b.mcfg.TaskerStepBackoffDuration.Enabled {
			if k := v.Kind(); k == tasker.KindInt || k == tasker.KindFloat {
				rb.agg.observe(descBackoffDur, v.Float(), kv{"tasker.step.name", ev.StepName}, kv{"tasker.backoff.type", bt})
			}
		}
	}
}

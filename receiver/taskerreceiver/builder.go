// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// builder turns events into logs, traces and metrics. It is the one place signals are
// built; every input feeds it. It is safe for concurrent use (one mutex: the start
// table, the de-duplication window and the delta interval are shared state; build
// fills a call's log records after releasing it, see fillLogs).
//
// The files of the builder: batch.go (a call's output, resources, plain lines),
// attrs.go (payload attributes), logs.go (log records), attempts.go (which step
// attempt an event belongs to), completion.go (an ended task run or step attempt,
// resolved once), traces.go (spans of completions), outcomes.go (their metrics).
type builder struct {
	cfg     *Config
	source  string
	version string
	router  *router
	mcfg    metadata.MetricsConfig

	// wantLogs/Traces/Metrics: a consumer exists for the signal.
	wantLogs, wantTraces, wantMetrics bool

	mu sync.Mutex
	// keys caches "tasker.payload.<key>" by key (its own lock: see payloadKey).
	keys keyCache
	// idTask/idDep is the task whose ids were computed last (idTraceID, idSpanID).
	idTask, idDep string
	idValid       bool
	idTraceID     pcommon.TraceID
	idSpanID      pcommon.SpanID
	// stepKey/stepSpan: the step attempt whose span id was computed last in this call.
	stepKey   spanKey
	stepSpan  pcommon.SpanID
	table     *startTable
	spare     spareMaps   // a call's completion maps, emptied, for the next call (traces.go)
	points    pointPool   // metric points of emitted batches, for the next (metrics.go)
	times     strChunk    // formatted times of log records built with b.mu held (attrs.go)
	slots     []spanEvent // the call's block of span event slices (spanevent.go)
	dedupe    *dedupeWindow
	waiting   map[dedupeKey]*waiting // thin task ends (taskend.go)
	lastEmit  time.Time
	nowFunc   func() time.Time
	startTime time.Time
}

// stats counts what one call did, for the receiver's telemetry.
type stats struct {
	accepted, dropped, duplicates, evictions, plain int64
}

func newBuilder(cfg *Config, build component.BuildInfo) (*builder, error) {
	r, err := newRouter(cfg.Routes, cfg.source())
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

// build turns events into signals. env is the deployment of events that name none
// (see batch.deployment); http says the events came over HTTP. build copies what it
// keeps beyond the call.
func (b *builder) build(events []tasker.Event, env string, http bool) *batch {
	out := b.newBatch(env, http, len(events))
	out.queue = b.queueOf(len(events))
	now := b.build1(out, events)
	b.fillLogs(out, now)
	return out
}

// build1 is build's part under b.mu; the log records are only queued (logs.go).
func (b *builder) build1(out *batch, events []tasker.Event) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowFunc()
	out.stats.evictions += int64(b.table.expire(now))
	b.releaseWaiting(out, now, false)
	for i := range events {
		b.add(out, &events[i], now)
	}
	b.finish(out, now)
	return now
}

// eventTime is the time of an event for spans. Tasker's builder payloads have
// whole-second timestamps (event_payload_builder.rb:51,83,308): when an HTTP event's
// time is a whole second and the request arrives within that second, the arrival
// time is the better estimate and is used; otherwise the payload time is. An event
// without a time gets the arrival time.
func eventTime(ev *tasker.Event, now time.Time, http bool) time.Time {
	t := ev.Time
	switch {
	case t.IsZero():
		return now
	case http && t.Nanosecond() == 0 && !now.Before(t) && now.Sub(t) < time.Second:
		return now
	}
	return t
}

func (b *builder) add(out *batch, ev *tasker.Event, now time.Time) {
	dep := out.deployment(ev)
	sig := b.router.decide(ev, dep)
	if sig == 0 {
		out.stats.dropped++
		return
	}
	out.stats.accepted++
	wantTraces := b.wantTraces && sig&tasker.SignalTraces != 0
	wantMetrics := b.wantMetrics && sig&tasker.SignalMetrics != 0
	wantLogs := b.wantLogs && sig&tasker.SignalLogs != 0
	if !wantLogs && !wantTraces && !wantMetrics {
		return
	}
	info := ev.Info()
	entity := info.Entity
	if ev.StepID != "" && entity != tasker.EntityTask {
		entity = tasker.EntityStep
	}
	rb := b.resourceFor(out, ev, dep)
	if wantMetrics && b.mcfg.TaskerEvents.Enabled {
		rb.agg.add(descEvents, 1, kv{"tasker.event.name", ev.Name})
	}
	if ev.TaskID == "" {
		if wantLogs {
			b.log(out, rb, ev, info, where{}, false, now)
		}
		return
	}

	key := spanKey{dep: dep, task: ev.TaskID}
	isStep := entity == tasker.EntityStep && ev.StepID != ""
	if isStep {
		key.step = ev.StepID
		n, retry := b.attemptOf(key, ev, info, eventTime(ev, now, out.http), now)
		key.attempt = n
		if retry && wantMetrics && b.mcfg.TaskerStepRetries.Enabled {
			rb.agg.add(descStepRetries, 1, kv{"tasker.task.name", ev.TaskName}, kv{"tasker.step.name", ev.StepName})
		}
	}

	// One completion per task outcome and per step attempt, whichever copy comes first.
	// A step event without a step id ends nothing: it is an event of its task.
	terminal := info.Terminal && (isStep || entity == tasker.EntityTask)
	var dk dedupeKey
	var pend *completion
	duplicate := false
	if terminal {
		dk = dedupeKey{span: key}
		if !isStep {
			dk.outcome = uint8(info.Outcome)
		}
		if pend = out.pending[dk]; pend != nil || b.waiting[dk] != nil || b.dedupe.seen(dk, now) {
			duplicate = true
			out.stats.duplicates++
		} else if out.http {
			out.undo.completions = append(out.undo.completions, dk)
		}
	}
	if wantLogs {
		b.log(out, rb, ev, info, b.spanOf(key), duplicate, now)
	}
	if terminal && !isStep && pend == nil {
		if out.http && b.waiting[dk] != nil {
			out.undo.taken = append(out.undo.taken, *b.waiting[dk])
		}
		if w := b.takeWaiting(dk); w != nil { // the finalizer's copy after the thin one
			pend = w
			w.rb, w.traces, w.metric = rb, wantTraces, wantMetrics
			b.addPending(out, dk, w) // and merged below, as a copy
		}
	}
	if !wantTraces && !wantMetrics {
		return
	}
	t := eventTime(ev, now, out.http)

	switch {
	case terminal && duplicate:
		if pend != nil {
			pend.merge(ev, t)
		}
	case terminal:
		c := newCompletion(dk, entity, info, rb, ev, t)
		c.traces, c.metric = wantTraces, wantMetrics
		b.startOf(out, c, key, t, now)
		if out.http && c.entry != nil {
			out.undo.ended = append(out.undo.ended, c.entry)
		}
		if !isStep && thinTaskEnd(ev, info) && b.holdThin(c, out.lastKey, now) {
			if out.http {
				out.undo.held = append(out.undo.held, c)
			}
			break // waits for the finalizer's copy (taskend.go)
		}
		b.addPending(out, dk, c)
	default:
		b.record(out, ev, info, key, t, now, wantTraces)
		if wantMetrics {
			b.eventMetrics(rb, ev)
		}
	}
}

// addPending adds a completion of this call.
func (b *builder) addPending(out *batch, dk dedupeKey, c *completion) {
	if out.pending == nil {
		out.pending, b.spare.pending = b.spare.pending, nil
		if out.pending == nil {
			out.pending = map[dedupeKey]*completion{}
		}
	}
	out.pending[dk] = c
	if c.entity == tasker.EntityTask {
		if out.tasks == nil {
			out.tasks, b.spare.tasks = b.spare.tasks, nil
			if out.tasks == nil {
				out.tasks = map[spanKey]*completion{}
			}
		}
		out.tasks[dk.span] = c
	}
	b.appendDone(out, c)
}

// startOf fills a new completion from the start table: the observed start, the
// names, the span events; the entry is removed. A step's end widens its task's entry.
func (b *builder) startOf(out *batch, c *completion, key spanKey, t, now time.Time) {
	taskKey := key.taskOf()
	task := b.table.get(taskKey)
	if key.step == "" {
		if task != nil {
			c.entry = task
			fill(&c.taskName, task.taskName)
			c.start, c.startKnown = task.firstSeen, !task.firstSeen.IsZero()
			if !task.childStart.IsZero() && task.childStart.Before(c.start) {
				c.start = task.childStart
			}
			if task.childEnd.After(c.end) {
				c.end = task.childEnd
			}
			b.table.remove(task)
		}
		return
	}
	step := b.table.get(key)
	if step != nil {
		c.entry = step
		fill(&c.stepName, step.stepName)
		c.start, c.startKnown = step.start, !step.start.IsZero()
		b.table.remove(step)
	}
	if task == nil {
		var ev int
		task, ev = b.open(out, taskKey, now)
		out.stats.evictions += int64(ev)
		task.firstSeen = t
		if c.startKnown {
			task.firstSeen = c.start
		}
	}
	fill(&c.taskName, task.taskName)
	if c.startKnown && (task.childStart.IsZero() || c.start.Before(task.childStart)) {
		task.childStart = c.start
	}
	if c.end.After(task.childEnd) {
		task.childEnd = c.end
	}
}

// record handles an event that ends nothing: it opens or widens the task and step
// entries, and becomes a span event of the span it belongs to: the step attempt's or
// the task's completion if it ended earlier in this call (the "Exception occurred"
// line after "Step failed" completes the failed attempt), else the open step attempt,
// else the open task (an event about a step attempt emitted by an earlier call).
func (b *builder) record(out *batch, ev *tasker.Event, info tasker.Info, key spanKey, t, now time.Time, traces bool) {
	if len(out.pending) == 0 {
		// nothing ended in this call yet: no completion to add to
	} else if c := out.pending[dedupeKey{span: key}]; c != nil && key.step != "" {
		c.enrich(ev)
		if traces {
			c.events = append(c.events, newSpanEvent(ev, t, key.attempt))
		}
		return
	}
	if key.step == "" && len(out.tasks) > 0 {
		if c := out.tasks[key]; c != nil {
			if traces {
				c.events = append(c.events, newSpanEvent(ev, t, 0))
			}
			return
		}
	}
	task, evicted := b.open(out, key.taskOf(), now)
	out.stats.evictions += int64(evicted)
	task.firstSeen = sooner(task.firstSeen, t)
	if task.taskName == "" && ev.TaskName != "" {
		task.taskName = b.keep(task, ev.TaskName)
	}
	target := task
	if key.step != "" {
		step := b.table.get(key)
		if step == nil && info.Start && !b.ended(key, now) {
			step, evicted = b.open(out, key, now)
			out.stats.evictions += int64(evicted)
			// From log lines, the attempt began with the execution_starting line that
			// announced it (step_executor.rb:159-163).
			if st := b.table.step(key.stepOf(), now, false); st != nil && st.announced == key.attempt && !st.announcedAt.After(t) {
				step.start = st.announcedAt
			}
		}
		if step != nil {
			if info.Start {
				step.start = sooner(step.start, t)
			}
			if step.stepName == "" && ev.StepName != "" {
				step.stepName = b.keep(step, ev.StepName)
			}
			target = step
		}
	}
	if !traces {
		return
	}
	if len(target.events) >= maxSpanEvents {
		target.dropped++
		return
	}
	if len(target.events) == target.owned {
		out.touched = append(out.touched, target) // owned at the end of the call
		if target.events == nil {
			target.events, target.carved = b.eventSlots(), true
		}
	}
	target.events = append(target.events, newSpanEvent(ev, t, key.attempt))
}

// ended: the step attempt k has ended already (a start copy that comes after its
// attempt's end opens nothing).
func (b *builder) ended(k spanKey, now time.Time) bool {
	st := b.table.step(k.stepOf(), now, false)
	return st != nil && st.ended && st.cur == k.attempt
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"container/list"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Tasker's spans per step attempt n (TelemetrySubscriber, one per event):
//
//	tasker.step.queued     ×3  attempt_number n−1  (executor, state machine, handler)
//	tasker.step.execution  ×1  attempt_number n−1  (handler's step.completed/failed)
//	tasker.step.execution  ×2  attempt_number n    (state machine, then executor)
//
// (only the last two when the pending→in_progress transition itself failed). The table
// collapses them into one attempt: opened by its first span, ended by the handler's
// terminal span, final at the first terminal span that says n (the state transition);
// the later ones are absorbed. A final attempt is emitted once its task's name is known
// (from a task span) or after name_wait.

type attemptKey struct {
	task, step string
	n          int64
}

// origin is the resource and scope an attempt's spans came in, copied once per
// incoming ResourceSpans and shared by the attempts of that batch.
type origin struct {
	key      string
	resource pcommon.Resource
	scope    pcommon.InstrumentationScope
}

type instant struct {
	name    string
	t       time.Time
	attempt string // Tasker's attempt_number text
}

type attempt struct {
	key        attemptKey
	task       *taskState
	org        *origin
	start, end time.Time
	haveStart  bool // a tasker.step.queued span was seen
	created    time.Time
	finalAt    time.Time
	ended      bool // a terminal span was seen (the outcome is known)
	final      bool // the terminal span that says n was seen
	failed     bool
	stepName   string
	errMsg     string
	retryLimit int64
	hasRetry   bool
	execDur    float64
	hasExecDur bool
	// Tasker's task span (the parent of its step.execution spans).
	parentTrace pcommon.TraceID
	parentSpan  pcommon.SpanID
	attrs       pcommon.Map // Tasker's attributes of the terminal span (traces side only)
	instants    []instant
	elem        *list.Element
}

type stepState struct {
	open    *attempt
	closedN int64 // the last attempt emitted or given up on
}

type taskState struct {
	id       string
	name     string
	lastSeen time.Time
	counted  uint8 // outcomes counted: 1 completed, 2 failed
	waiting  int   // final attempts held for the name
	steps    map[string]*stepState
	elem     *list.Element
}

// table is the connector's state. Not safe for concurrent use (the connector locks).
// Its TTL (task_ttl) is not hashicorp/golang-lru/v2/expirable's: expiring a task emits
// or gives up on its attempts (release), on the clock of the events, and expirable (at
// v2.0.7) evicts on time.Now from a purge goroutine it never stops.
type table struct {
	cfg      StateConfig
	tasks    map[string]*taskState
	taskLRU  *list.List // *taskState, least recently seen first
	attempts *list.List // *attempt, oldest first
	ready    []*attempt // final attempts to emit, in order
	// counts since the last take()
	expired, evicted, duplicates int64
}

func newTable(cfg StateConfig) *table {
	return &table{cfg: cfg, tasks: map[string]*taskState{}, taskLRU: list.New(), attempts: list.New()}
}

func (t *table) task(id string, now time.Time) *taskState {
	ts := t.tasks[id]
	if ts == nil {
		for t.taskLRU.Len() >= t.cfg.MaxTasks {
			t.forgetTask(t.taskLRU.Front().Value.(*taskState))
		}
		ts = &taskState{id: id, steps: map[string]*stepState{}}
		ts.elem = t.taskLRU.PushBack(ts)
		t.tasks[id] = ts
	} else {
		t.taskLRU.MoveToBack(ts.elem)
	}
	ts.lastSeen = now
	return ts
}

// forgetTask drops a task; its held attempts are emitted when final, else given up on.
func (t *table) forgetTask(ts *taskState) {
	for _, st := range ts.steps {
		if a := st.open; a != nil {
			t.release(a, a.ended, false)
		}
	}
	t.taskLRU.Remove(ts.elem)
	delete(t.tasks, ts.id)
}

func (t *table) learnName(ts *taskState, name string) {
	if name == "" || name == "unknown_task" || ts.name == name {
		return
	}
	ts.name = name
	if ts.waiting == 0 {
		return
	}
	// Attempts that waited for the name go now, in order.
	for e := t.attempts.Front(); e != nil; {
		next := e.Next()
		if a := e.Value.(*attempt); a.task == ts && a.final {
			t.release(a, true, false)
		}
		e = next
	}
}

// release takes a out of the table: emitted (to ready) or given up on.
func (t *table) release(a *attempt, emit, evicted bool) {
	st := a.task.steps[a.key.step]
	if st != nil && st.open == a {
		st.open = nil
		if a.key.n > st.closedN {
			st.closedN = a.key.n
		}
	}
	t.attempts.Remove(a.elem)
	if a.final {
		a.task.waiting--
	}
	switch {
	case emit:
		t.ready = append(t.ready, a)
	case evicted:
		t.evicted++
	default:
		t.expired++
	}
}

func (t *table) pending() int { return t.attempts.Len() }

// step records one tasker.step.queued or tasker.step.execution span.
func (t *table) step(sp *taskerSpan, org *origin, now time.Time, keepAttrs bool) {
	ts := t.task(sp.taskID, now)
	st := ts.steps[sp.stepID]
	if st == nil {
		st = &stepState{}
		ts.steps[sp.stepID] = st
	}
	v := sp.attempt
	if !sp.hasAttempt {
		v = 0 // Tasker always sets it; without it, take the first attempt's numbering
		if st.open != nil {
			v = st.open.key.n - 1
		}
	}
	if sp.kind == kindStepQueued {
		n := v + 1
		if n <= st.closedN {
			t.duplicates++ // a late or resent instant of an attempt already emitted
			return
		}
		a := st.open
		if a != nil && a.final && a.key.n == n {
			t.duplicates++
			return
		}
		if a != nil && a.key.n != n {
			t.release(a, a.ended, false) // a newer attempt began: the old one is over
			a = nil
		}
		if a == nil {
			a = t.open(ts, st, attemptKey{sp.taskID, sp.stepID, n}, org, now)
		}
		a.addInstant(sp)
		return
	}
	// A terminal span: the handler's says n−1, the state machine's and executor's n.
	a := st.open
	final := false
	switch {
	case a != nil && v == a.key.n:
		final = true
	case a != nil && v == a.key.n-1:
	case st.closedN > 0 && v <= st.closedN:
		t.duplicates++
		return
	default:
		if a != nil {
			t.release(a, a.ended, false)
		}
		n, isFinal := v, true
		if v == 0 { // attempt_number 0 is the handler's span of attempt 1
			n, isFinal = 1, false
		}
		a = t.open(ts, st, attemptKey{sp.taskID, sp.stepID, n}, org, now)
		final = isFinal
	}
	if a.final {
		t.duplicates++
		return
	}
	a.addInstant(sp)
	a.ended, a.failed = true, sp.failed
	a.end = sp.end
	if !sp.parentID.IsEmpty() {
		a.parentTrace, a.parentSpan = sp.traceID, sp.parentID
	}
	if sp.errorMessage != "" {
		a.errMsg = sp.errorMessage
	}
	if sp.hasRetryLimit {
		a.retryLimit, a.hasRetry = sp.retryLimit, true
	}
	if sp.hasExecDuration {
		a.execDur, a.hasExecDur = sp.execDuration, true
	}
	if keepAttrs && (final || a.attrs == (pcommon.Map{})) {
		// the handler's (if no later one comes), replaced by the terminal span that says n
		if a.attrs == (pcommon.Map{}) {
			a.attrs = pcommon.NewMap()
		}
		sp.span.Attributes().CopyTo(a.attrs)
	}
	if final {
		a.final, a.finalAt = true, now
		ts.waiting++
		if ts.name != "" || t.cfg.NameWait == 0 {
			t.release(a, true, false)
		}
	}
}

func (t *table) open(ts *taskState, st *stepState, k attemptKey, org *origin, now time.Time) *attempt {
	for t.attempts.Len() >= t.cfg.MaxAttempts {
		old := t.attempts.Front().Value.(*attempt)
		t.release(old, old.ended, !old.ended)
	}
	a := &attempt{key: k, task: ts, org: org, created: now}
	a.elem = t.attempts.PushBack(a)
	st.open = a
	return a
}

func (a *attempt) addInstant(sp *taskerSpan) {
	if sp.stepName != "" && sp.stepName != "unknown_step" {
		a.stepName = sp.stepName
	}
	if sp.kind == kindStepQueued && (!a.haveStart || sp.start.Before(a.start)) {
		a.start, a.haveStart = sp.start, true
	}
	a.instants = append(a.instants, instant{name: sp.span.Name(), t: sp.start, attempt: sp.attemptText})
}

// taskOutcome records an ended tasker.task.execution span; false when that outcome of
// the task was counted already (a resent batch).
func (t *table) taskOutcome(ts *taskState, failed bool) bool {
	bit := uint8(1)
	if failed {
		bit = 2
	}
	if ts.counted&bit != 0 {
		t.duplicates++
		return false
	}
	ts.counted |= bit
	return true
}

// expire gives up on attempts past attempt_timeout, emits final ones past name_wait,
// and forgets tasks past task_ttl.
func (t *table) expire(now time.Time) {
	for e := t.attempts.Front(); e != nil; {
		next := e.Next()
		a := e.Value.(*attempt)
		switch {
		case a.final && now.Sub(a.finalAt) >= t.cfg.NameWait:
			t.release(a, true, false)
		case !a.final && now.Sub(a.created) >= t.cfg.AttemptTimeout:
			t.release(a, a.ended, false)
		}
		e = next
	}
	for e := t.taskLRU.Front(); e != nil; {
		next := e.Next()
		ts := e.Value.(*taskState)
		if now.Sub(ts.lastSeen) < t.cfg.TaskTTL {
			break
		}
		t.forgetTask(ts)
		e = next
	}
}

// flushAll releases every held attempt (at shutdown): emitted when its outcome is
// known, else given up on.
func (t *table) flushAll() {
	for e := t.attempts.Front(); e != nil; {
		next := e.Next()
		a := e.Value.(*attempt)
		t.release(a, a.ended, false)
		e = next
	}
}

// take returns the attempts ready to emit and the counts since the last call.
func (t *table) take() (ready []*attempt, expired, evicted, duplicates int64) {
	ready, expired, evicted, duplicates = t.ready, t.expired, t.evicted, t.duplicates
	t.ready, t.expired, t.evicted, t.duplicates = nil, 0, 0, 0
	return
}

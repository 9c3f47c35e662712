// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// spanKey identifies an open span: a task (step == "") or one step attempt, within a
// deployment.
type spanKey struct {
	dep, task, step string
	attempt         int64
}

func (k spanKey) stepOf() spanKey { return spanKey{dep: k.dep, task: k.task, step: k.step} }

func (k spanKey) taskOf() spanKey { return spanKey{dep: k.dep, task: k.task} }

// clone copies the key's strings, which may point into a request body or a log line,
// so an entry that outlives its input does not keep it alive.
func (k spanKey) clone() spanKey {
	var sb strings.Builder // one allocation for the three
	sb.Grow(len(k.dep) + len(k.task) + len(k.step))
	sb.WriteString(k.dep)
	sb.WriteString(k.task)
	sb.WriteString(k.step)
	all := sb.String()
	d, t := len(k.dep), len(k.dep)+len(k.task)
	k.dep, k.task, k.step = all[:d], all[d:t], all[t:]
	return k
}

// openSpan is an entry of the start table.
type openSpan struct {
	key       spanKey
	start     time.Time // earliest start event (zero if none seen)
	firstSeen time.Time // time of the first event seen for it
	// childStart/childEnd: the earliest start and latest end of the task's step spans
	// emitted so far, so the task span covers them.
	childStart, childEnd time.Time
	taskName             string
	stepName             string
	events               []spanEvent
	owned                int    // events[:owned] no longer point into their input (spanevent.go)
	carved               bool   // events are in the block of the call that added them (spanevent.go)
	borrowed             bool   // key and names point into the input of the call that opened it
	dropped              uint32 // span events over maxSpanEvents
	added                time.Time
	ln                   links[openSpan] // the table's order
}

func (s *openSpan) lru() *links[openSpan] { return &s.ln }

// stepState is what the receiver knows of a step's attempts (see attempts.go).
type stepState struct {
	key spanKey // step key (attempt 0)
	// cur is the latest attempt seen through a start or terminal event (0: none);
	// ended: it has ended, with outcome.
	cur     int64
	ended   bool
	outcome tasker.Outcome
	// announced is the attempt a log line's attempt_count/step_attempts announced,
	// announcedAt the time of the latest such line (the attempt's first line when it
	// runs; a step that is not pending announces again each time it is looked at).
	announced   int64
	announcedAt time.Time
	touched     time.Time
	ln          links[stepState] // the LRU order
}

func (st *stepState) lru() *links[stepState] { return &st.ln }

// startTable is the bounded table of open spans, oldest first, and of the steps'
// attempt states (bounded alike).
type startTable struct {
	maxOpen int
	maxAge  time.Duration
	m       map[spanKey]*openSpan
	order   lru[openSpan, *openSpan]
	steps   map[spanKey]*stepState
	sorder  lru[stepState, *stepState]
}

func newStartTable(maxOpen int, maxAge time.Duration) *startTable {
	return &startTable{maxOpen: maxOpen, maxAge: maxAge, m: map[spanKey]*openSpan{},
		steps: map[spanKey]*stepState{}}
}

// get is the entry of k. The newest entry (the order's tail, always in m) is compared
// first: the lines of a step attempt come together, and a compare costs less than the
// map's hash of the key's strings (BenchmarkBuildLines/all with GOGC=off GOMAXPROCS=1,
// with the same check in step: 1-2% less time, medians of 8 runs).
func (t *startTable) get(k spanKey) *openSpan {
	if s := t.order.tail; s != nil && s.key == k {
		return s
	}
	return t.m[k]
}

// open returns the entry for k, adding it if needed; evicted counts the entries it
// evicted to make room.
func (t *startTable) open(k spanKey, now time.Time) (s *openSpan, evicted int) {
	if s = t.get(k); s != nil {
		return s, 0
	}
	for t.order.n >= t.maxOpen {
		t.remove(t.order.head)
		evicted++
	}
	s = &openSpan{key: k, added: now, borrowed: true} // owned at the end of the call (spanevent.go)
	t.order.pushBack(s)
	t.m[k] = s
	return s, evicted
}

func (t *startTable) remove(s *openSpan) {
	if t.m[s.key] != s {
		return
	}
	delete(t.m, s.key)
	t.order.remove(s)
}

// step is the attempt state of a step (k.attempt must be 0), created if create is set.
func (t *startTable) step(k spanKey, now time.Time, create bool) *stepState {
	st := t.sorder.tail // the state touched last, mostly the one asked for (see get)
	if st == nil || st.key != k {
		st = t.steps[k]
	}
	if st != nil {
		st.touched = now
		if st != t.sorder.tail {
			t.sorder.remove(st)
			t.sorder.pushBack(st)
		}
		return st
	}
	if !create {
		return nil
	}
	for t.sorder.n >= t.maxOpen {
		old := t.sorder.head
		delete(t.steps, old.key)
		t.sorder.remove(old)
	}
	st = &stepState{key: k.clone(), touched: now}
	t.sorder.pushBack(st)
	t.steps[st.key] = st
	return st
}

// expire evicts open spans added, and step states untouched, before now - maxAge.
func (t *startTable) expire(now time.Time) (evicted int) {
	limit := now.Add(-t.maxAge)
	for s := t.order.head; s != nil && s.added.Before(limit); s = t.order.head {
		t.remove(s)
		evicted++
	}
	for st := t.sorder.head; st != nil && st.touched.Before(limit); st = t.sorder.head {
		delete(t.steps, st.key)
		t.sorder.remove(st)
	}
	return evicted
}

func (t *startTable) len() int { return len(t.m) }

// dedupeKey identifies one logical completion: a task's outcome, or a step attempt.
type dedupeKey struct {
	span    spanKey
	outcome uint8 // tasks only: a step attempt has one outcome
}

// dedupeWindow remembers terminal events for a window, bounded in entries.
//
// Not hashicorp/golang-lru/v2/expirable (checked at v2.0.7, which the module proxy
// serves): its clock is time.Now, while the window runs on the receiver's clock and is
// restored from the saved state with each entry's original time (state.go); and every
// expirable.LRU starts a purge goroutine it never stops (no Close), which the components'
// goleak tests would report at each Shutdown. The same holds for startTable.
type dedupeWindow struct {
	window time.Duration
	max    int
	m      map[dedupeKey]*dedupeEntry
	order  lru[dedupeEntry, *dedupeEntry] // oldest first
	// entries and keys: the entries and their keys' strings, many per allocation (they
	// leave in the order they came, so a block is freed soon after its last entry).
	entries slab[dedupeEntry]
	keys    strChunk
}

type dedupeEntry struct {
	key  dedupeKey
	seen time.Time
	ln   links[dedupeEntry]
}

func (e *dedupeEntry) lru() *links[dedupeEntry] { return &e.ln }

func newDedupeWindow(window time.Duration, maxEntries int) *dedupeWindow {
	return &dedupeWindow{window: window, max: maxEntries, m: map[dedupeKey]*dedupeEntry{}}
}

// seen reports whether k was seen within the window, and remembers it if not.
func (d *dedupeWindow) seen(k dedupeKey, now time.Time) bool {
	if d.window <= 0 {
		return false
	}
	limit := now.Add(-d.window)
	for e := d.order.head; e != nil && e.seen.Before(limit); e = d.order.head {
		delete(d.m, e.key)
		d.order.remove(e)
	}
	if _, ok := d.m[k]; ok {
		return true
	}
	for d.order.n >= d.max {
		e := d.order.head
		delete(d.m, e.key)
		d.order.remove(e)
	}
	k.span = d.keys.key(k.span) // the window outlives its input
	e := d.entries.get()
	*e = dedupeEntry{key: k, seen: now}
	d.order.pushBack(e)
	d.m[k] = e
	return false
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"time"
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

// startTable is the bounded table of open spans, oldest first, and of the steps'
// attempt states (bounded alike).
type startTable struct {
	maxOpen int
	maxAge  time.Duration
	m       map[spanKey]*openSpan
	order   lru[openSpan, *openSpan]
	stepTable
}

func newStartTable(maxOpen int, maxAge time.Duration) *startTable {
	return &startTable{maxOpen: maxOpen, maxAge: maxAge, m: map[spanKey]*openSpan{}, stepTable: newStepTable()}
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

// expire evicts open spans added, and step states untouched, before now - maxAge.
func (t *startTable) expire(now time.Time) (evicted int) {
	limit := now.Add(-t.maxAge)
	for s := t.order.head; s != nil && s.added.Before(limit); s = t.order.head {
		t.remove(s)
		evicted++
	}
	t.expireSteps(limit)
	return evicted
}

func (t *startTable) len() int { return len(t.m) }

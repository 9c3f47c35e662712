// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"container/list"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// spanKey identifies an open span: a task (step == "") or one step attempt.
type spanKey struct {
	task, step string
	attempt    int64
}

// maxSpanEvents bounds the span events kept per open span.
const maxSpanEvents = 128

type spanEvent struct {
	name  string
	time  time.Time
	attrs pcommon.Map
}

// openSpan is an entry of the start table.
type openSpan struct {
	key       spanKey
	start     time.Time // earliest start event (zero if none seen)
	firstSeen time.Time // time of the first event seen for it
	taskName  string
	stepName  string
	events    []spanEvent
	dropped   uint32 // span events over maxSpanEvents
	added     time.Time
	elem      *list.Element
}

// startTable is the bounded table of open spans, oldest first.
type startTable struct {
	maxOpen int
	maxAge  time.Duration
	m       map[spanKey]*openSpan
	order   *list.List
	// attempt is the latest attempt seen per (task, step), for step events that carry
	// no attempt number. An entry lives as long as an open span of that step.
	attempt map[spanKey]int64
}

func newStartTable(maxOpen int, maxAge time.Duration) *startTable {
	return &startTable{maxOpen: maxOpen, maxAge: maxAge, m: map[spanKey]*openSpan{}, order: list.New(), attempt: map[spanKey]int64{}}
}

func (t *startTable) get(k spanKey) *openSpan { return t.m[k] }

// open returns the entry for k, adding it if needed; evicted counts the entries it
// evicted to make room.
func (t *startTable) open(k spanKey, now time.Time) (s *openSpan, evicted int) {
	if s = t.m[k]; s != nil {
		return s, 0
	}
	for t.order.Len() >= t.maxOpen {
		t.remove(t.order.Front().Value.(*openSpan))
		evicted++
	}
	// The key's strings may point into a request body or a log line: copy them, so an
	// entry that stays open for max_age does not keep its whole input alive.
	k.task, k.step = strings.Clone(k.task), strings.Clone(k.step)
	s = &openSpan{key: k, added: now}
	s.elem = t.order.PushBack(s)
	t.m[k] = s
	if k.step != "" {
		sk := spanKey{task: k.task, step: k.step}
		if k.attempt >= t.attempt[sk] {
			t.attempt[sk] = k.attempt
		}
	}
	return s, evicted
}

func (t *startTable) remove(s *openSpan) {
	if t.m[s.key] != s {
		return
	}
	delete(t.m, s.key)
	t.order.Remove(s.elem)
	if s.key.step != "" {
		sk := spanKey{task: s.key.task, step: s.key.step}
		if t.attempt[sk] == s.key.attempt {
			delete(t.attempt, sk)
		}
	}
}

// currentAttempt is the latest attempt of an open span of the step, 0 if none.
func (t *startTable) currentAttempt(task, step string) int64 {
	return t.attempt[spanKey{task: task, step: step}]
}

// expire evicts entries added before now - maxAge.
func (t *startTable) expire(now time.Time) (evicted int) {
	limit := now.Add(-t.maxAge)
	for e := t.order.Front(); e != nil; e = t.order.Front() {
		s := e.Value.(*openSpan)
		if !s.added.Before(limit) {
			break
		}
		t.remove(s)
		evicted++
	}
	return evicted
}

func (t *startTable) len() int { return len(t.m) }

// dedupeKey identifies one logical completion.
type dedupeKey struct {
	entity  uint8
	task    string
	step    string
	attempt int64
	outcome uint8
}

// dedupeWindow remembers terminal events for a window, bounded in entries.
type dedupeWindow struct {
	window time.Duration
	max    int
	m      map[dedupeKey]*list.Element
	order  *list.List // of dedupeEntry, oldest first
}

type dedupeEntry struct {
	key  dedupeKey
	seen time.Time
}

func newDedupeWindow(window time.Duration, maxEntries int) *dedupeWindow {
	return &dedupeWindow{window: window, max: maxEntries, m: map[dedupeKey]*list.Element{}, order: list.New()}
}

// seen reports whether k was seen within the window, and remembers it if not.
func (d *dedupeWindow) seen(k dedupeKey, now time.Time) bool {
	if d.window <= 0 {
		return false
	}
	limit := now.Add(-d.window)
	for e := d.order.Front(); e != nil; e = d.order.Front() {
		en := e.Value.(dedupeEntry)
		if !en.seen.Before(limit) {
			break
		}
		delete(d.m, en.key)
		d.order.Remove(e)
	}
	if _, ok := d.m[k]; ok {
		return true
	}
	for d.order.Len() >= d.max {
		e := d.order.Front()
		delete(d.m, e.Value.(dedupeEntry).key)
		d.order.Remove(e)
	}
	// Copied for the same reason as in startTable.open: the window outlives its input.
	k.task, k.step = strings.Clone(k.task), strings.Clone(k.step)
	d.m[k] = d.order.PushBack(dedupeEntry{key: k, seen: now})
	return false
}

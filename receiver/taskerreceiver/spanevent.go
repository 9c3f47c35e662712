// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// Span events. An event that ends nothing becomes a span event of the span it belongs
// to, which mostly ends in the same call (a task's lines come together). So a span
// event is kept as plain fields that point into the event (its strings, payload and
// backtrace, which the parser never reuses), and becomes pdata only when its span is
// emitted. The span events of an entry that stays open past its call are copied at the
// end of the call (openSpan.own), so that the start table does not keep a request body
// or log line alive; so are those of an entry that leaves the call in other hands (a
// held thin task end, an entry an undo reopens).

// maxSpanEvents bounds the span events kept per open span.
const maxSpanEvents = 128

// spanEvent is one span event, as plain fields (see above).
type spanEvent struct {
	name    string
	ts      pcommon.Timestamp // the time (224 bytes an event, not 248 as with time.Time)
	attempt int64
	// stepID, stepName, then from_state, to_state, message, exception.type and .message
	strs  [7]string
	stack []string // joined into exception.stacktrace
	// fields is the payload while the event is the input's, attrs once it is owned.
	fields []tasker.Field
	attrs  []ownedAttr
	step   bool // a step's event: tasker.step.id, .name and tasker.attempt
	owned  bool
}

// ownedAttr is a payload attribute of an owned span event, resolved as putPayload
// would put it.
type ownedAttr struct {
	key  string
	kind tasker.Kind
	s    string
	i    int64
	f    float64
}

// spanEventAttrNames are the names of spanEvent.strs[2:].
var spanEventAttrNames = [...]string{"tasker.from_state", "tasker.to_state", "tasker.message", "exception.type", "exception.message"}

// newSpanEvent is an event as a span event of attempt (0: of its task).
func newSpanEvent(ev *tasker.Event, t time.Time, attempt int64) spanEvent {
	return spanEvent{
		name: ev.Name, ts: pcommon.NewTimestampFromTime(t), attempt: attempt, step: ev.StepID != "",
		strs:   [7]string{ev.StepID, ev.StepName, ev.FromState, ev.ToState, ev.Message, ev.ErrorClass, ev.ErrorMessage},
		stack:  ev.Backtrace,
		fields: ev.Payload,
	}
}

// open is the table's entry for k, opened if needed (see startTable.open); a new entry
// is owned at the end of the call. Called with b.mu held.
func (b *builder) open(out *batch, k spanKey, now time.Time) (*openSpan, int) {
	s, evicted := b.table.open(k, now)
	if s.borrowed && len(s.events) == 0 {
		out.touched = append(out.touched, s)
	}
	return s, evicted
}

// keep is v to be kept in s: v itself while s points into its call's input (it is
// copied with s's key), else a copy.
func (b *builder) keep(s *openSpan, v string) string {
	if s.borrowed {
		return v
	}
	return strings.Clone(v)
}

// ownEntry makes s point into its call's input no more: its key and names (copied in
// one allocation, and the table re-keyed) and its span events. Called with b.mu held.
func (b *builder) ownEntry(s *openSpan) {
	if s == nil {
		return
	}
	if s.borrowed {
		in := b.table.get(s.key) == s
		if in {
			delete(b.table.m, s.key)
		}
		var c arena
		for _, v := range [...]string{s.key.dep, s.key.task, s.key.step, s.taskName, s.stepName} {
			c.want(v)
		}
		c.grow()
		s.key.dep, s.key.task, s.key.step = c.clone(s.key.dep), c.clone(s.key.task), c.clone(s.key.step)
		s.taskName, s.stepName = c.clone(s.taskName), c.clone(s.stepName)
		s.borrowed = false
		if in {
			b.table.m[s.key] = s
		}
	}
	b.ownEvents(s)
}

// own copies the strings of e (in one allocation) and resolves its payload, so that it
// no longer points into its input. Called with b.mu held.
func (b *builder) own(e *spanEvent) {
	if e.owned {
		return
	}
	var c arena
	n := want(&c, e)
	c.grow()
	b.ownIn(e, &c, make([]ownedAttr, 0, n))
}

// want adds the strings of e to c and returns the number of its payload attributes.
func want(c *arena, e *spanEvent) (attrs int) {
	c.want(e.name)
	for _, s := range e.strs {
		c.want(s)
	}
	for _, s := range e.stack {
		c.want(s)
	}
	for i := range e.fields {
		f := &e.fields[i]
		if resourcePayloadKey(f.Key) || f.Value.Kind() == tasker.KindNull {
			continue
		}
		attrs++
		c.want(f.Value.Str())
		c.want(f.Value.Raw())
	}
	return attrs
}

// ownIn is own with the strings copied into c (grown by want) and the payload
// attributes appended to attrs, which has room for them; it returns the rest of attrs.
func (b *builder) ownIn(e *spanEvent, c *arena, attrs []ownedAttr) []ownedAttr {
	e.name = c.clone(e.name)
	for i := range e.strs {
		e.strs[i] = c.clone(e.strs[i])
	}
	if len(e.stack) > 0 {
		stack := make([]string, len(e.stack))
		for i, s := range e.stack {
			stack[i] = c.clone(s)
		}
		e.stack = stack
	}
	k := len(attrs)
	for i := range e.fields {
		f := &e.fields[i]
		if resourcePayloadKey(f.Key) {
			continue
		}
		a := ownedAttr{key: b.payloadKey(f.Key), kind: f.Value.Kind()}
		switch a.kind {
		case tasker.KindString:
			a.s = c.clone(f.Value.Str())
		case tasker.KindRaw:
			a.s = c.clone(f.Value.Raw())
		case tasker.KindInt:
			a.i = f.Value.Int()
		case tasker.KindFloat:
			a.f = f.Value.Float()
		case tasker.KindBool:
			if f.Value.Bool() {
				a.i = 1
			}
		default:
			continue
		}
		attrs = append(attrs, a)
	}
	if len(attrs) > k {
		e.attrs = attrs[k:len(attrs):len(attrs)]
	}
	e.fields, e.owned = nil, true
	return attrs[len(attrs):]
}

// ownEvents copies the span events of s added since it was last owned (see own above),
// all of them into one arena and one attribute slice, and moves them out of their
// call's block (eventSlots).
func (b *builder) ownEvents(s *openSpan) {
	if s == nil {
		return
	}
	if s.carved {
		s.events, s.carved = append(make([]spanEvent, 0, len(s.events)), s.events...), false
	}
	var c arena
	n := 0
	for i := s.owned; i < len(s.events); i++ {
		if !s.events[i].owned {
			n += want(&c, &s.events[i])
		}
	}
	c.grow()
	var attrs []ownedAttr
	if n > 0 {
		attrs = make([]ownedAttr, 0, n)
	}
	for i := s.owned; i < len(s.events); i++ {
		if e := &s.events[i]; !e.owned {
			attrs = b.ownIn(e, &c, attrs)
		}
	}
	s.owned = len(s.events)
}

// eventSlots is an empty span event slice for an entry's first events, with room for
// two (a step attempt's start and one more line), carved from a block that the call's
// entries share instead of an allocation each (BenchmarkBuildLines: 0.4 allocations and
// 200 B per line fewer with all signals). Called with b.mu held; the block is dropped at
// the end of the call (finish), and the entries that stay open move out (ownEvents).
func (b *builder) eventSlots() []spanEvent {
	if len(b.slots) < 2 {
		b.slots = make([]spanEvent, 16)
	}
	s := b.slots[:0:2]
	b.slots = b.slots[2:]
	return s
}

// appendSpanEvent appends e to span.
func (b *builder) appendSpanEvent(span ptrace.Span, e *spanEvent) {
	se := span.Events().AppendEmpty()
	se.SetName(e.name)
	se.SetTimestamp(e.ts)
	stack := ""
	if len(e.stack) > 0 {
		stack = strings.Join(e.stack, "\n")
	}
	n := 0
	if e.step {
		n += 2
		if e.strs[1] != "" {
			n++
		}
	}
	for _, s := range e.strs[2:] {
		if s != "" {
			n++
		}
	}
	if stack != "" {
		n++
	}
	if e.owned {
		n += len(e.attrs)
	} else {
		n += fieldsAttrCount(e.fields)
	}
	m := se.Attributes()
	m.EnsureCapacity(n)
	if e.step {
		m.PutStr("tasker.step.id", e.strs[0])
		if e.strs[1] != "" {
			m.PutStr("tasker.step.name", e.strs[1])
		}
		m.PutInt("tasker.attempt", e.attempt)
	}
	for i, k := range spanEventAttrNames {
		if s := e.strs[2+i]; s != "" {
			m.PutStr(k, s)
		}
	}
	if stack != "" {
		m.PutStr("exception.stacktrace", stack)
	}
	if !e.owned {
		b.putFields(m, e.fields)
		return
	}
	for i := range e.attrs {
		a := &e.attrs[i]
		switch a.kind {
		case tasker.KindString, tasker.KindRaw:
			m.PutStr(a.key, a.s)
		case tasker.KindInt:
			m.PutInt(a.key, a.i)
		case tasker.KindFloat:
			m.PutDouble(a.key, a.f)
		case tasker.KindBool:
			m.PutBool(a.key, a.i == 1)
		}
	}
}

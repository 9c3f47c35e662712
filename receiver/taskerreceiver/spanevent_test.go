// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// spanEventAttrs are the attributes e has once emitted.
func spanEventAttrs(b *builder, e *spanEvent) pcommon.Map {
	span := ptrace.NewSpan()
	b.appendSpanEvent(span, e)
	return span.Events().At(0).Attributes()
}

// TestSpanEventOwnedSameAttributes: a span event copied out of its input (an open span
// past its call) emits exactly what it emits while it points into the input, and its
// strings no longer share the input's memory.
func TestSpanEventOwnedSameAttributes(t *testing.T) {
	b := testBuilder(t, nil)
	n, withPayload, withStack := 0, 0, 0
	for _, name := range []string{"events/backoff_retry.ndjson", "events/custom.ndjson", "events/missing_starts.ndjson"} {
		for _, line := range bytes.Split(readFixture(t, name), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			ev, err := tasker.ParseEvent(line)
			require.NoError(t, err)
			for _, attempt := range []int64{0, 2} {
				in := newSpanEvent(&ev, time.Unix(100, 5), attempt)
				owned := in
				b.own(&owned)
				assert.True(t, owned.owned)
				assert.Equal(t, spanEventAttrs(b, &in).AsRaw(), spanEventAttrs(b, &owned).AsRaw(), "%s", line)
				span := ptrace.NewSpan()
				b.appendSpanEvent(span, &owned)
				assert.Equal(t, ev.Name, span.Events().At(0).Name())
				assert.Equal(t, time.Unix(100, 5).UnixNano(), span.Events().At(0).Timestamp().AsTime().UnixNano())
				if ev.Name != "" {
					assert.NotEqual(t, addr(ev.Name), addr(owned.name))
				}
				for i, s := range in.strs {
					if s != "" {
						assert.NotEqual(t, addr(s), addr(owned.strs[i]))
					}
				}
				for i := range owned.attrs {
					if owned.attrs[i].s != "" {
						for j := range ev.Payload {
							assert.NotEqual(t, addr(ev.Payload[j].Value.Text()), addr(owned.attrs[i].s))
						}
					}
				}
			}
			n++
			if payloadAttrCount(&ev) > 0 {
				withPayload++
			}
			if len(ev.Backtrace) > 0 {
				withStack++
			}
		}
	}
	require.Positive(t, n)
	require.Positive(t, withPayload, "the fixtures have payload attributes")
	t.Logf("%d events, %d with payload attributes, %d with a backtrace", n, withPayload, withStack)
}

// TestOpenSpansOwnedAfterCall: the entries a call leaves open keep copies of their key,
// names and span events, not the strings of the call's input (which the call's log
// records share).
func TestOpenSpansOwnedAfterCall(t *testing.T) {
	tokens := splitEntries(t, string(readFixture(t, "tasker/failure_retry.log")))
	b := testBuilder(t, nil)
	first := b.buildLines(tokens[:8], logAttrs)
	input := map[uintptr]bool{} // the string data of the records' attributes
	lrs := first.logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		for _, v := range lrs.At(i).Attributes().All() {
			if v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
				input[addr(v.Str())] = true
			}
		}
	}
	require.NotEmpty(t, input)
	require.Positive(t, b.table.len())
	events := 0
	for k, s := range b.table.m {
		assert.False(t, s.borrowed)
		assert.Equal(t, len(s.events), s.owned)
		for _, v := range []string{k.dep, k.task, k.step, s.key.task, s.taskName, s.stepName} {
			if v != "" {
				assert.False(t, input[addr(v)], "%q points into the input", v)
			}
		}
		for i := range s.events {
			events++
			assert.True(t, s.events[i].owned)
			for _, v := range s.events[i].strs {
				if v != "" {
					assert.False(t, input[addr(v)], "%q points into the input", v)
				}
			}
		}
	}
	require.Positive(t, events)
}

func addr(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }

// TestUndoKeepsSpanEvents: a span whose batch was refused and undone is rebuilt by the
// retry with the same span events, attributes included (they are copied when its entry
// is reopened, and not moved into the refused batch).
func TestUndoKeepsSpanEvents(t *testing.T) {
	parse := func(lines ...string) []tasker.Event {
		var evs []tasker.Event
		for _, l := range lines {
			ev, err := tasker.ParseEvent([]byte(l))
			require.NoError(t, err)
			evs = append(evs, ev)
		}
		return evs
	}
	b := testBuilder(t, nil)
	start := `{"event":"step.execution_requested","task_id":1,"step_id":2,"step_name":"a","attempt_number":0,"timestamp":"2026-01-10T09:59:58Z","queue":"q1","priority":3}`
	before := `{"event":"step.before_handle","task_id":1,"step_id":2,"step_name":"a","attempt_number":0,"timestamp":"2026-01-10T09:59:59Z","handler_class":"H"}`
	done := `{"event":"step.completed","task_id":1,"step_id":2,"step_name":"a","attempt_number":1,"completed_at":"2026-01-10T10:00:00Z","timestamp":"2026-01-10T10:00:00Z"}`
	b.build(parse(start, before), "", true) // a request that was written
	events := func(td ptrace.Traces) []any {
		var out []any
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					for _, e := range sp.Events().All() {
						out = append(out, e.Name(), e.Attributes().AsRaw())
					}
				}
			}
		}
		return out
	}
	refused := b.build(parse(done), "", true)
	first := events(refused.traces)
	require.Len(t, first, 4, "two span events")
	_, ok := first[1].(map[string]any)["tasker.payload.queue"]
	require.True(t, ok, "%v", first)
	b.undo(refused)
	retry := b.build(parse(done), "", true)
	assert.Equal(t, first, events(retry.traces))
}

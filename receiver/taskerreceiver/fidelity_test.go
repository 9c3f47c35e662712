// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// The publishing sequences of testdata/tasker, written from Tasker's source
// (tasker-systems/tasker at ed368972) as a host subscriber forwards them
// ({event: name}.merge(payload).to_json, one per line):
//
//   - attempt_success.ndjson: the seven publications of one successful attempt:
//     StepExecutor#publish_step_started (orchestration/step_executor.rb:329,412-415),
//     StepStateMachine after_transition → pending→in_progress (state_machine/step_state_machine.rb:57-76,
//     364-386; from_state is always null), the handler's publish_step_started and
//     publish_step_before_handle (step_handler/base.rb:31,34), the handler's
//     publish_step_completed (base.rb:41, attempts still 0, processed_at null), the state
//     machine's in_progress→complete inside complete_step_execution's transaction
//     (step_executor.rb:447-470, attempts 1), the executor's copy after the commit with
//     execution_duration: processed_at - updated_at, negative (step_executor.rb:481-485).
//     Payload keys and their order: events/event_payload_builder.rb:273-310 (timestamp
//     whole-second iso8601, moved first by events/publisher.rb:43-51).
//   - failure_retry.ndjson: attempt 1 fails: the handler's step.failed with error_message,
//     error_class and the backtrace array (concerns/event_publisher.rb:89-97),
//     exception_class always StandardError (event_payload_builder.rb:406-456); the
//     state machine's with the backtrace as one joined string from step.results
//     (step_executor.rb:498-504) and no error_class; the executor's (step_executor.rb:550-556).
//     The step is then reset outside the engine (error→pending: step.initialize_requested,
//     tasker-reference §2) and attempt 2 succeeds, with attempt_number 1 and 2.
//   - task_end_twice.ndjson: a task from creation (task_initializer.rb:71-74,133-137) through
//     a TaskRunnerJob run (task_runner_job.rb:47-51, attempt = executions + 1;
//     task_initializer.rb:95,111), the workflow events published twice
//     (viable_step_discovery.rb:31-37, workflow_coordinator.rb:174-175,266,285,
//     task_finalizer.rb:153-165), one step attempt, and task.completed twice: the state
//     machine's thin payload (task_state_machine.rb:77-96) then the finalizer's with the
//     embedded task record and completion_percentage as a string (task_finalizer.rb:63-69,102-108).
//     A second task fails: task.failed twice, only the finalizer's with
//     error_message steps_in_error_state (task_finalizer.rb:114-124).
var taskerSequences = []string{"attempt_success", "failure_retry", "task_end_twice"}

// TestTaskerSequencesHTTP: every sequence, as NDJSON and as a JSON array, gives the
// same signals, all its events accepted.
func TestTaskerSequencesHTTP(t *testing.T) {
	for _, name := range taskerSequences {
		ndjson := readFixture(t, "tasker/"+name+".ndjson")
		for format, body := range map[string][]byte{"ndjson": ndjson, "array": asArray(ndjson)} {
			t.Run(name+"/"+format, func(t *testing.T) {
				b := testBuilder(t, nil)
				checkGolden(t, "tasker_"+name, b.build(parseBody(t, body), "", true))
			})
		}
	}
}

// spans returns the spans of a batch by name.
func spansByName(tr ptrace.Traces) map[string][]ptrace.Span {
	m := map[string][]ptrace.Span{}
	for i := 0; i < tr.ResourceSpans().Len(); i++ {
		ss := tr.ResourceSpans().At(i).ScopeSpans()
		for j := 0; j < ss.Len(); j++ {
			for k := 0; k < ss.At(j).Spans().Len(); k++ {
				s := ss.At(j).Spans().At(k)
				m[s.Name()] = append(m[s.Name()], s)
			}
		}
	}
	return m
}

// sumOf is the total of a sum metric (all points), and histogram counts by outcome.
func sumOf(md pmetric.Metrics, name string) int64 {
	var n int64
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != name {
					continue
				}
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for p := 0; p < m.Sum().DataPoints().Len(); p++ {
						n += m.Sum().DataPoints().At(p).IntValue()
					}
				case pmetric.MetricTypeHistogram:
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						n += int64(m.Histogram().DataPoints().At(p).Count())
					}
				}
			}
		}
	}
	return n
}

func strAttr(m pcommon.Map, k string) string {
	v, _ := m.Get(k)
	return v.AsString()
}

func TestOneSpanPerAttempt(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.build(parseFile(t, "../tasker/attempt_success.ndjson"), "", true)
	spans := spansByName(out.traces)["validate_order"]
	require.Len(t, spans, 1, "seven publications, one attempt")
	s := spans[0]
	v, _ := s.Attributes().Get("tasker.attempt")
	assert.Equal(t, int64(1), v.Int())
	assert.Equal(t, "2026-01-10T10:00:00Z", s.StartTimestamp().AsTime().Format(time.RFC3339), "first start event")
	assert.Equal(t, "2026-01-10T10:00:01Z", s.EndTimestamp().AsTime().Format(time.RFC3339), "first terminal copy")
	assert.Equal(t, int64(1), sumOf(out.metrics, "tasker.step.outcomes"))
	assert.Equal(t, int64(1), sumOf(out.metrics, "tasker.step.duration"))
	assert.Equal(t, int64(0), sumOf(out.metrics, "tasker.step.retries"))
	assert.Equal(t, int64(2), out.stats.duplicates)
}

func TestFailureThenRetry(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.build(parseFile(t, "../tasker/failure_retry.ndjson"), "", true)
	spans := spansByName(out.traces)["charge_card"]
	require.Len(t, spans, 2, "two attempts, one span each")
	first, second := spans[0], spans[1]
	assert.NotEqual(t, first.SpanID(), second.SpanID())
	assert.Equal(t, ptrace.StatusCodeError, first.Status().Code())
	assert.Equal(t, "card declined", first.Status().Message())
	ex := eventNamed(t, first, "exception").Attributes()
	assert.Equal(t, "Payments::CardDeclined", strAttr(ex, "exception.type"), "error_class, not exception_class")
	assert.Contains(t, strAttr(ex, "exception.stacktrace"), "charge_card_handler.rb:14")
	assert.Equal(t, ptrace.StatusCodeOk, second.Status().Code())
	require.Equal(t, 1, second.Links().Len())
	assert.Equal(t, first.SpanID(), second.Links().At(0).SpanID(), "the retry links to the failed attempt")
	assert.Equal(t, int64(1), sumOf(out.metrics, "tasker.step.retries"))
	assert.Equal(t, int64(2), sumOf(out.metrics, "tasker.step.outcomes"))
}

// TestCopiesInAnyOrder: the copies of one attempt give one span and one count in any
// order, split over several calls, with or without their start events.
func TestCopiesInAnyOrder(t *testing.T) {
	events := parseFile(t, "../tasker/failure_retry.ndjson")
	attempt1 := events[:7]
	for _, order := range [][]int{{6, 5, 4, 3, 2, 1, 0}, {4, 6, 5}, {5, 6, 4}, {6, 4, 0, 5}} {
		b := testBuilder(t, nil)
		var spans, outcomes int64
		for _, i := range order { // one call per event: nothing held between calls
			out := b.build(parseFile(t, "../tasker/failure_retry.ndjson")[i:i+1], "", true)
			spans += int64(out.traces.SpanCount())
			outcomes += sumOf(out.metrics, "tasker.step.outcomes")
		}
		assert.Equal(t, int64(1), spans, "order %v", order)
		assert.Equal(t, int64(1), outcomes, "order %v", order)
		k := spanKey{task: attempt1[0].TaskID, step: attempt1[0].StepID}
		assert.Equal(t, int64(1), b.table.step(k, testNow, false).cur, "order %v", order)
	}
}

func TestTaskEndPublishedTwice(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.build(parseFile(t, "../tasker/task_end_twice.ndjson"), "", true)
	byName := spansByName(out.traces)
	require.Len(t, byName["order_fulfillment"], 1)
	task := byName["order_fulfillment"][0]
	v, _ := task.Attributes().Get("tasker.task.total_steps")
	assert.Equal(t, int64(1), v.Int(), "the finalizer's copy has the counts")
	v, _ = task.Attributes().Get("tasker.task.completion_percentage")
	assert.InDelta(t, 100.0, v.Double(), 0, "BigDecimal as a string")
	assert.Equal(t, "2026-01-10T09:59:58Z", task.StartTimestamp().AsTime().Format(time.RFC3339), "first event of the task")
	step := byName["ship_order"][0]
	assert.False(t, step.StartTimestamp().AsTime().Before(task.StartTimestamp().AsTime()))
	assert.False(t, step.EndTimestamp().AsTime().After(task.EndTimestamp().AsTime()))
	require.Len(t, byName["refund"], 1)
	failed := byName["refund"][0]
	assert.Equal(t, ptrace.StatusCodeError, failed.Status().Code())
	assert.Equal(t, "steps_in_error_state", failed.Status().Message(), "from the copy that has it")
	assert.Equal(t, int64(2), sumOf(out.metrics, "tasker.task.outcomes"))
}

func eventNamed(t *testing.T, s ptrace.Span, name string) ptrace.SpanEvent {
	t.Helper()
	for i := 0; i < s.Events().Len(); i++ {
		if s.Events().At(i).Name() == name {
			return s.Events().At(i)
		}
	}
	require.Failf(t, "no span event", "%s in span %s", name, s.Name())
	return ptrace.NewSpanEvent()
}

// TestTaskEndAcrossRequests: a forwarder that posts every event on its own: the
// state machine's thin task end waits for the finalizer's copy, so the task span still
// has the counts and the error message; a thin end whose copy never comes is emitted
// by the first call after spans.task_end_wait.
func TestTaskEndAcrossRequests(t *testing.T) {
	b := testBuilder(t, nil)
	var spans []ptrace.Span
	var outcomes int64
	for _, ev := range parseFile(t, "../tasker/task_end_twice.ndjson") {
		out := b.build([]tasker.Event{ev}, "", true)
		for _, ss := range spansByName(out.traces) {
			spans = append(spans, ss...)
		}
		outcomes += sumOf(out.metrics, "tasker.task.outcomes")
	}
	assert.Equal(t, int64(2), outcomes)
	byName := map[string]ptrace.Span{}
	for _, s := range spans {
		byName[s.Name()] = s
	}
	require.Len(t, byName, 4)
	v, ok := byName["order_fulfillment"].Attributes().Get("tasker.task.total_steps")
	require.True(t, ok, "the finalizer's counts")
	assert.Equal(t, int64(1), v.Int())
	assert.Equal(t, "steps_in_error_state", byName["refund"].Status().Message())
	assert.Equal(t, "2026-01-10T10:00:02.31Z", byName["refund"].EndTimestamp().AsTime().Format(time.RFC3339Nano), "the state machine's finer time")

	thin, err := tasker.ParseEvent([]byte(`{"event":"task.completed","timestamp":"2026-01-10T10:00:02.204Z","task_id":46,"task_name":"t","from_state":null,"to_state":"complete"}`))
	require.NoError(t, err)
	b = testBuilder(t, nil)
	assert.Equal(t, 0, b.build([]tasker.Event{thin}, "", true).traces.SpanCount(), "waits for the finalizer's copy")
	b.nowFunc = func() time.Time { return testNow.Add(DefaultTaskEndWait) }
	out := b.build(nil, "", true)
	require.Equal(t, 1, out.traces.SpanCount(), "emitted once the wait is over")
	assert.Equal(t, int64(1), sumOf(out.metrics, "tasker.task.outcomes"))
	late, _ := tasker.ParseEvent([]byte(`{"event":"task.completed","timestamp":"2026-01-10T10:00:02Z","task_id":46,"task_name":"t","event_type":"completed","total_steps":1}`))
	assert.Equal(t, 0, b.build([]tasker.Event{late}, "", true).traces.SpanCount(), "a copy after that is a duplicate")

	off := testBuilder(t, func(c *Config) { c.Spans.TaskEndWait = 0 })
	assert.Equal(t, 1, off.build([]tasker.Event{thin}, "", true).traces.SpanCount(), "task_end_wait 0: the first copy ends the task")
}

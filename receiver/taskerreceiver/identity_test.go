// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// TestHTTPAcceptsWhatTaskerPublishes posts every sequence to a real server: every
// event is accepted (negative execution_duration, string completion_percentage, the
// embedded task record, both backtrace shapes, null from_state).
func TestHTTPAcceptsWhatTaskerPublishes(t *testing.T) {
	url, s := startHTTPReceiver(t, nil, nil)
	total, spans := 0, 0
	for _, name := range taskerSequences {
		body := readFixture(t, "tasker/"+name+".ndjson")
		n := strings.Count(strings.TrimSpace(string(body)), "\n") + 1
		code, _, resp := post(t, url+"/v1/events", "application/x-ndjson", body, nil)
		require.Equal(t, http.StatusOK, code, "%v", resp)
		assert.EqualValues(t, n, resp["accepted"], name)
		assert.EqualValues(t, 0, resp["rejected"], name)
		total += n
	}
	for _, tr := range s.traces.AllTraces() {
		spans += tr.SpanCount()
	}
	assert.Equal(t, 1+2+4, spans, "one span per step attempt and per task end")
	assert.Equal(t, 7+15+31, total)
}

// TestTimestampsOutsideNanoseconds: a time an int64 of nanoseconds cannot hold is
// rejected per item over HTTP and flagged on a log line, never wrapped.
func TestTimestampsOutsideNanoseconds(t *testing.T) {
	url, s := startHTTPReceiver(t, nil, nil)
	body := `[{"event":"task.completed","task_id":1,"timestamp":"2026-01-10T10:00:00Z"},` +
		`{"event":"task.completed","task_id":2,"timestamp":"2263-01-01T00:00:00Z"},` +
		`{"event":"task.completed","task_id":3,"timestamp":"1677-09-20T23:59:59Z"}]`
	code, _, resp := post(t, url+"/v1/events", "application/json", []byte(body), nil)
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, resp["accepted"])
	errs := resp["errors"].([]any)
	require.Len(t, errs, 2)
	for i, e := range errs {
		m := e.(map[string]any)
		assert.EqualValues(t, i+1, m["index"])
		assert.Equal(t, "timestamp", m["field"])
		assert.Contains(t, m["message"], "outside the nanosecond timestamps")
	}
	assert.Equal(t, 1, s.logs.LogRecordCount())

	b := testBuilder(t, nil)
	out := b.buildLines([][]byte{[]byte(`I, [2026-01-10T10:00:00.000000 #1]  INFO -- : {"timestamp":"2300-01-01T00:00:00.000Z","tasker_version":"0.1.0","entity_type":"task","entity_id":1,"event_type":"completed"}`)}, nil)
	require.Equal(t, 1, out.logs.LogRecordCount())
	lr := out.logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	perr, ok := lr.Attributes().Get("tasker.parse_error")
	require.True(t, ok)
	assert.Contains(t, perr.Str(), "outside the nanosecond timestamps")
	assert.Equal(t, "2026-01-10T10:00:00Z", lr.Timestamp().AsTime().Format(time.RFC3339), "the prefix's time")
	assert.Equal(t, int64(1), out.rejected)
}

func traceIDs(tr ptrace.Traces) map[pcommon.TraceID]bool {
	ids := map[pcommon.TraceID]bool{}
	for _, s := range spansByName(tr) {
		for _, sp := range s {
			ids[sp.TraceID()] = true
		}
	}
	return ids
}

// TestDeployments: two deployments with the same task ids in one log, or behind one
// forwarder, stay apart: their traces, spans and completions differ.
func TestDeployments(t *testing.T) {
	text := string(readFixture(t, "tasker/attempt_success.log"))
	staging := strings.ReplaceAll(text, `"environment":"production"`, `"environment":"staging"`)
	// Interleaved line by line: identity never relies on adjacency.
	a, c := splitEntries(t, text), splitEntries(t, staging)
	var mixed [][]byte
	for i := range a {
		mixed = append(mixed, a[i], c[i])
	}
	b := testBuilder(t, nil)
	out := b.buildLines(mixed, nil)
	spans := spansByName(out.traces)["validate_order"]
	require.Len(t, spans, 2, "one attempt per deployment, not a duplicate")
	assert.NotEqual(t, spans[0].TraceID(), spans[1].TraceID())
	assert.NotEqual(t, spans[0].SpanID(), spans[1].SpanID())
	assert.Equal(t, int64(2), out.stats.duplicates, "each deployment's second Step completed is its own duplicate")

	// HTTP: the forwarder's header names the deployment of events that carry none.
	events := parseFile(t, "../tasker/attempt_success.ndjson")
	b = testBuilder(t, nil)
	prod := b.build(events, "production", true)
	stag := b.build(parseFile(t, "../tasker/attempt_success.ndjson"), "staging", true)
	require.Equal(t, 1, prod.traces.SpanCount())
	require.Equal(t, 1, stag.traces.SpanCount(), "not a duplicate of production's attempt")
	for id := range traceIDs(prod.traces) {
		assert.False(t, traceIDs(stag.traces)[id])
	}
	env, _ := stag.traces.ResourceSpans().At(0).Resource().Attributes().Get("deployment.environment.name")
	assert.Equal(t, "staging", env.Str())
}

// TestRetriesWithoutRetryRequested: Tasker never publishes step.retry_requested; a
// retry is a later attempt of a step, and retry_requested alone counts nothing.
func TestRetriesWithoutRetryRequested(t *testing.T) {
	b := testBuilder(t, nil)
	ev, err := tasker.ParseEvent([]byte(`{"event":"step.retry_requested","task_id":1,"step_id":2,"attempt_number":1,"timestamp":"2026-01-10T10:00:00Z"}`))
	require.NoError(t, err)
	out := b.build([]tasker.Event{ev}, "", true)
	assert.Equal(t, int64(0), sumOf(out.metrics, "tasker.step.retries"))
}

// histSum is the sum of a histogram's points.
func histSum(md pmetric.Metrics, name string) float64 {
	var sum float64
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		sms := md.ResourceMetrics().At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			for k := 0; k < sms.At(j).Metrics().Len(); k++ {
				if m := sms.At(j).Metrics().At(k); m.Name() == name {
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						sum += m.Histogram().DataPoints().At(p).Sum()
					}
				}
			}
		}
	}
	return sum
}

// TestDurationsAreTheSpans: the histograms hold the spans' durations, not Tasker's
// duration fields (execution_duration ≈ 0 or negative, duration_ms the row's age).
func TestDurationsAreTheSpans(t *testing.T) {
	b := testBuilder(t, nil)
	out := b.buildLines(splitEntries(t, string(readFixture(t, "tasker/task_end.log"))), nil)
	var stepSum, taskSum float64
	for name, ss := range spansByName(out.traces) {
		for _, s := range ss {
			d := s.EndTimestamp().AsTime().Sub(s.StartTimestamp().AsTime()).Seconds()
			if name == "order_fulfillment" {
				taskSum += d
			} else {
				stepSum += d
			}
		}
	}
	assert.InDelta(t, 0.739+0.739, stepSum, 1e-9)
	// The two steps ran in parallel on two pool threads, their lines interleaved: their
	// spans overlap as they ran.
	byName := spansByName(out.traces)
	ship, email := byName["ship_order"][0], byName["send_email"][0]
	assert.True(t, email.StartTimestamp() < ship.EndTimestamp() && ship.StartTimestamp() < email.EndTimestamp())
	assert.InDelta(t, stepSum, histSum(out.metrics, "tasker.step.duration"), 1e-9)
	assert.InDelta(t, 1.194, taskSum, 1e-9)
	assert.InDelta(t, taskSum, histSum(out.metrics, "tasker.task.duration"), 1e-9)
}

func TestEventTimeWholeSecond(t *testing.T) {
	sec := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	ev := tasker.Event{Time: sec}
	assert.Equal(t, sec.Add(300*time.Millisecond), eventTime(&ev, sec.Add(300*time.Millisecond), true), "arrival within the payload's second")
	assert.Equal(t, sec, eventTime(&ev, sec.Add(1500*time.Millisecond), true), "arrival later: the payload's time")
	assert.Equal(t, sec, eventTime(&ev, sec.Add(300*time.Millisecond), false), "log lines have milliseconds")
	fine := tasker.Event{Time: sec.Add(5 * time.Millisecond)}
	assert.Equal(t, fine.Time, eventTime(&fine, sec.Add(300*time.Millisecond), true))
	assert.Equal(t, sec, eventTime(&tasker.Event{}, sec, true), "no time: arrival")
}

// TestStepEventWithoutStepID: a step.completed that names no step ends nothing (it
// would otherwise take the task's span id).
func TestStepEventWithoutStepID(t *testing.T) {
	b := testBuilder(t, nil)
	ev, err := tasker.ParseEvent([]byte(`{"event":"step.completed","task_id":1,"attempt_number":1,"timestamp":"2026-01-10T10:00:00Z"}`))
	require.NoError(t, err)
	out := b.build([]tasker.Event{ev}, "", true)
	assert.Equal(t, 0, out.traces.SpanCount())
	assert.Equal(t, int64(0), sumOf(out.metrics, "tasker.step.outcomes"))
	assert.Equal(t, 1, out.logs.LogRecordCount())
}

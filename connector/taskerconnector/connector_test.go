// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tasker-systems/otelcol-tasker/connector/taskerconnector/internal/metadatatest"
	"github.com/tasker-systems/otelcol-tasker/internal/taskerids"
)

func oneRun(t *taskScript, host bool, batch int) []ptrace.Traces {
	s := newSubscriber(DefaultServiceName, t0)
	s.runTask(t, host)
	return s.export(batch, "OpenTelemetry::Instrumentation::ActiveJob")
}

func simpleTask() *taskScript {
	return &taskScript{id: 9, name: "nightly", end: "completed", steps: []stepScript{{id: 90, name: "a", work: 30 * time.Millisecond}, {id: 91, name: "b", work: 3 * time.Second}}}
}

// Spans that are not Tasker's pass through untouched: other scopes, unknown span
// names in Tasker's scope, Tasker's names in another scope, spans without a task id.
func TestOtherSpansPassThrough(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	other := rs.ScopeSpans().AppendEmpty()
	other.Scope().SetName("OpenTelemetry::Instrumentation::Rack")
	other.Spans().AppendEmpty().SetName("GET /orders")
	lookalike := other.Spans().AppendEmpty()
	lookalike.SetName(spanStepQueued)
	lookalike.Attributes().PutStr("tasker.task_id", "1")
	lookalike.Attributes().PutStr("tasker.step_id", "2")
	ts := rs.ScopeSpans().AppendEmpty()
	ts.Scope().SetName("tasker")
	ts.Spans().AppendEmpty().SetName("tasker.step.retry")
	noID := ts.Spans().AppendEmpty()
	noID.SetName(spanStepQueued)
	noID.Attributes().PutStr("tasker.task_id", "unknown")
	want := ptrace.NewTraces()
	td.CopyTo(want)

	md, got := runConnector(t, createDefaultConfig(), []ptrace.Traces{td}, true)
	require.NoError(t, ptracetest.CompareTraces(want, got))
	md, _ = runConnector(t, createDefaultConfig(), []ptrace.Traces{want}, false)
	assert.Equal(t, 0, md.MetricCount())
}

func spanNames(td ptrace.Traces) map[string]int {
	n := map[string]int{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		for j := 0; j < td.ResourceSpans().At(i).ScopeSpans().Len(); j++ {
			ss := td.ResourceSpans().At(i).ScopeSpans().At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				n[ss.At(k).Name()]++
			}
		}
	}
	return n
}

func TestStepSpansModes(t *testing.T) {
	in := oneRun(simpleTask(), true, 0)
	// replace: one span per attempt and task, Tasker's instants gone, the host span kept.
	_, td := runConnector(t, createDefaultConfig(), in, true)
	assert.Equal(t, map[string]int{"Tasker::TaskRunnerJob process": 1, "nightly": 1, "a": 1, "b": 1}, spanNames(td))
	// add: Tasker's spans kept as well (3 queued + 3 execution per attempt, one task span).
	cfg := createDefaultConfig()
	cfg.Traces.StepSpans = StepSpansAdd
	_, td = runConnector(t, cfg, in, true)
	assert.Equal(t, map[string]int{"Tasker::TaskRunnerJob process": 1, "nightly": 1, "a": 1, "b": 1,
		spanStepQueued: 6, spanStepExecution: 6, spanTaskExecution: 1}, spanNames(td))
	// off: everything as it came.
	cfg.Traces.StepSpans = StepSpansOff
	_, td = runConnector(t, cfg, in, true)
	want := ptrace.NewTraces()
	for _, b := range in {
		b.ResourceSpans().MoveAndAppendTo(want.ResourceSpans())
	}
	require.NoError(t, ptracetest.CompareTraces(want, td))
}

// The built spans carry the receiver's ids (internal/taskerids), real start and end.
func TestStepSpanIDsAndTimes(t *testing.T) {
	_, td := runConnector(t, createDefaultConfig(), oneRun(simpleTask(), false, 0), true)
	byName := map[string]ptrace.Span{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		ss := td.ResourceSpans().At(i).ScopeSpans().At(0).Spans()
		for k := 0; k < ss.Len(); k++ {
			byName[ss.At(k).Name()] = ss.At(k)
		}
	}
	task, b := byName["nightly"], byName["b"]
	assert.Equal(t, taskerids.TraceID("tasker", "", "9"), task.TraceID())
	assert.Equal(t, taskerids.TaskSpanID("tasker", "", "9"), task.SpanID())
	assert.Equal(t, taskerids.TraceID("tasker", "", "9"), b.TraceID())
	assert.Equal(t, taskerids.StepSpanID("tasker", "", "9", "91", 1), b.SpanID())
	assert.Equal(t, task.SpanID(), b.ParentSpanID())
	// first queued → the state machine's terminal span: work + 5 publications (3 queued, before_handle, handler)
	assert.Equal(t, 3*time.Second+5*publishGap, b.EndTimestamp().AsTime().Sub(b.StartTimestamp().AsTime()))
	v, _ := b.Attributes().Get("tasker.attempt")
	assert.Equal(t, pcommon.ValueTypeInt, v.Type())
	assert.Equal(t, int64(1), v.Int())
	v, _ = b.Attributes().Get("tasker.attempt_number") // Tasker's own text is kept
	assert.Equal(t, "1", v.Str())
	assert.Equal(t, ptrace.StatusCodeOk, b.Status().Code())
}

// A resent batch (the SDK's retry) counts nothing twice.
func TestResentBatch(t *testing.T) {
	in := oneRun(simpleTask(), false, 0)
	md, _ := runConnector(t, createDefaultConfig(), append(in, in...), false)
	assert.Equal(t, map[string]int64{"step/nightly/a/completed": 1, "step/nightly/b/completed": 1, "task/nightly/completed": 1}, outcomeCounts(md))
}

func newTestConnector(t *testing.T, cfg *Config, tt *componenttest.Telemetry) (*spansConnector, *consumertest.MetricsSink) {
	t.Helper()
	c, err := newConnector(tt.NewTelemetrySettings(), component.BuildInfo{Version: "test"}, cfg)
	require.NoError(t, err)
	sink := new(consumertest.MetricsSink)
	c.nextMetrics = sink
	return c, sink
}

// Without a task span, an ended attempt waits name_wait for its task's name and is
// then emitted by the clock without it; an attempt with no terminal span is given up
// on after attempt_timeout; max_attempts evicts the oldest. All counted.
func TestStateBounds(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	cfg := createDefaultConfig()
	cfg.State.NameWait = 50 * time.Millisecond
	cfg.State.AttemptTimeout = 100 * time.Millisecond
	cfg.State.MaxAttempts = 2
	c, sink := newTestConnector(t, cfg, tt)
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, c.Shutdown(context.Background())) }()

	// Step spans only (the task span is held by a run that never ends).
	task := &taskScript{id: 5, name: "never_named", end: "pending", steps: []stepScript{{id: 50, name: "s", work: time.Millisecond}}}
	s := newSubscriber(DefaultServiceName, t0)
	s.runTask(task, false)
	steps := ptrace.NewTraces()
	for _, b := range s.export(0, "") {
		b.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(sp ptrace.Span) bool { return sp.Name() == spanTaskInitialize })
		b.ResourceSpans().MoveAndAppendTo(steps.ResourceSpans())
	}
	require.NoError(t, c.ConsumeTraces(context.Background(), steps))
	assert.Empty(t, sink.AllMetrics(), "held for the task's name")
	require.Eventually(t, func() bool { return len(sink.AllMetrics()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]int64{"step/s/completed": 1}, outcomeCounts(sink.AllMetrics()[0]))

	// Three attempts that only ever get queued: the first is evicted by the third, the
	// other two expire.
	queued := ptrace.NewTraces()
	ss := queued.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("tasker")
	for i, step := range []string{"1", "2", "3"} {
		sp := ss.Spans().AppendEmpty()
		sp.SetName(spanStepQueued)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond)))
		sp.Attributes().PutStr("tasker.task_id", "6")
		sp.Attributes().PutStr("tasker.step_id", step)
		sp.Attributes().PutStr("tasker.attempt_number", "0")
	}
	require.NoError(t, c.ConsumeTraces(context.Background(), queued))
	require.Eventually(t, func() bool { return c.pendingNow() == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, sink.AllMetrics(), 1, "nothing emitted for attempts without an outcome")

	metadatatest.AssertEqualConnectorTaskerSpansExpired(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "evicted")), Value: 1},
		{Attributes: attribute.NewSet(attribute.String("reason", "expired")), Value: 2},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorTaskerSpansAttempts(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("outcome", "completed")), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorTaskerSpansRecognized(t, tt, []metricdata.DataPoint[int64]{{Value: 9}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorTaskerSpansDuplicates(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorTaskerSpansPending(t, tt, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
}

func (c *spansConnector) pendingNow() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tab.pending()
}

func TestParseTaskerValues(t *testing.T) {
	p := newParser("tasker")
	sp := ptrace.NewSpan()
	sp.SetName(spanStepExecution)
	a := sp.Attributes()
	a.PutStr("tasker.task_id", "42")
	a.PutDouble("tasker.step_id", 7) // typed values are accepted too
	a.PutStr("tasker.attempt_number", "2")
	a.PutStr("tasker.execution_duration", "-8.1e-05")
	a.PutStr("tasker.retry_limit", "3")
	a.PutStr("tasker.error", "boom")
	sp.Status().SetCode(ptrace.StatusCodeError)
	ts, ok := p.parse(sp)
	require.True(t, ok)
	assert.Equal(t, "42", ts.taskID)
	assert.Equal(t, "7", ts.stepID)
	assert.Equal(t, int64(2), ts.attempt)
	assert.InDelta(t, -8.1e-05, ts.execDuration, 1e-12)
	assert.Equal(t, int64(3), ts.retryLimit)
	assert.True(t, ts.failed)
	assert.Equal(t, "boom", ts.errorMessage)

	a.PutStr("tasker.task_id", "unknown") // BaseSubscriber's default: not a task
	_, ok = p.parse(sp)
	assert.False(t, ok)
	assert.Equal(t, "-8.1e-05", rubyFloat(-8.1e-05))
	assert.Equal(t, "-0.000312", rubyFloat(-0.000312))
	assert.Equal(t, "0.0", rubyFloat(0))
	assert.Equal(t, "1.0e-05", rubyFloat(1e-05))
}

// refusingSink refuses the first `refuse` batches, then keeps what it gets.
type refusingSink struct {
	consumertest.MetricsSink
	refuse int
}

func (r *refusingSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if r.refuse > 0 {
		r.refuse--
		return errors.New("queue is full")
	}
	return r.MetricsSink.ConsumeMetrics(ctx, md)
}

// A refusal is returned (the SDK resends the batch, whose spans are then duplicates)
// and what was refused is sent with the next emission: every outcome exactly once.
func TestNextConsumerRefuses(t *testing.T) {
	c, err := newConnector(componenttest.NewNopTelemetrySettings(), component.BuildInfo{}, createDefaultConfig())
	require.NoError(t, err)
	sink := &refusingSink{refuse: 1}
	c.nextMetrics = sink
	in := oneRun(simpleTask(), false, 0)
	require.Error(t, c.ConsumeTraces(context.Background(), in[0]))
	require.NoError(t, c.ConsumeTraces(context.Background(), in[0])) // the resend
	total := pmetric.NewMetrics()
	for _, m := range sink.AllMetrics() {
		m.ResourceMetrics().MoveAndAppendTo(total.ResourceMetrics())
	}
	assert.Equal(t, map[string]int64{"step/nightly/a/completed": 1, "step/nightly/b/completed": 1, "task/nightly/completed": 1}, outcomeCounts(total))

	// A permanent error drops (and counts) instead of holding.
	sink = &refusingSink{refuse: 1}
	c.nextMetrics = sink
	c.tab, c.retryMetrics = newTable(c.cfg.State), pmetric.Metrics{}
	require.Error(t, c.ConsumeTraces(context.Background(), oneRun(&taskScript{id: 77, name: "x", end: "completed"}, false, 0)[0]))
	assert.False(t, c.keep(context.Background(), consumererror.NewPermanent(errors.New("bad")), 1))
	assert.True(t, c.keep(context.Background(), errors.New("busy"), 1))
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// TestHTTPRetryAfterRefusalRebuildsSpans: a request whose spans the pipeline refused
// (503) is sent again; its completions are not dropped as duplicates of spans that
// were never written: the retry gives the same spans, with their starts.
func TestHTTPRetryAfterRefusalRebuildsSpans(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	var refuse atomic.Bool // an exporter failing
	sink := new(consumertest.TracesSink)
	traces, err := consumer.NewTraces(func(ctx context.Context, td ptrace.Traces) error {
		if refuse.Load() {
			return errors.New("no more retries left: disk full")
		}
		return sink.ConsumeTraces(ctx, td)
	})
	require.NoError(t, err)
	ctx := context.Background()
	set := receivertest.NewNopSettings(metadata.Type)
	tr, err := NewFactory().CreateTraces(ctx, set, cfg, traces)
	require.NoError(t, err)
	require.NoError(t, tr.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, tr.Shutdown(ctx)) })
	url := "http://" + tr.(*taskerReceiver).addr + "/v1/events"

	// The step starts in an earlier request that was written.
	start := `{"event":"step.execution_requested","task_id":1,"step_id":2,"step_name":"a","attempt_number":1,"timestamp":"2026-01-10T09:59:59Z"}`
	code, _, _ := post(t, url, "application/json", []byte(start), nil)
	require.Equal(t, http.StatusOK, code)
	body := []byte("[" + evCompleted + "," + evTask + "]")
	refuse.Store(true)
	code, hdr, _ := post(t, url, "application/json", body, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	assert.NotEmpty(t, hdr.Get("Retry-After"))
	assert.Zero(t, sink.SpanCount())

	refuse.Store(false)
	code, _, _ = post(t, url, "application/json", body, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, 2, sink.SpanCount(), "the step and the task span, once")
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					_, missing := sp.Attributes().Get("tasker.start_missing")
					assert.False(t, missing, "span %s kept its start", sp.Name())
				}
			}
		}
	}

	// A third copy is a duplicate again.
	code, _, _ = post(t, url, "application/json", body, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, sink.SpanCount())
}

// TestUndoThinTaskEnd: the undo of a refused request gives back the thin task ends
// of the builder (taskend.go). A finalizer copy refused with its request leaves the
// thin end waiting, so the retry merges it again (one span, with the counts); a thin
// end of an earlier request released into a refused batch is released again; a thin
// end held by the refused request itself is forgotten with it.
func TestUndoThinTaskEnd(t *testing.T) {
	thin, err := tasker.ParseEvent([]byte(`{"event":"task.completed","timestamp":"2026-01-10T10:00:02.204Z","task_id":46,"task_name":"t","from_state":null,"to_state":"complete"}`))
	require.NoError(t, err)
	final, err := tasker.ParseEvent([]byte(`{"event":"task.completed","timestamp":"2026-01-10T10:00:02Z","task_id":46,"task_name":"t","event_type":"completed","total_steps":1}`))
	require.NoError(t, err)

	// The finalizer's copy in a refused request.
	b := testBuilder(t, nil)
	require.Zero(t, b.build([]tasker.Event{thin}, "", true).traces.SpanCount(), "held")
	out := b.build([]tasker.Event{final}, "", true)
	require.Equal(t, 1, out.traces.SpanCount())
	b.undo(out)
	out = b.build([]tasker.Event{final}, "", true)
	require.Equal(t, 1, out.traces.SpanCount(), "the retry ends the task again")
	span := out.traces.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	v, ok := span.Attributes().Get("tasker.task.total_steps")
	require.True(t, ok, "the finalizer's counts")
	assert.Equal(t, int64(1), v.Int())
	assert.Zero(t, b.build([]tasker.Event{final}, "", true).traces.SpanCount(), "then a duplicate")

	// A thin end released (its wait over) into a refused batch.
	b = testBuilder(t, nil)
	require.Zero(t, b.build([]tasker.Event{thin}, "", true).traces.SpanCount())
	b.nowFunc = func() time.Time { return testNow.Add(DefaultTaskEndWait) }
	out = b.build(nil, "", true)
	require.Equal(t, 1, out.traces.SpanCount())
	b.undo(out)
	assert.Equal(t, 1, b.build(nil, "", true).traces.SpanCount(), "released again by the next call")
	assert.Zero(t, b.build(nil, "", true).traces.SpanCount(), "once")

	// A thin end held by the refused request: the retry holds it anew.
	b = testBuilder(t, nil)
	out = b.build([]tasker.Event{thin}, "", true)
	b.undo(out)
	assert.Empty(t, b.waiting, "forgotten with its request")
	require.Zero(t, b.build([]tasker.Event{thin}, "", true).traces.SpanCount(), "the retry is not a duplicate: held again")
	assert.Equal(t, 1, b.build([]tasker.Event{final}, "", true).traces.SpanCount())
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"

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

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// memClient is a storage client in memory.
type memClient struct {
	storage.Client
	m map[string][]byte
}

func (c *memClient) Get(_ context.Context, k string) ([]byte, error) { return c.m[k], nil }

func (c *memClient) Set(_ context.Context, k string, v []byte) error { c.m[k] = v; return nil }

// TestStateAcrossRestart: the copies of one attempt that straddle a restart make one
// span and one count, and an attempt that started before the restart keeps its start.
func TestStateAcrossRestart(t *testing.T) {
	tokens := splitEntries(t, string(readFixture(t, "tasker/failure_retry.log")))
	for _, cut := range []int{5, 8, 10, 17} {
		client := &memClient{m: map[string][]byte{}}
		a := testBuilder(t, nil)
		first := a.buildLines(tokens[:cut], nil)
		require.NoError(t, a.saveState(context.Background(), client))

		b := testBuilder(t, nil)
		require.NoError(t, b.loadState(context.Background(), client))
		second := b.buildLines(tokens[cut:], nil)

		spans := append(spansByName(first.traces)["charge_card"], spansByName(second.traces)["charge_card"]...)
		require.Len(t, spans, 2, "cut at %d: two attempts, a span each", cut)
		assert.NotEqual(t, spans[0].SpanID(), spans[1].SpanID())
		for _, s := range spans {
			_, missing := s.Attributes().Get("tasker.start_missing")
			assert.False(t, missing, "cut at %d: start kept", cut)
		}
		assert.Equal(t, int64(2), sumOf(first.metrics, "tasker.step.outcomes")+sumOf(second.metrics, "tasker.step.outcomes"), "cut at %d", cut)
		assert.Equal(t, int64(1), sumOf(first.metrics, "tasker.step.retries")+sumOf(second.metrics, "tasker.step.retries"), "cut at %d", cut)
	}

	b := testBuilder(t, nil)
	assert.Error(t, b.restore([]byte(`{"v":9}`)))
	assert.Error(t, b.restore([]byte(`not json`)))
	assert.NoError(t, b.loadState(context.Background(), &memClient{m: map[string][]byte{}}), "nothing saved yet")
}

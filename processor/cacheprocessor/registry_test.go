// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext"
	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
)

// TestRegistrySourceServesTheAggregate: with a tasker_registry running, the processor
// is its metrics source: /v1/export's path (Registry.Export) encodes the current
// aggregate, cumulative, and every export is reported as a cache sync.
func TestRegistrySourceServesTheAggregate(t *testing.T) {
	host := registrytest.NewHost(t, "")
	reg := registrytest.Registry(t, host, component.MustNewID("tasker_registry"))
	clock := &fakeClock{now: t0}
	sink := &consumertest.MetricsSink{}
	p := newTestProcessor(t, testCfg(func(c *Config) { c.Temporality = TemporalityDelta }), sink, clock, nil, host)
	consume(t, p,
		newBatch(web1).sum("tasker.task.outcomes", delta, 0, time.Second, 3, map[string]any{"status": "completed"}),
		newBatch(web1).sum("tasker.task.outcomes", delta, time.Second, 2*time.Second, 4, map[string]any{"status": "completed"}),
	)
	clock.Set(t0.Add(30 * time.Second))
	p.exportOnce(context.Background(), clock.Now(), false)

	res, err := reg.Export(context.Background(), registryext.ExportRequest{Format: "prometheus"})
	require.NoError(t, err)
	assert.Contains(t, string(res.Data), `tasker_task_outcomes_total{`)
	assert.Contains(t, string(res.Data), `status="completed"} 7`, "cumulative total, even with delta output")

	st := reg.Stats()
	require.Len(t, st.MetricsSources, 1)
	src := st.MetricsSources[0]
	assert.Equal(t, "local_only", src.Strategy)
	assert.Equal(t, 1, src.SeriesCount)
	assert.Positive(t, src.Syncs, "the export was reported as a cache sync")

	require.NoError(t, p.Shutdown(context.Background()))
	assert.Empty(t, reg.Stats().MetricsSources, "unregistered at shutdown")
}

func TestRegistryConfiguredButMissing(t *testing.T) {
	id := component.MustNewIDWithName("tasker_registry", "other")
	cfg := testCfg(func(c *Config) { c.Registry = &id })
	p, err := newCacheProcessor(processortest.NewNopSettings(metadata.Type), cfg, &consumertest.MetricsSink{})
	require.NoError(t, err)
	err = p.Start(context.Background(), registrytest.NewHost(t))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "tasker_registry/other"), err)
}

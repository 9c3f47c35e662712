// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadatatest"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// TestMetricsNegotiationAndDrops: /metrics answers OpenMetrics when asked, and what it
// cannot write is logged with a count and counted in the extension's telemetry.
func TestMetricsNegotiationAndDrops(t *testing.T) {
	tt := newTelemetry(t)
	core, logs := observer.New(zapcore.InfoLevel)
	set := metadatatest.NewSettings(tt)
	set.Logger = zap.New(core)
	re := startExtension(t, set, createDefaultConfig().(*Config))
	t.Cleanup(func() { require.NoError(t, re.Shutdown(context.Background())) })

	// Two processes that collide (told apart by host.name), an identical copy of one
	// (2 duplicate series), and a delta histogram (no text form).
	md := promtexttest.TwoProcesses()
	md.ResourceMetrics().At(0).CopyTo(md.ResourceMetrics().AppendEmpty())
	dh := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	dh.SetName("delta_hist")
	dh.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dh.Histogram().DataPoints().AppendEmpty().SetCount(1)
	_, err := re.reg.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: component.MustNewID("tasker_cache"), Source: newStaticSource(md)})
	require.NoError(t, err)

	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	scrape := func(accept string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+re.Addr().String()+PathMetrics, nil)
		require.NoError(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return resp, string(body)
	}

	// What Prometheus sends when it prefers OpenMetrics.
	resp, om := scrape("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	assert.Equal(t, promtext.OpenMetricsContentType, resp.Header.Get("Content-Type"))
	assert.Equal(t, "Accept", resp.Header.Get("Vary"))
	assert.True(t, strings.HasSuffix(om, "# EOF\n"), om)
	assert.Contains(t, om, "# TYPE tasker_task_completed counter\n")
	assert.Contains(t, om, `tasker_task_completed_total{host_name="web-2",job="tasker",status="ok"} 10.0`)

	resp, text := scrape("")
	assert.Equal(t, promtext.ContentType, resp.Header.Get("Content-Type"))
	assert.NotContains(t, text, "# EOF")
	assert.Contains(t, text, `target_info{host_name="web-2",job="tasker",process_pid="11"} 1`)
	promtexttest.PromtoolCheck(t, text)

	// Two scrapes, each leaving out 2 duplicate series and 1 delta histogram point.
	metadatatest.AssertEqualExtensionTaskerRegistryPointsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: 4, Attributes: attribute.NewSet(attribute.String("plugin", PrometheusPluginName), attribute.String("reason", promtext.DropDuplicate))},
		{Value: 2, Attributes: attribute.NewSet(attribute.String("plugin", PrometheusPluginName), attribute.String("reason", promtext.DropUnsupported))},
	}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, uint64(6), re.reg.Stats().Plugins[PrometheusPluginName].Dropped)
	// Logged once: the second scrape dropped as many, within a minute.
	warned := logs.FilterMessage("Export left out data points its format cannot write").All()
	require.Len(t, warned, 1)
	fields := warned[0].ContextMap()
	assert.Equal(t, int64(3), fields["dropped"])
	assert.Equal(t, map[string]int{promtext.DropDuplicate: 2, promtext.DropUnsupported: 1}, fields["by_reason"])
}

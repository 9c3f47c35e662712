// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadatatest"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// TestMetricsScrape runs the real extension, scrapes /metrics as Prometheus would, and
// checks the text with the Prometheus parser (exact values) and with promtool.
func TestMetricsScrape(t *testing.T) {
	tt := newTelemetry(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Token = testToken
	re := startExtension(t, metadatatest.NewSettings(tt), cfg)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			require.NoError(t, re.Shutdown(context.Background()))
		}
	})

	// A component's view: Find the registry, register, report.
	host := fakeHost{exts: map[component.ID]component.Component{re.set.ID: re}}
	reg, err := taskerregistry.Find(host, nil)
	require.NoError(t, err)
	md := promtexttest.Aggregate()
	sh, err := reg.RegisterMetricsSource(taskerregistry.SourceRegistration{ComponentID: component.MustNewID("tasker_cache"), Source: newStaticSource(md)})
	require.NoError(t, err)
	sh.ReportCacheSync(taskerregistry.CacheSync{SeriesCount: 14})

	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "http://"+re.Addr().String()+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, promtext.ContentType, resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Get("Content-Disposition"))
	text := string(body)
	promtexttest.AssertRoundTrip(t, text, md)
	assert.False(t, strings.Contains(text, "Infinity"))
	t.Run("promtool", func(t *testing.T) { promtexttest.PromtoolCheck(t, text) })

	// Scrapes record no events but count as prometheus exports.
	assert.Equal(t, taskerregistry.EventCacheSynced, re.reg.Events(EventQuery{}).Events[0+1].Name)
	assert.Equal(t, uint64(1), re.reg.Stats().Plugins[PrometheusPluginName].Exports)

	// The extension's own telemetry: events by name, plugins, requests.
	metadatatest.AssertEqualExtensionTaskerRegistryEvents(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("event", taskerregistry.EventPluginRegistered))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("event", taskerregistry.EventCacheSynced))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExtensionTaskerRegistryPlugins(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExtensionTaskerRegistryRequests(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("endpoint", "/metrics"), attribute.String("code", "200"))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())

	require.NoError(t, re.Shutdown(context.Background()))
	stopped = true
	// The registry outlives the server.
	_, err = reg.Register(taskerregistry.Plugin{Name: "late", Formats: []string{"csv"}})
	require.NoError(t, err)
}

func TestTelemetryEvictions(t *testing.T) {
	tt := newTelemetry(t)
	cfg := createDefaultConfig().(*Config)
	cfg.MaxEvents = 2
	ext, err := newExtension(cfg, metadatatest.NewSettings(tt))
	require.NoError(t, err)
	_, err = ext.Registry().Register(taskerregistry.Plugin{Name: "a", Formats: []string{"csv"}})
	require.NoError(t, err)
	require.NoError(t, ext.Registry().Unregister("a"))
	metadatatest.AssertEqualExtensionTaskerRegistryEventsEvicted(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestStartFailsOnBusyPort(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	first, err := newExtension(cfg, extensionSettings())
	require.NoError(t, err)
	require.NoError(t, first.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, first.Shutdown(context.Background())) }()

	cfg2 := createDefaultConfig().(*Config)
	cfg2.ServerConfig.NetAddr.Endpoint = first.Addr().String()
	second, err := newExtension(cfg2, extensionSettings())
	require.NoError(t, err)
	err = second.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "tasker_registry: "), err.Error())
	require.NoError(t, second.Shutdown(context.Background()))
}

func TestCorrelationID(t *testing.T) {
	for id, ok := range map[string]bool{
		"tsk_l2k3j4_AbC123":      true,
		"a":                      true,
		"-leading":               false,
		"has space":              false,
		strings.Repeat("a", 101): false,
		"":                       false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Correlation-ID", id)
		if ok {
			assert.Equal(t, id, correlationID(r))
		} else {
			assert.Empty(t, correlationID(r), id)
		}
	}
	assert.Equal(t, "web-1_local", fileSafe("web-1 local"))
}

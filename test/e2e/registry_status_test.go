// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/registrytest"
)

// registryRun is a running binary with the shipped configuration's endpoints.
type registryRun struct {
	*collector
	registry string // the registry's base URL
	otlpGRPC string // host:port
	otlpHTTP string // base URL
}

// startRegistryRun runs the binary on config (the shipped otelcol-config.yaml, or a URL
// serving it) with every port on a free loopback port.
func startRegistryRun(t *testing.T, config string, sets ...string) registryRun {
	t.Helper()
	bin := tool(t, "OTELCOL_TASKER_BIN")
	grpc, httpPort, health, metrics, registry := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	all := append([]string{
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:" + strconv.Itoa(grpc),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:" + strconv.Itoa(httpPort),
		"extensions::health_check::endpoint=127.0.0.1:" + strconv.Itoa(health),
		"receivers::tasker::http::endpoint=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"extensions::tasker_registry::endpoint=127.0.0.1:" + strconv.Itoa(registry),
		"processors::tasker_cache::interval=1s",
		"service::telemetry::metrics::readers=[{pull: {exporter: {prometheus: {host: 127.0.0.1, port: " + strconv.Itoa(metrics) + "}}}}]",
	}, sets...)
	return registryRun{
		collector: startCollector(t, bin, t.TempDir(), config, health, all...),
		registry:  "http://127.0.0.1:" + strconv.Itoa(registry),
		otlpGRPC:  "127.0.0.1:" + strconv.Itoa(grpc),
		otlpHTTP:  "http://127.0.0.1:" + strconv.Itoa(httpPort),
	}
}

// TestE2ERegistryStatusPage loads the status page of the built binary in headless
// Chromium: the exporters as plugins with their counts, tasker_cache as the metrics
// source with its strategy, the largest series of what telemetrygen sent, the events.
// The screenshot is kept (registrytest.Screenshot: $TASKER_TEST_ARTIFACTS, or
// $TMPDIR/otelcol-tasker-artifacts, status-page-e2e.png).
func TestE2ERegistryStatusPage(t *testing.T) {
	gen := tool(t, "TELEMETRYGEN_BIN")
	registrytest.Chromium(t)
	c := startRegistryRun(t, repoFile(t, "otelcol-config.yaml"),
		"exporters::tasker_json::flush_interval=0s", "exporters::tasker_csv::flush_interval=0s")
	defer c.stop(t)
	base, grpc := c.registry, c.otlpGRPC

	run(t, gen, "metrics", "--otlp-insecure", "--otlp-endpoint", grpc, "--metrics", "40", "--metric-type", "Sum",
		"--aggregation-temporality", "delta", "--rate", "0")
	var stats struct {
		Plugins map[string]struct {
			Exports uint64 `json:"exports"`
		} `json:"plugins"`
		MetricsSources []struct {
			SeriesCount int `json:"series_count"`
		} `json:"metrics_sources"`
	}
	eventually(t, 30*time.Second, func() error {
		getJSON(t, base+"/v1/stats", &stats)
		if len(stats.MetricsSources) != 1 || stats.MetricsSources[0].SeriesCount == 0 || stats.Plugins["tasker_json"].Exports == 0 {
			return errorf("not exported yet: %+v", stats)
		}
		return nil
	})

	doc := registrytest.DOM(t, base+"/")
	body := registrytest.Find(doc, "body")
	require.Len(t, body, 1)
	assert.Equal(t, "browser", registrytest.Attr(body[0], "data-rendered"))
	for _, p := range []string{"tasker_json", "tasker_csv", "prometheus"} {
		rows := registrytest.Find(doc, "tr", "data-plugin", p)
		require.Len(t, rows, 1, p)
		if p != "prometheus" {
			exports := registrytest.Find(rows[0], "td", "data-field", "exports")
			require.Len(t, exports, 1)
			n, err := strconv.Atoi(registrytest.Text(exports[0]))
			require.NoError(t, err)
			assert.Positive(t, n, p)
		}
	}
	src := registrytest.Find(doc, "tr", "data-source", "tasker_cache")
	require.Len(t, src, 1)
	assert.Equal(t, "local_only", registrytest.Text(registrytest.Find(src[0], "td", "data-field", "strategy")[0]))
	top := registrytest.Find(doc, "section", "id", "top-tasker_cache")
	require.Len(t, top, 1)
	rows := registrytest.Find(top[0], "tr", "data-metric", "gen")
	require.NotEmpty(t, rows, registrytest.Text(top[0]))
	events := registrytest.Text(registrytest.Find(doc, "section", "id", "events")[0])
	assert.Contains(t, events, "plugin_registered")
	assert.Contains(t, events, "export_completed")

	png := registrytest.Screenshot(t, base+"/", "status-page-e2e")
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "\x89PNG"))
}

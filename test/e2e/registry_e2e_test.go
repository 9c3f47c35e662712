// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2ERegistry runs the binary on otelcol-config.yaml with the registry on: OTLP →
// tasker_cache → tasker_json + tasker_csv. /v1/plugins lists both exporters and the
// built-in prometheus plugin; /v1/stats counts what the files hold; /v1/export?format=csv
// and /metrics serve the aggregate (the exact total that was sent).
func TestE2ERegistry(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	gen := tool(t, "TELEMETRYGEN_BIN")
	dir := t.TempDir()
	grpc, httpPort, health, metrics, registry := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(registry)
	c := startCollector(t, bin, dir, repoFile(t, "otelcol-config.yaml"), health,
		"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:"+strconv.Itoa(grpc),
		"receivers::otlp::protocols::http::endpoint=127.0.0.1:"+strconv.Itoa(httpPort),
		"extensions::health_check::endpoint=127.0.0.1:"+strconv.Itoa(health),
		"receivers::tasker::http::endpoint=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"extensions::tasker_registry::endpoint=127.0.0.1:"+strconv.Itoa(registry),
		"processors::tasker_cache::interval=1s",
		// Files flushed at every export, so the lines on disk and the registry's counts
		// (reported after each write) can be compared while exports keep coming.
		"exporters::tasker_json::flush_interval=0s",
		"exporters::tasker_csv::flush_interval=0s",
		"service::telemetry::metrics::readers=[{pull: {exporter: {prometheus: {host: 127.0.0.1, port: "+strconv.Itoa(metrics)+"}}}}]",
	)
	defer c.stop(t)

	var plugins struct {
		Plugins []struct {
			Name    string   `json:"name"`
			Formats []string `json:"formats"`
			Encoder bool     `json:"encoder"`
		} `json:"plugins"`
	}
	getJSON(t, base+"/v1/plugins", &plugins)
	names := map[string][]string{}
	for _, p := range plugins.Plugins {
		names[p.Name] = p.Formats
	}
	assert.Contains(t, names, "tasker_json")
	assert.Contains(t, names, "tasker_csv")
	assert.Contains(t, names["tasker_csv"], "csv")
	var hasProm bool
	for _, f := range names {
		for _, x := range f {
			hasProm = hasProm || x == "prometheus"
		}
	}
	assert.True(t, hasProm, "the built-in prometheus plugin: %v", names)

	const metricPoints, logRecords = 60, 25
	const total = metricPoints * (metricPoints - 1) / 2
	endpoint := "127.0.0.1:" + strconv.Itoa(grpc)
	run(t, gen, "metrics", "--otlp-insecure", "--otlp-endpoint", endpoint, "--metrics", strconv.Itoa(metricPoints), "--metric-type", "Sum",
		"--aggregation-temporality", "delta", "--rate", "0")
	run(t, gen, "logs", "--otlp-insecure", "--otlp-endpoint", endpoint, "--logs", strconv.Itoa(logRecords), "--rate", "0")

	out := filepath.Join(dir, "out")
	type pluginStats struct {
		Exports uint64 `json:"exports"`
		Items   uint64 `json:"items"`
		Bytes   uint64 `json:"bytes"`
	}
	var stats struct {
		Plugins        map[string]pluginStats `json:"plugins"`
		MetricsSources []struct {
			Strategy    string `json:"strategy"`
			SeriesCount int    `json:"series_count"`
			Syncs       uint64 `json:"syncs"`
		} `json:"metrics_sources"`
	}
	// The files and the registry's counts agree once everything sent is written.
	eventually(t, 30*time.Second, func() error {
		if v := lastJSONValue(filepath.Join(out, "json", "metrics.json")); v != total {
			return errorf("json metrics: last value %v, want %d", v, total)
		}
		if n := countJSONLines(filepath.Join(out, "json", "logs.json")); n != logRecords {
			return errorf("json logs: %d lines, want %d", n, logRecords)
		}
		getJSON(t, base+"/v1/stats", &stats)
		jsonLines := countJSONLines(filepath.Join(out, "json", "metrics.json")) + countJSONLines(filepath.Join(out, "json", "logs.json"))
		if got := stats.Plugins["tasker_json"].Items; got != uint64(jsonLines) {
			return errorf("tasker_json items %d, JSON lines in the files %d", got, jsonLines)
		}
		metricRows, _ := countCSVRows(filepath.Join(out, "csv", "metrics.csv"))
		logRows, _ := countCSVRows(filepath.Join(out, "csv", "logs.csv"))
		if got := stats.Plugins["tasker_csv"].Items; got != uint64(metricRows+logRows) {
			return errorf("tasker_csv items %d, CSV rows in the files %d", got, metricRows+logRows)
		}
		// The cache sync is reported when the export that wrote the files completes.
		if len(stats.MetricsSources) != 1 || stats.MetricsSources[0].Syncs == 0 {
			return errorf("metrics sources %+v: want one, synced", stats.MetricsSources)
		}
		return nil
	})
	require.Len(t, stats.MetricsSources, 1)
	assert.Equal(t, "local_only", stats.MetricsSources[0].Strategy)
	assert.Equal(t, 1, stats.MetricsSources[0].SeriesCount)
	assert.Positive(t, stats.MetricsSources[0].Syncs)

	// On-demand CSV of the aggregate: one series, the exact total.
	body, resp := get(t, base+"/v1/export?format=csv")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/csv")
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err, string(body))
	require.Len(t, recs, 2, "header and one series: %s", body)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	assert.Equal(t, "gen", recs[1][col["name"]])
	assert.Equal(t, strconv.Itoa(total), recs[1][col["value"]])

	// /metrics: the same aggregate in Prometheus text.
	body, resp = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "gen_total{") || strings.HasPrefix(line, "gen_total ") {
			found = true
			assert.True(t, strings.HasSuffix(line, " "+strconv.Itoa(total)), line)
		}
	}
	assert.True(t, found, "gen_total in /metrics:\n%s", body)

	// Unknown format: 404 listing the supported ones.
	body, resp = get(t, base+"/v1/export?format=xml")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(body), "csv")
}

func get(t *testing.T, url string) ([]byte, *http.Response) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body, resp
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	body, resp := get(t, url)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, json.Unmarshal(body, v), string(body))
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// deltaCache is the tasker_cache of the end-to-end configs: memory, delta exports
// every second (a file's lines then sum to the totals).
const deltaCache = `  tasker_cache:
    backend: memory
    interval: 1s
    retention: 5m
    temporality: delta`

// connectorConfig chains the two tasker_spans instances (Tasker's default
// service_name, and an app with telemetry.service_name "billing_app"): OTLP/HTTP in →
// tasker_spans → tasker_spans/billing → traces file; both → tasker_cache → metrics file.
const connectorConfig = `
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
connectors:
  tasker_spans:
  tasker_spans/billing:
    service_name: billing_app
processors:
` + deltaCache + `
exporters:
  tasker_json/traces:
    path: ./out/traces.json
    flush_interval: 100ms
  tasker_json/metrics:
    path: ./out/metrics.json
    flush_interval: 100ms
service:
  extensions: [health_check]
  pipelines:
    traces/in:
      receivers: [otlp]
      exporters: [tasker_spans]
    traces/mid:
      receivers: [tasker_spans]
      exporters: [tasker_spans/billing]
    traces/out:
      receivers: [tasker_spans/billing]
      exporters: [tasker_json/traces]
    metrics:
      receivers: [tasker_spans, tasker_spans/billing]
      processors: [tasker_cache]
      exporters: [tasker_json/metrics]
  telemetry:
    metrics:
      level: none
`

// connectorCases are the connector's golden publishing sequences
// (connector/taskerconnector/testdata/golden/<case>: input_traces.yaml as Tasker's
// TelemetrySubscriber builds them, metrics.yaml and traces.yaml as the connector
// turns them); the end-to-end run must give what the goldens say, summed.
var connectorCases = []string{"success", "failed_final", "retry_then_complete", "split_batches", "host_traces", "transition_failed", "service_name"}

// postOTLP sends one export batch as the Ruby OTLP exporter does: protobuf, gzip.
func postOTLP(t *testing.T, url string, td ptrace.Traces) {
	t.Helper()
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(body)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, url, &gz)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// metricTotals sums data points by metric name, task, step and outcome: the counter
// value, or the histogram count.
func metricTotals(md pmetric.Metrics, into map[string]float64) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		for j := 0; j < md.ResourceMetrics().At(i).ScopeMetrics().Len(); j++ {
			ms := md.ResourceMetrics().At(i).ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Type() == pmetric.MetricTypeSum {
					for p := 0; p < m.Sum().DataPoints().Len(); p++ {
						dp := m.Sum().DataPoints().At(p)
						into[seriesName(m.Name(), dp.Attributes().AsRaw())] += float64(dp.IntValue())
					}
				} else {
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						dp := m.Histogram().DataPoints().At(p)
						into[seriesName(m.Name(), dp.Attributes().AsRaw())] += float64(dp.Count())
					}
				}
			}
		}
	}
}

func seriesName(name string, attrs map[string]any) string {
	return fmt.Sprintf("%s{%v/%v/%v}", name, attrs["tasker.task.name"], attrs["tasker.step.name"], attrs["tasker.outcome"])
}

// fileTotals sums the tasker_json metrics file (delta exports) the same way.
func fileTotals(t *testing.T, path string) map[string]float64 {
	got := map[string]float64{}
	if _, err := os.Stat(path); err != nil {
		return got
	}
	for _, m := range readJSONLines(t, path) {
		attrs, _ := m["attributes"].(map[string]any)
		name, _ := m["name"].(string)
		v, ok := m["value"].(float64)
		if !ok {
			v, _ = m["count"].(float64)
		}
		got[seriesName(name, attrs)] += v
	}
	return got
}

// TestE2ETaskerSpansConnector: Tasker's own spans over OTLP/HTTP through the built
// binary: the outcome counters and duration histograms aggregated by tasker_cache,
// and the rewritten traces, equal the connector's goldens exactly.
func TestE2ETaskerSpansConnector(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	dir := t.TempDir()
	health, otlp := freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, connectorConfig, health, otlp), 0o600))
	c := startCollector(t, bin, dir, cfgPath, health)

	wantMetrics := map[string]float64{}
	wantSpans, batches := 0, 0
	for _, name := range connectorCases {
		gd := repoFile(t, filepath.Join("connector", "taskerconnector", "testdata", "golden", name))
		in, err := golden.ReadTraces(filepath.Join(gd, "input_traces.yaml"))
		require.NoError(t, err)
		// One ResourceSpans per export batch of the SDK: one request each, in order.
		for i := 0; i < in.ResourceSpans().Len(); i++ {
			td := ptrace.NewTraces()
			in.ResourceSpans().At(i).CopyTo(td.ResourceSpans().AppendEmpty())
			postOTLP(t, "http://127.0.0.1:"+strconv.Itoa(otlp)+"/v1/traces", td)
			batches++
		}
		md, err := golden.ReadMetrics(filepath.Join(gd, "metrics.yaml"))
		require.NoError(t, err)
		metricTotals(md, wantMetrics)
		out, err := golden.ReadTraces(filepath.Join(gd, "traces.yaml"))
		require.NoError(t, err)
		wantSpans += out.SpanCount()
	}
	t.Logf("sent %d OTLP requests; want %d spans out and %d series", batches, wantSpans, len(wantMetrics))

	tracesPath, metricsPath := filepath.Join(dir, "out", "traces.json"), filepath.Join(dir, "out", "metrics.json")
	eventually(t, 30*time.Second, func() error {
		if n := countJSONLines(tracesPath); n != wantSpans {
			return errorf("spans out: %d, want %d", n, wantSpans)
		}
		if got := fileTotals(t, metricsPath); !assert.ObjectsAreEqual(wantMetrics, got) {
			return errorf("metrics: %v, want %v", got, wantMetrics)
		}
		return nil
	})
	c.stop(t)
	assert.Equal(t, wantSpans, countJSONLines(tracesPath), "nothing more after the shutdown")
	assert.Equal(t, wantMetrics, fileTotals(t, metricsPath))
	// The rewritten step spans: no Tasker instant is left, every step span has a real
	// duration and the receiver's attribute names.
	steps := 0
	for _, s := range readJSONLines(t, tracesPath) {
		name, _ := s["name"].(string)
		assert.NotContains(t, []string{"tasker.step.queued", "tasker.step.execution", "tasker.task.execution"}, name)
		attrs, _ := s["attributes"].(map[string]any)
		if _, ok := attrs["tasker.step.id"]; ok {
			steps++
			assert.Contains(t, attrs, "tasker.attempt")
			assert.Contains(t, attrs, "tasker.outcome")
		}
	}
	t.Logf("step spans out: %d; metric series: %v", steps, wantMetrics)
	assert.Positive(t, steps)
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const promConfig = `
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  tasker:
    http:
      endpoint: 127.0.0.1:%d
      push:
        username: tasker
        password: pw
    scrape:
      interval: 200ms
      targets:
        - endpoint: %s/tasker/metrics
          bearer_token: t0ken
exporters:
  tasker_json:
    path: ./out/{signal}.json
    flush_interval: 100ms
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [tasker]
      exporters: [tasker_json]
  telemetry:
    metrics:
      level: none
`

// lastValues is the last value (or histogram count) of each metric{labels} in a
// tasker_json metrics file.
func lastValues(t *testing.T, path string) map[string]float64 {
	got := map[string]float64{}
	if _, err := os.Stat(path); err != nil {
		return got
	}
	for _, m := range readJSONLines(t, path) {
		attrs, _ := m["attributes"].(map[string]any)
		key := fmt.Sprintf("%v %v", m["name"], attrs)
		if v, ok := m["value"].(float64); ok {
			got[key] = v
		} else if c, ok := m["count"].(float64); ok {
			got[key] = c
		}
	}
	return got
}

// TestE2ETaskerPushAndScrape: the built binary takes Tasker's metrics export POST (text
// under remote-write headers, Basic auth) and scrapes Tasker's /tasker/metrics dialect.
func TestE2ETaskerPushAndScrape(t *testing.T) {
	bin := tool(t, "OTELCOL_TASKER_BIN")
	scrapeBody, err := os.ReadFile(repoFile(t, "receiver/taskerreceiver/testdata/prom/scrape_labeled.txt"))
	require.NoError(t, err)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/tasker/metrics" || req.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(scrapeBody)
	}))
	defer app.Close()
	dir := t.TempDir()
	health, port := freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, promConfig, health, port, app.URL), 0o600))
	c := startCollector(t, bin, dir, cfgPath, health)

	pushBody, err := os.ReadFile(repoFile(t, "receiver/taskerreceiver/testdata/prom/push_text.txt"))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/api/v1/write", port), bytes.NewReader(pushBody))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy") // as Tasker labels its uncompressed text
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.SetBasicAuth("tasker", "pw")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	want := map[string]float64{
		"tasker_step_completed_total map[]": 9, "tasker_task_completed_total map[]": 4, "tasker_x_total map[status:ok]": 3,
		"tasker_workflow_active_tasks map[]": 2, "tasker_step_duration_seconds map[]": 6,
		"step_completed_total map[status:ok]": 7, "workflow_active_tasks map[]": 2, "step_duration_seconds map[namespace:billing]": 6,
	}
	metricsPath := filepath.Join(dir, "out", "metrics.json")
	eventually(t, 30*time.Second, func() error {
		got := lastValues(t, metricsPath)
		for k, v := range want {
			if got[k] != v {
				return errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
			}
		}
		return nil
	})
	c.stop(t)
}

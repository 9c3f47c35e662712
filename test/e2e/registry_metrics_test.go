// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two Tasker processes with the same service.name and no service.instance.id, on two
// hosts, each reporting the same counter series: issue 12's 82 silently dropped series.
const collidingOTLP = `{"resourceMetrics": [%s]}`

func collidingResource(host string, value int) string {
	return `{"resource": {"attributes": [
	    {"key": "service.name", "value": {"stringValue": "tasker"}},
	    {"key": "host.name", "value": {"stringValue": "` + host + `"}}]},
	  "scopeMetrics": [{"metrics": [{"name": "tasker.task.completed", "sum": {"isMonotonic": true,
	    "aggregationTemporality": 2, "dataPoints": [{"asInt": "` + strconv.Itoa(value) + `", "startTimeUnixNano": "1763802000000000000", "timeUnixNano": "1763805600000000000",
	    "attributes": [{"key": "status", "value": {"stringValue": "ok"}}]}]}}]}]}`
}

// TestE2ERegistryMetricsCollisions: /metrics of the built binary keeps both series (told
// apart by host_name), has a target_info per resource, passes promtool, answers
// OpenMetrics when asked, and drops nothing.
func TestE2ERegistryMetricsCollisions(t *testing.T) {
	c := startRegistryRun(t, repoFile(t, "otelcol-config.yaml"))
	defer c.stop(t)
	base := c.registry

	body := strings.Replace(collidingOTLP, "%s", collidingResource("web-1", 7)+","+collidingResource("web-2", 9), 1)
	resp, err := http.Post(c.otlpHTTP+"/v1/metrics", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var text string
	eventually(t, 30*time.Second, func() error {
		b, resp := get(t, base+"/metrics")
		text = string(b)
		if resp.StatusCode != http.StatusOK || !strings.Contains(text, `host_name="web-2"`) {
			return errorf("/metrics %d:\n%s", resp.StatusCode, text)
		}
		return nil
	})
	assert.Contains(t, text, `tasker_task_completed_total{host_name="web-1",job="tasker",status="ok"} 7`)
	assert.Contains(t, text, `tasker_task_completed_total{host_name="web-2",job="tasker",status="ok"} 9`)
	assert.Contains(t, text, `target_info{host_name="web-1",job="tasker"} 1`)
	assert.Contains(t, text, `target_info{host_name="web-2",job="tasker"} 1`)
	if path, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(path, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool: %s\n%s", out, text)
	} else if os.Getenv("CI") == "true" {
		t.Fatal("promtool not found: install the Debian package \"prometheus\"")
	}

	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var om bytes.Buffer
	_, err = om.ReadFrom(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "application/openmetrics-text; version=1.0.0; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasSuffix(om.String(), "# EOF\n"), om.String())

	var stats struct {
		Plugins map[string]struct {
			Dropped uint64 `json:"dropped"`
			Exports uint64 `json:"exports"`
		} `json:"plugins"`
	}
	getJSON(t, base+"/v1/stats", &stats)
	assert.Zero(t, stats.Plugins["prometheus"].Dropped)
	assert.GreaterOrEqual(t, stats.Plugins["prometheus"].Exports, uint64(2))
}

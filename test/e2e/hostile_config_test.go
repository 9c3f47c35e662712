// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate runs `otelcol-tasker validate` and returns its output and whether it passed.
func validate(t *testing.T, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(tool(t, "OTELCOL_TASKER_BIN"), append([]string{"validate"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestE2EHostileConfig: durations without a unit are refused for every component of
// ours, naming the option; lower bounds hold; the receiver refuses a non-loopback
// endpoint without a secret, which makes the Kubernetes manifest refuse to start
// without its Secret.
func TestE2EHostileConfig(t *testing.T) {
	shipped := repoFile(t, "otelcol-config.yaml")
	out, ok := validate(t, nil, "--config", shipped, "--set", "processors::tasker_cache::interval=30")
	require.False(t, ok, "interval: 30 must not validate:\n%s", out)
	assert.Contains(t, out, `interval: 30 has no unit; a duration needs one, e.g. "30s" or "30ms" (a bare number would be read as 30 nanoseconds)`)

	bare := filepath.Join(t.TempDir(), "bare.yaml")
	require.NoError(t, os.WriteFile(bare, []byte(`
extensions:
  tasker_registry:
    export_timeout: 30
receivers:
  tasker:
    http:
      read_timeout: 30
    spans:
      max_age: 3600
processors:
  tasker_cache:
    retention: 300
exporters:
  tasker_json:
    path: ./out/{signal}.json
    flush_interval: 1
  tasker_csv:
    path: ./out/{signal}.csv
service:
  extensions: [tasker_registry]
  pipelines:
    metrics:
      receivers: [tasker]
      processors: [tasker_cache]
      exporters: [tasker_json, tasker_csv]
`), 0o644))
	out, ok = validate(t, nil, "--config", bare)
	require.False(t, ok, out)
	for _, want := range []string{
		"export_timeout: 30 has no unit",
		"http::read_timeout: 30 has no unit",
		"spans::max_age: 3600 has no unit",
		"retention: 300 has no unit",
		"flush_interval: 1 has no unit",
	} {
		assert.Contains(t, out, want)
	}
	// The collector reports one component per kind: tasker_csv on its own.
	out, ok = validate(t, nil, "--config", shipped, "--set", "exporters::tasker_csv::retry_on_failure::initial_interval=5")
	require.False(t, ok, out)
	assert.Contains(t, out, "retry_on_failure::initial_interval: 5 has no unit")

	out, ok = validate(t, nil, "--config", shipped, "--set", "processors::tasker_cache::interval=100ms",
		"--set", "exporters::tasker_json::flush_interval=100us")
	require.False(t, ok, out)
	assert.Contains(t, out, "interval must be at least 1s (one export of the aggregate per interval), got 100ms")
	assert.Contains(t, out, "flush_interval must be at least 1ms (0 flushes after every export), got 100µs")

	out, ok = validate(t, nil, "--config", shipped, "--set", "receivers::tasker::http::endpoint=0.0.0.0:4320")
	require.False(t, ok, out)
	assert.Contains(t, out, `endpoint "0.0.0.0:4320" accepts connections from other hosts but no secret (or auth) is set`)
	out, ok = validate(t, nil, "--config", shipped, "--set", "receivers::tasker::http::endpoint=0.0.0.0:4320",
		"--set", "receivers::tasker::http::insecure=true")
	assert.True(t, ok, out)

	// The manifest's collector config: refused without the Secret's value, valid with it.
	k8s := filepath.Join(t.TempDir(), "k8s.yaml")
	require.NoError(t, os.WriteFile(k8s, []byte(manifestConfig(t)), 0o644))
	out, ok = validate(t, []string{"TASKER_WEBHOOK_SECRET=", "POD_NAME=p"}, "--config", k8s)
	require.False(t, ok, out)
	assert.Contains(t, out, `endpoint "0.0.0.0:4320" accepts connections from other hosts but no secret (or auth) is set`)
	out, ok = validate(t, []string{"TASKER_WEBHOOK_SECRET=s3cret", "POD_NAME=p"}, "--config", k8s)
	assert.True(t, ok, out)
}

// manifestConfig is the collector configuration of deploy/kubernetes (the ConfigMap's
// config.yaml block).
func manifestConfig(t *testing.T) string {
	raw, err := os.ReadFile(repoFile(t, "deploy/kubernetes/otelcol-tasker.yaml"))
	require.NoError(t, err)
	_, block, ok := bytes.Cut(raw, []byte("config.yaml: |\n"))
	require.True(t, ok, "the manifest has a config.yaml block")
	var lines [][]byte
	for _, l := range bytes.Split(block, []byte("\n")) {
		if string(l) == "---" {
			break
		}
		lines = append(lines, bytes.TrimPrefix(l, []byte("    ")))
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	testNow   = time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)
	testStart = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
)

func testBuilder(t testing.TB, mut func(*Config)) *builder {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if mut != nil {
		mut(cfg)
	}
	b, err := newBuilder(cfg, component.BuildInfo{Version: "test"})
	require.NoError(t, err)
	b.wantLogs, b.wantTraces, b.wantMetrics = true, true, true
	b.nowFunc = func() time.Time { return testNow }
	b.startTime = testStart
	return b
}

func parseFile(t testing.TB, name string) []tasker.Event {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "events", name))
	require.NoError(t, err)
	var events []tasker.Event
	require.NoError(t, tasker.ParseBatch(body, func(i int, ev tasker.Event, err error) {
		require.NoError(t, err, "item %d", i)
		events = append(events, ev)
	}))
	return events
}

func checkGolden(t *testing.T, name string, out *batch) {
	t.Helper()
	dir := filepath.Join("testdata", "golden")
	lp, tp, mp := filepath.Join(dir, name+"_logs.yaml"), filepath.Join(dir, name+"_traces.yaml"), filepath.Join(dir, name+"_metrics.yaml")
	if *update {
		require.NoError(t, golden.WriteLogs(t, lp, out.logs))
		require.NoError(t, golden.WriteTraces(t, tp, out.traces))
		require.NoError(t, golden.WriteMetrics(t, mp, out.metrics, golden.SkipMetricTimestampNormalization()))
	}
	wl, err := golden.ReadLogs(lp)
	require.NoError(t, err)
	assert.NoError(t, plogtest.CompareLogs(wl, out.logs))
	wt, err := golden.ReadTraces(tp)
	require.NoError(t, err)
	assert.NoError(t, ptracetest.CompareTraces(wt, out.traces))
	wm, err := golden.ReadMetrics(mp)
	require.NoError(t, err)
	assert.NoError(t, pmetrictest.CompareMetrics(wm, out.metrics, pmetrictest.IgnoreResourceMetricsOrder(), pmetrictest.IgnoreMetricsOrder(), pmetrictest.IgnoreMetricDataPointsOrder()))
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		mut        func(*Config)
	}{
		{"lifecycle", "lifecycle.ndjson", nil},
		{"retries", "retries.ndjson", nil},
		{"missing_starts", "missing_starts.ndjson", nil},
		{"custom", "custom.ndjson", nil},
		{"tasker_naming", "lifecycle.ndjson", func(c *Config) { c.MetricNaming = MetricNamingTasker }},
		{"routes", "lifecycle.ndjson", func(c *Config) {
			zero := 0.0
			c.Routes = []RouteConfig{
				{Match: "workflow.*", Drop: true},
				{Match: "/^step\\.(before_handle|execution_requested)$/", Signals: []string{"logs"}},
				{Match: "task.initialize_requested", SamplingRate: &zero},
			}
		}},
		{"disabled_metrics", "retries.ndjson", func(c *Config) {
			c.Metrics.TaskerEvents.Enabled = false
			c.Metrics.TaskerStepBackoffDuration.Enabled = false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testBuilder(t, tc.mut)
			checkGolden(t, tc.name, b.build(parseFile(t, tc.file)))
		})
	}
}

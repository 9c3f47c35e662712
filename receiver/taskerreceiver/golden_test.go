// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
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

// readFixture reads testdata/<dir>/<name>.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

// parseBody parses an HTTP body (one event, an array or NDJSON); every item must parse.
func parseBody(t testing.TB, body []byte) []tasker.Event {
	t.Helper()
	var events []tasker.Event
	require.NoError(t, tasker.ParseBatch(body, func(i int, ev tasker.Event, err error) {
		require.NoError(t, err, "item %d", i)
		events = append(events, ev)
	}))
	return events
}

func parseFile(t testing.TB, name string) []tasker.Event {
	t.Helper()
	return parseBody(t, readFixture(t, filepath.Join("events", name)))
}

// asArray turns an NDJSON body into a JSON array of the same events.
func asArray(ndjson []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(ndjson), []byte("\n"))
	return append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]"...)
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
		{"missing_starts", "events/missing_starts.ndjson", nil},
		{"custom", "events/custom.ndjson", nil},
		{"tasker_naming", "tasker/task_end_twice.ndjson", func(c *Config) { c.MetricNaming = MetricNamingTasker }},
		{"routes", "tasker/task_end_twice.ndjson", func(c *Config) {
			zero := 0.0
			c.Routes = []RouteConfig{
				{Match: "workflow.*", Drop: true},
				{Match: "/^step\\.(before_handle|execution_requested)$/", Signals: []string{"logs"}},
				{Match: "observability.task.enqueue", SamplingRate: &zero},
			}
		}},
		{"disabled_metrics", "tasker/failure_retry.ndjson", func(c *Config) {
			c.Metrics.TaskerEvents.Enabled = false
			c.Metrics.TaskerStepRetries.Enabled = false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testBuilder(t, tc.mut)
			checkGolden(t, tc.name, b.build(parseBody(t, readFixture(t, tc.file)), "", true))
		})
	}
}

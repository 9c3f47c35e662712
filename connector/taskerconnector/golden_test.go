// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

// goldenCase is one publishing sequence: processes (one subscriber each) whose ended
// spans are exported in batches of `batch` spans (0: one batch per process).
type goldenCase struct {
	name    string
	service string
	batch   int
	host    bool
	runs    []taskScript // each run in its own process, in order
	// expected outcome counts: "step/<task name>/<step name>/<outcome>" and
	// "task/<task name>/<outcome>"; checked besides the golden files.
	want map[string]int64
}

func goldenCases() []goldenCase {
	ok := func(id int, name string, work time.Duration) stepScript {
		return stepScript{id: id, name: name, work: work}
	}
	return []goldenCase{
		{
			name: "success",
			runs: []taskScript{{id: 101, name: "order_fulfillment", end: "completed", steps: []stepScript{
				ok(1001, "validate_order", 20*time.Millisecond), ok(1002, "reserve_inventory", 300*time.Millisecond), ok(1003, "ship", 1200*time.Millisecond)}}},
			want: map[string]int64{"step/order_fulfillment/validate_order/completed": 1, "step/order_fulfillment/reserve_inventory/completed": 1,
				"step/order_fulfillment/ship/completed": 1, "task/order_fulfillment/completed": 1},
		},
		{
			name: "failed_final",
			runs: []taskScript{{id: 102, name: "billing", end: "failed", steps: []stepScript{
				ok(2001, "charge_card", 40*time.Millisecond),
				{id: 2002, name: "send_receipt", work: 2 * time.Second, fail: true, errMsg: "SMTP timeout", limit: 1}}}},
			want: map[string]int64{"step/billing/charge_card/completed": 1, "step/billing/send_receipt/failed": 1, "task/billing/failed": 1},
		},
		{
			// Run 1: a retry-eligible failure leaves the task pending (no task span ends);
			// run 2, after the step was reset outside the engine: attempt 2 succeeds.
			name: "retry_then_complete",
			runs: []taskScript{
				{id: 103, name: "sync", end: "pending", steps: []stepScript{{id: 3001, name: "fetch", work: 70 * time.Millisecond, fail: true, errMsg: "503 from upstream"}}},
				{id: 103, name: "sync", end: "completed", steps: []stepScript{{id: 3001, name: "fetch", work: 80 * time.Millisecond, attempt: 2}}},
			},
			want: map[string]int64{"step/sync/fetch/failed": 1, "step/sync/fetch/completed": 1, "task/sync/completed": 1},
		},
		{
			// Small export batches: attempts straddle batches, the task span comes last.
			name:  "split_batches",
			batch: 4,
			runs: []taskScript{{id: 104, name: "report", end: "completed", steps: []stepScript{
				ok(4001, "query", 8*time.Millisecond), ok(4002, "render", 600*time.Millisecond)}}},
			want: map[string]int64{"step/report/query/completed": 1, "step/report/render/completed": 1, "task/report/completed": 1},
		},
		{
			// Under an auto-instrumented ActiveJob span: the host span passes through.
			name: "host_traces",
			host: true,
			runs: []taskScript{{id: 105, name: "welcome_email", end: "completed", steps: []stepScript{ok(5001, "deliver", 150*time.Millisecond)}}},
			want: map[string]int64{"step/welcome_email/deliver/completed": 1, "task/welcome_email/completed": 1},
		},
		{
			// The pending→in_progress transition fails: two terminal spans, both n.
			name: "transition_failed",
			runs: []taskScript{{id: 106, name: "import", end: "failed", steps: []stepScript{
				{id: 6001, name: "load", noHandler: true, errMsg: "Cannot transition step 6001 from 'pending' to 'in_progress'", limit: 1}}}},
			want: map[string]int64{"step/import/load/failed": 1, "task/import/failed": 1},
		},
		{
			// telemetry.service_name = "billing_app": scope name and attribute prefix.
			name:    "service_name",
			service: "billing_app",
			runs:    []taskScript{{id: 107, name: "invoice", end: "completed", steps: []stepScript{ok(7001, "render_pdf", 90*time.Millisecond)}}},
			want:    map[string]int64{"step/invoice/render_pdf/completed": 1, "task/invoice/completed": 1},
		},
	}
}

// input is the case's OTLP batches, built as TelemetrySubscriber builds them.
func (gc *goldenCase) input() []ptrace.Traces {
	service := gc.service
	if service == "" {
		service = DefaultServiceName
	}
	var out []ptrace.Traces
	clock := t0
	for i := range gc.runs {
		s := newSubscriber(service, clock)
		s.nextID = uint64(i) << 32
		s.runTask(&gc.runs[i], gc.host)
		out = append(out, s.export(gc.batch, "OpenTelemetry::Instrumentation::ActiveJob")...)
		clock = s.clock.Add(time.Minute)
	}
	return out
}

// runConnector feeds batches to a connector of cfg and returns everything it sent on,
// after its shutdown.
func runConnector(t *testing.T, cfg *Config, batches []ptrace.Traces, traces bool) (pmetric.Metrics, ptrace.Traces) {
	t.Helper()
	ms, ts := new(consumertest.MetricsSink), new(consumertest.TracesSink)
	c, err := newConnector(componenttest.NewNopTelemetrySettings(), component.BuildInfo{Version: "test"}, cfg)
	require.NoError(t, err)
	if traces {
		c.nextTraces = ts
	} else {
		c.nextMetrics = ms
	}
	now := t0.Add(time.Hour)
	c.now = func() time.Time { return now }
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	for _, b := range batches {
		in := ptrace.NewTraces()
		b.CopyTo(in)
		require.NoError(t, c.ConsumeTraces(context.Background(), in))
		now = now.Add(time.Second)
	}
	require.NoError(t, c.Shutdown(context.Background()))
	md := pmetric.NewMetrics()
	for _, m := range ms.AllMetrics() {
		m.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	}
	td := ptrace.NewTraces()
	for _, tr := range ts.AllTraces() {
		tr.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return md, td
}

func caseConfig(gc *goldenCase) *Config {
	cfg := createDefaultConfig()
	if gc.service != "" {
		cfg.ServiceName = gc.service
	}
	return cfg
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", gc.name)
			batches := gc.input()
			// The input itself is a golden: a change of the emulation shows in review.
			all := ptrace.NewTraces()
			for _, b := range batches {
				for i := 0; i < b.ResourceSpans().Len(); i++ {
					b.ResourceSpans().At(i).CopyTo(all.ResourceSpans().AppendEmpty())
				}
			}
			md, _ := runConnector(t, caseConfig(&gc), batches, false)
			_, td := runConnector(t, caseConfig(&gc), batches, true)
			ip, mp, tp := filepath.Join(dir, "input_traces.yaml"), filepath.Join(dir, "metrics.yaml"), filepath.Join(dir, "traces.yaml")
			if *update {
				require.NoError(t, os.MkdirAll(dir, 0o755))
				require.NoError(t, golden.WriteTraces(t, ip, all))
				require.NoError(t, golden.WriteMetrics(t, mp, md, golden.SkipMetricTimestampNormalization()))
				require.NoError(t, golden.WriteTraces(t, tp, td))
			}
			wi, err := golden.ReadTraces(ip)
			require.NoError(t, err)
			assert.NoError(t, ptracetest.CompareTraces(wi, all))
			wm, err := golden.ReadMetrics(mp)
			require.NoError(t, err)
			assert.NoError(t, pmetrictest.CompareMetrics(wm, md, pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp()))
			wt, err := golden.ReadTraces(tp)
			require.NoError(t, err)
			assert.NoError(t, ptracetest.CompareTraces(wt, td))

			assert.Equal(t, gc.want, outcomeCounts(md))
		})
	}
}

// outcomeCounts sums the outcome counters by kind, names and outcome.
func outcomeCounts(md pmetric.Metrics) map[string]int64 {
	got := map[string]int64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		sms := md.ResourceMetrics().At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				kind := map[string]string{"tasker.step.outcomes": "step", "tasker.task.outcomes": "task"}[m.Name()]
				if kind == "" {
					continue
				}
				for p := 0; p < m.Sum().DataPoints().Len(); p++ {
					dp := m.Sum().DataPoints().At(p)
					key := kind
					for _, a := range []string{"tasker.task.name", "tasker.step.name", "tasker.outcome"} {
						if v, ok := dp.Attributes().Get(a); ok {
							key += "/" + v.Str()
						}
					}
					got[key] += dp.IntValue()
				}
			}
		}
	}
	return got
}

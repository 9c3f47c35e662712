// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
)

func TestPrometheusCollisionsGetResourceLabels(t *testing.T) {
	out, res, err := encodeProm(promtexttest.TwoProcesses(), promtext.Options{})
	require.NoError(t, err)
	assert.Zero(t, res.Dropped, out)
	assert.Equal(t, 7, res.Items)
	assert.Equal(t, `# HELP queue_depth Tasker gauge metric: queue_depth
# TYPE queue_depth gauge
queue_depth{host_name="web-2",job="tasker"} 3
# HELP target_info Target metadata
# TYPE target_info gauge
target_info{host_name="web-1",job="tasker",process_pid="11"} 1
target_info{host_name="web-2",job="tasker",process_pid="11"} 1
target_info{host_name="web-1",job="other",process_pid="12"} 1
# HELP tasker_task_completed_total Tasker counter metric: tasker.task.completed
# TYPE tasker_task_completed_total counter
tasker_task_completed_total{host_name="web-1",job="tasker",status="ok"} 10
tasker_task_completed_total{host_name="web-1",job="tasker",status="failed"} 11
tasker_task_completed_total{host_name="web-2",job="tasker",status="ok"} 10
tasker_task_completed_total{host_name="web-2",job="tasker",status="failed"} 11
tasker_task_completed_total{job="other",status="ok"} 10
tasker_task_completed_total{job="other",status="failed"} 11
`, out)
	promtexttest.PromtoolCheck(t, out)

	// Without job/instance, service.name tells the third resource apart only when it
	// collides: here it does (same series without job), so service_name is added too.
	out, res, err = encodeProm(promtexttest.TwoProcesses(), promtext.Options{NoJobInstanceLabels: true, NoTargetInfo: true})
	require.NoError(t, err)
	assert.Zero(t, res.Dropped)
	assert.Contains(t, out, `tasker_task_completed_total{host_name="web-1",process_pid="11",service_name="tasker",status="ok"} 10`)
	assert.Contains(t, out, `tasker_task_completed_total{host_name="web-1",process_pid="12",service_name="other",status="ok"} 10`)
	assert.NotContains(t, out, "target_info")
	promtexttest.PromtoolCheck(t, out)
}

func TestPrometheusIdenticalResourcesAreCounted(t *testing.T) {
	md := promtexttest.TwoProcesses()
	md.ResourceMetrics().At(0).CopyTo(md.ResourceMetrics().AppendEmpty())
	out, res, err := encodeProm(md, promtext.Options{})
	require.NoError(t, err)
	// The copy's two series cannot be told apart from the original's: left out, counted.
	assert.Equal(t, 2, res.Dropped)
	assert.Equal(t, map[string]int{promtext.DropDuplicate: 2}, res.DroppedByReason)
	assert.Equal(t, 1, strings.Count(out, `target_info{host_name="web-1",job="tasker",process_pid="11"}`))
	promtexttest.PromtoolCheck(t, out)
}

func TestPrometheusOpenMetrics(t *testing.T) {
	var buf bytes.Buffer
	enc := promtext.NewEncoder(promtext.Options{})
	res, err := enc.Encode(promtext.WithOpenMetrics(context.Background()), promtext.Format, promtexttest.Aggregate(), &buf)
	require.NoError(t, err)
	out := buf.String()
	assert.Equal(t, promtext.OpenMetricsContentType, res.ContentType)
	assert.True(t, strings.HasSuffix(out, "\n# EOF\n"), out)
	assert.Contains(t, out, "# TYPE task_completed counter\n")
	assert.Contains(t, out, `task_completed_total{instance="web-1",job="billing",status="ok",tasker_task_name="order_fulfillment"} 40.0`)
	assert.Contains(t, out, `step_duration_seconds_bucket{instance="web-1",job="billing",step_name="charge_card",le="1.0"} 34`)
	assert.Equal(t, int64(len(out)), res.Bytes)

	// The plain text is still the default.
	buf.Reset()
	res, err = enc.Encode(context.Background(), promtext.Format, promtexttest.Aggregate(), &buf)
	require.NoError(t, err)
	assert.Empty(t, res.ContentType)
	assert.NotContains(t, buf.String(), "# EOF")
}

// TestWriterMatchesExpfmt: the writer writes exactly what expfmt writes for the same
// families, in both formats, on every fixture.
func TestWriterMatchesExpfmt(t *testing.T) {
	for name, md := range map[string]pmetric.Metrics{
		"aggregate":     promtexttest.Aggregate(),
		"edge_cases":    edgeCaseMetrics(),
		"two_processes": promtexttest.TwoProcesses(),
		"bench":         promtexttest.BenchAggregate(9, 20),
		"numbers":       numbersFixture(),
	} {
		for _, om := range []bool{false, true} {
			enc := promtext.NewEncoder(promtext.Options{ResourceAttributes: []string{"host.name"}})
			ctx := context.Background()
			if om {
				ctx = promtext.WithOpenMetrics(ctx)
			}
			var got bytes.Buffer
			_, err := enc.Encode(ctx, promtext.Format, md, &got)
			require.NoError(t, err)
			want := expfmtEncode(t, enc, md, om)
			require.Equal(t, want, got.String(), "%s, openmetrics=%v", name, om)
		}
	}
}

// numbersFixture has values around the integral / exponent boundaries of the formats.
func numbersFixture() pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty()
	g.SetName("values")
	gauge := g.SetEmptyGauge()
	for i, v := range []float64{999999, 1e6, -999999, -1e6, 123456789, 0.5, 2.5e-5, 1e-7, 4503599627370496, 1 << 62} {
		dp := gauge.DataPoints().AppendEmpty()
		dp.SetDoubleValue(v)
		dp.Attributes().PutInt("i", int64(i))
	}
	c := ms.AppendEmpty()
	c.SetName("big_counter")
	sum := c.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sum.DataPoints().AppendEmpty().SetIntValue(1234567)
	h := ms.AppendEmpty()
	h.SetName("big_hist")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hp := h.Histogram().DataPoints().AppendEmpty()
	hp.ExplicitBounds().FromRaw([]float64{1e-3, 1, 1e6, 2.5e7})
	hp.BucketCounts().FromRaw([]uint64{999999, 1, 5_000_000, 0, 3})
	hp.SetCount(6_000_003)
	hp.SetSum(1e9)
	return md
}

// expfmtEncode converts md as the encoder does and writes it with expfmt.
func expfmtEncode(t testing.TB, enc *promtext.Encoder, md pmetric.Metrics, om bool) string {
	var buf bytes.Buffer
	_, err := enc.EncodeExpfmt(context.Background(), md, &buf, om)
	require.NoError(t, err)
	return buf.String()
}

func TestPrometheusTextParsesAfterCollisions(t *testing.T) {
	out, _, err := encodeProm(promtexttest.TwoProcesses(), promtext.Options{})
	require.NoError(t, err)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(out))
	require.NoError(t, err)
	assert.Len(t, fams["tasker_task_completed_total"].GetMetric(), 6)
	assert.Len(t, fams[promtext.TargetInfoName].GetMetric(), 3)
}

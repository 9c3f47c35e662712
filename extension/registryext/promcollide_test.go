// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

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
)

// twoProcesses is the case of issue 12: two Tasker processes with the same service.name
// and no service.instance.id report the same series; they differ in host.name and
// process.pid. A third resource of another service does not collide.
func twoProcesses() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, r := range []struct{ svc, host, pid string }{{"tasker", "web-1", "11"}, {"tasker", "web-2", "11"}, {"other", "web-1", "12"}} {
		rm := md.ResourceMetrics().AppendEmpty()
		a := rm.Resource().Attributes()
		a.PutStr("service.name", r.svc)
		a.PutStr("host.name", r.host)
		a.PutStr("process.pid", r.pid)
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()
		s := ms.AppendEmpty()
		s.SetName("tasker.task.completed")
		sum := s.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for i, status := range []string{"ok", "failed"} {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetIntValue(int64(10 + i))
			dp.Attributes().PutStr("status", status)
		}
		// A family where only this resource reports: its series get the labels too, so
		// every series of a resource has the same resource labels.
		if r.host == "web-2" {
			g := ms.AppendEmpty()
			g.SetName("queue_depth")
			g.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(3)
		}
	}
	return md
}

func TestPrometheusCollisionsGetResourceLabels(t *testing.T) {
	out, res, err := encodeProm(twoProcesses(), PrometheusOptions{})
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
	promtoolCheck(t, out)

	// Without job/instance, service.name tells the third resource apart only when it
	// collides: here it does (same series without job), so service_name is added too.
	out, res, err = encodeProm(twoProcesses(), PrometheusOptions{NoJobInstanceLabels: true, NoTargetInfo: true})
	require.NoError(t, err)
	assert.Zero(t, res.Dropped)
	assert.Contains(t, out, `tasker_task_completed_total{host_name="web-1",process_pid="11",service_name="tasker",status="ok"} 10`)
	assert.Contains(t, out, `tasker_task_completed_total{host_name="web-1",process_pid="12",service_name="other",status="ok"} 10`)
	assert.NotContains(t, out, "target_info")
	promtoolCheck(t, out)
}

func TestPrometheusIdenticalResourcesAreCounted(t *testing.T) {
	md := twoProcesses()
	md.ResourceMetrics().At(0).CopyTo(md.ResourceMetrics().AppendEmpty())
	out, res, err := encodeProm(md, PrometheusOptions{})
	require.NoError(t, err)
	// The copy's two series cannot be told apart from the original's: left out, counted.
	assert.Equal(t, 2, res.Dropped)
	assert.Equal(t, map[string]int{DropDuplicate: 2}, res.DroppedByReason)
	assert.Equal(t, 1, strings.Count(out, `target_info{host_name="web-1",job="tasker",process_pid="11"}`))
	promtoolCheck(t, out)
}

func TestPrometheusOpenMetrics(t *testing.T) {
	var buf bytes.Buffer
	enc := NewPrometheusEncoder(PrometheusOptions{})
	res, err := enc.Encode(withOpenMetrics(context.Background()), FormatPrometheus, aggregate(), &buf)
	require.NoError(t, err)
	out := buf.String()
	assert.Equal(t, OpenMetricsContentType, res.ContentType)
	assert.True(t, strings.HasSuffix(out, "\n# EOF\n"), out)
	assert.Contains(t, out, "# TYPE task_completed counter\n")
	assert.Contains(t, out, `task_completed_total{instance="web-1",job="billing",status="ok",tasker_task_name="order_fulfillment"} 40.0`)
	assert.Contains(t, out, `step_duration_seconds_bucket{instance="web-1",job="billing",step_name="charge_card",le="1.0"} 34`)
	assert.Equal(t, int64(len(out)), res.Bytes)

	// The plain text is still the default.
	buf.Reset()
	res, err = enc.Encode(context.Background(), FormatPrometheus, aggregate(), &buf)
	require.NoError(t, err)
	assert.Empty(t, res.ContentType)
	assert.NotContains(t, buf.String(), "# EOF")
}

// TestWriterMatchesExpfmt: the writer writes exactly what expfmt writes for the same
// families, in both formats, on every fixture.
func TestWriterMatchesExpfmt(t *testing.T) {
	for name, md := range map[string]pmetric.Metrics{
		"aggregate":     aggregate(),
		"edge_cases":    edgeCaseMetrics(),
		"two_processes": twoProcesses(),
		"bench":         benchAggregate(9, 20),
		"numbers":       numbersFixture(),
	} {
		for _, om := range []bool{false, true} {
			enc := NewPrometheusEncoder(PrometheusOptions{ResourceAttributes: []string{"host.name"}})
			ctx := context.Background()
			if om {
				ctx = withOpenMetrics(ctx)
			}
			var got bytes.Buffer
			_, err := enc.Encode(ctx, FormatPrometheus, md, &got)
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
func expfmtEncode(t testing.TB, enc *PrometheusEncoder, md pmetric.Metrics, om bool) string {
	st := newConvState()
	st.enc = enc
	st.convert(md)
	var buf bytes.Buffer
	for _, f := range st.families() {
		var err error
		if om {
			_, err = expfmt.MetricFamilyToOpenMetrics(&buf, f)
		} else {
			_, err = expfmt.MetricFamilyToText(&buf, f)
		}
		require.NoError(t, err)
	}
	if om {
		_, err := expfmt.FinalizeOpenMetrics(&buf)
		require.NoError(t, err)
	}
	return buf.String()
}

func TestPrometheusTextParsesAfterCollisions(t *testing.T) {
	out, _, err := encodeProm(twoProcesses(), PrometheusOptions{})
	require.NoError(t, err)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(out))
	require.NoError(t, err)
	assert.Len(t, fams["tasker_task_completed_total"].GetMetric(), 6)
	assert.Len(t, fams[TargetInfoName].GetMetric(), 3)
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext/promtexttest"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

func TestSanitizeNames(t *testing.T) {
	for in, want := range map[string]string{
		"task_completed_total": "task_completed_total",
		"http.server.duration": "http_server_duration",
		"queue-depth":          "queue_depth",
		"9lives":               "_9lives",
		"ns:sub:metric":        "ns:sub:metric",
		"a b/c":                "a_b_c",
		"héllo":                "h_llo",
		"_ok":                  "_ok",
		"":                     "_",
	} {
		assert.Equal(t, want, promtext.SanitizeMetricName(in), in)
	}
	for in, want := range map[string]string{
		"status":           "status",
		"tasker.task.name": "tasker_task_name",
		"ns:label":         "ns_label",
		"1st":              "_1st",
		"ünï":              "_n_",
		"__meta":           "__meta",
	} {
		assert.Equal(t, want, promtext.SanitizeLabelName(in), in)
	}
	assert.True(t, model.LegacyValidation.IsValidMetricName(promtext.SanitizeMetricName("0.weird-name!")))
	assert.True(t, model.LegacyValidation.IsValidLabelName(promtext.SanitizeLabelName("0.weird:label!")))
}

func TestPrometheusGolden(t *testing.T) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "billing")
	rm.Resource().Attributes().PutStr("service.instance.id", "web-1")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()

	m := ms.AppendEmpty()
	m.SetName("task_completed")
	m.SetDescription("Total number of tasks processed")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := s.DataPoints().AppendEmpty()
	dp.SetIntValue(42)
	dp.Attributes().PutStr("status", `ok "quoted" \ back`)

	m = ms.AppendEmpty()
	m.SetName("task_duration_seconds")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hdp := h.DataPoints().AppendEmpty()
	hdp.ExplicitBounds().FromRaw([]float64{0.5, 1, 2.5})
	hdp.BucketCounts().FromRaw([]uint64{1, 2, 0, 1})
	hdp.SetCount(4)
	hdp.SetSum(6.75)

	out, res, err := encodeProm(md, promtext.Options{})
	require.NoError(t, err)
	assert.Equal(t, `# HELP task_completed_total Total number of tasks processed
# TYPE task_completed_total counter
task_completed_total{instance="web-1",job="billing",status="ok \"quoted\" \\ back"} 42
# HELP task_duration_seconds Tasker histogram metric: task_duration_seconds
# TYPE task_duration_seconds histogram
task_duration_seconds_bucket{instance="web-1",job="billing",le="0.5"} 1
task_duration_seconds_bucket{instance="web-1",job="billing",le="1"} 3
task_duration_seconds_bucket{instance="web-1",job="billing",le="2.5"} 3
task_duration_seconds_bucket{instance="web-1",job="billing",le="+Inf"} 4
task_duration_seconds_sum{instance="web-1",job="billing"} 6.75
task_duration_seconds_count{instance="web-1",job="billing"} 4
`, out)
	assert.Equal(t, taskerregistry.Result{Items: 2, Bytes: int64(len(out))}, res)

	out, _, err = encodeProm(md, promtext.Options{NoJobInstanceLabels: true})
	require.NoError(t, err)
	assert.Contains(t, out, "task_duration_seconds_count 4\n")
	assert.Contains(t, out, `task_duration_seconds_bucket{le="+Inf"} 4`)
}

// edgeCaseMetrics has one of every case the encoder must handle.
func edgeCaseMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "svc")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	add := func(name string) pmetric.Metric {
		m := ms.AppendEmpty()
		m.SetName(name)
		return m
	}

	// Delta monotonic sum: a gauge holding the interval's value.
	s := add("delta_events").SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	s.DataPoints().AppendEmpty().SetIntValue(5)
	// Delta histogram and exponential histogram: dropped.
	dh := add("delta_hist").SetEmptyHistogram()
	dh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dh.DataPoints().AppendEmpty().SetCount(1)
	eh := add("exp_hist").SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	eh.DataPoints().AppendEmpty().SetCount(1)
	// No recorded value: dropped.
	g := add("flagged").SetEmptyGauge()
	g.DataPoints().AppendEmpty().SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	g.DataPoints().AppendEmpty().SetDoubleValue(1)
	// Duplicate series: the second dropped. Empty attribute value = no label.
	g = add("dup").SetEmptyGauge()
	d := g.DataPoints().AppendEmpty()
	d.SetIntValue(1)
	d.Attributes().PutStr("k", "v")
	d = g.DataPoints().AppendEmpty()
	d.SetIntValue(2)
	d.Attributes().PutStr("k", "v")
	d.Attributes().PutStr("empty", "")
	// Same family name, other type: dropped. (A non-monotonic sum would join the gauge.)
	ch := add("dup").SetEmptyHistogram()
	ch.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ch.DataPoints().AppendEmpty().SetCount(3)
	s = add("dup").SetEmptySum()
	s.SetIsMonotonic(false)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.DataPoints().AppendEmpty().SetIntValue(3)
	c := add("dup_total").SetEmptySum()
	c.SetIsMonotonic(true)
	c.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	c.DataPoints().AppendEmpty().SetIntValue(9)
	// A histogram owns lat_sum, lat_count and lat_bucket; an le attribute is renamed.
	h := add("lat").SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hp := h.DataPoints().AppendEmpty()
	hp.SetCount(2) // no buckets, no sum
	hp.Attributes().PutStr("le", "attr")
	add("lat_sum").SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	// Malformed histograms: dropped.
	hp = h.DataPoints().AppendEmpty()
	hp.ExplicitBounds().FromRaw([]float64{1, 2})
	hp.BucketCounts().FromRaw([]uint64{1})
	hp.Attributes().PutStr("case", "counts")
	hp = h.DataPoints().AppendEmpty()
	hp.ExplicitBounds().FromRaw([]float64{2, 1})
	hp.BucketCounts().FromRaw([]uint64{1, 1, 1})
	hp.Attributes().PutStr("case", "order")
	// Keys sanitising to the same label: values joined with ";" in key order.
	d = add("collide").SetEmptyGauge().DataPoints().AppendEmpty()
	d.SetDoubleValue(math.Inf(1))
	d.Attributes().PutStr("a_b", "2")
	d.Attributes().PutStr("a.b", "1")
	d.Attributes().PutStr("job", "mine") // an attribute wins over the resource's job
	d.Attributes().PutStr("bad", "x\xffy")
	d.Attributes().PutBool("flag", true)
	// Special values.
	g = add("special").SetEmptyGauge()
	for i, v := range []float64{math.NaN(), math.Inf(-1), 1e21, -1, 0} {
		p := g.DataPoints().AppendEmpty()
		p.SetDoubleValue(v)
		p.Attributes().PutInt("i", int64(i))
	}
	// Empty metric and empty name: dropped or skipped.
	add("empty")
	add("").SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	// Summary with a quantile attribute.
	sp := add("sum").SetEmptySummary().DataPoints().AppendEmpty()
	sp.Attributes().PutStr("quantile", "attr")
	sp.SetCount(1)
	sp.SetSum(2)
	return md
}

func TestPrometheusEdgeCases(t *testing.T) {
	out, res, err := encodeProm(edgeCaseMetrics(), promtext.Options{})
	require.NoError(t, err)
	for _, line := range []string{
		"# TYPE delta_events gauge\ndelta_events{job=\"svc\"} 5\n",
		"flagged{job=\"svc\"} 1\n",
		"# TYPE dup gauge\ndup{job=\"svc\",k=\"v\"} 1\ndup{job=\"svc\"} 3\n# HELP dup_total",
		"dup_total{job=\"svc\"} 9\n",
		// A histogram point without a sum gets _sum 0 (expfmt always writes it).
		"lat_bucket{exported_le=\"attr\",job=\"svc\",le=\"+Inf\"} 2\nlat_sum{exported_le=\"attr\",job=\"svc\"} 0\nlat_count{exported_le=\"attr\",job=\"svc\"} 2\n",
		"collide{a_b=\"1;2\",bad=\"x\uFFFDy\",flag=\"true\",job=\"mine\"} +Inf\n",
		"special{i=\"0\",job=\"svc\"} NaN\n",
		"special{i=\"1\",job=\"svc\"} -Inf\n",
		"special{i=\"2\",job=\"svc\"} 1e+21\n",
		"special{i=\"3\",job=\"svc\"} -1\n",
		"special{i=\"4\",job=\"svc\"} 0\n",
		"sum{exported_quantile=\"attr\",job=\"svc\"} ",
		"sum_sum{exported_quantile=\"attr\",job=\"svc\"} 2\nsum_count{exported_quantile=\"attr\",job=\"svc\"} 1\n",
	} {
		assert.Contains(t, out, line)
	}
	for _, absent := range []string{"delta_hist", "exp_hist", "lat_sum{job", "TYPE lat_sum", "empty", "case="} {
		assert.NotContains(t, out, absent)
	}
	// Dropped: delta_hist, exp_hist, flagged, second dup, dup histogram, lat_sum, 2
	// malformed, "".
	assert.Equal(t, 9, res.Dropped)
	assert.Equal(t, map[string]int{promtext.DropUnsupported: 2, promtext.DropNoRecordedValue: 1, promtext.DropDuplicate: 1, promtext.DropTypeConflict: 1,
		promtext.DropNameClash: 1, promtext.DropMalformed: 2, promtext.DropNoName: 1}, res.DroppedByReason)
	assert.Equal(t, 1+1+2+1+1+1+5+1, res.Items)

	var p expfmt.TextParser = expfmt.NewTextParser(model.LegacyValidation)
	_, err = p.TextToMetricFamilies(strings.NewReader(out))
	require.NoError(t, err)
	t.Run("promtool", func(t *testing.T) { promtexttest.PromtoolCheck(t, out) })
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errBoom
}

func TestPrometheusErrors(t *testing.T) {
	enc := promtext.NewEncoder(promtext.Options{})
	_, err := enc.Encode(context.Background(), promtext.Format, promtexttest.Aggregate(), &failingWriter{})
	require.ErrorIs(t, err, errBoom)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	_, err = enc.Encode(ctx, promtext.Format, promtexttest.Aggregate(), &buf)
	require.ErrorIs(t, err, context.Canceled)

	// The state goes back to the pool clean: the next encoding is complete.
	out, res, err := encodeProm(promtexttest.Aggregate(), promtext.Options{})
	require.NoError(t, err)
	buf.Reset()
	res2, err := enc.Encode(context.Background(), promtext.Format, promtexttest.Aggregate(), &buf)
	require.NoError(t, err)
	assert.Equal(t, out, buf.String())
	assert.Equal(t, res, res2)

	// Large output flushes in pieces and still parses.
	big := promtexttest.BenchAggregate(20, 150)
	buf.Reset()
	res, err = enc.Encode(context.Background(), promtext.Format, big, &buf)
	require.NoError(t, err)
	assert.Equal(t, big.DataPointCount(), res.Items)
	assert.Equal(t, int64(buf.Len()), res.Bytes)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	require.NoError(t, err)
	assert.Len(t, fams, 20)
}

func TestPrometheusRoundTrip(t *testing.T) {
	md := promtexttest.Aggregate()
	out, res, err := encodeProm(md, promtext.Options{})
	require.NoError(t, err)
	assert.Equal(t, md.DataPointCount(), res.Items)
	assert.Zero(t, res.Dropped)
	promtexttest.AssertRoundTrip(t, out, md)

	big := promtexttest.BenchAggregate(10, 100)
	out, _, err = encodeProm(big, promtext.Options{})
	require.NoError(t, err)
	promtexttest.AssertRoundTrip(t, out, big)
}

func TestPrometheusResourceAttributes(t *testing.T) {
	out, _, err := encodeProm(promtexttest.Aggregate(), promtext.Options{ResourceAttributes: []string{"host.name", "host.name", "", "absent"}})
	require.NoError(t, err)
	assert.Contains(t, out, `queue_depth{host_name="host-web-1",instance="web-1",job="billing"} -7`)
	assert.NotContains(t, out, "absent")
}

func TestPromtoolCheckMetrics(t *testing.T) {
	out, _, err := encodeProm(promtexttest.Aggregate(), promtext.Options{ResourceAttributes: []string{"host.name"}})
	require.NoError(t, err)
	promtexttest.PromtoolCheck(t, out)
	out, _, err = encodeProm(promtexttest.BenchAggregate(5, 50), promtext.Options{})
	require.NoError(t, err)
	promtexttest.PromtoolCheck(t, out)
}

func TestSanitizeErrorsAreNotSilent(t *testing.T) {
	// The encoder never produces an invalid name for any input.
	for _, n := range []string{"", "0", "..", "a\x00b", "ü"} {
		assert.True(t, model.LegacyValidation.IsValidMetricName(promtext.SanitizeMetricName(n)), n)
		assert.True(t, model.LegacyValidation.IsValidLabelName(promtext.SanitizeLabelName(n)), n)
	}
}

var errBoom = errors.New("boom")

func encodeProm(md pmetric.Metrics, opts promtext.Options) (string, taskerregistry.Result, error) {
	var buf bytes.Buffer
	res, err := promtext.NewEncoder(opts).Encode(context.Background(), promtext.Format, md, &buf)
	return buf.String(), res, err
}

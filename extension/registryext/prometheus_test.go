// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

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
		assert.Equal(t, want, SanitizeMetricName(in), in)
	}
	for in, want := range map[string]string{
		"status":           "status",
		"tasker.task.name": "tasker_task_name",
		"ns:label":         "ns_label",
		"1st":              "_1st",
		"ünï":              "_n_",
		"__meta":           "__meta",
	} {
		assert.Equal(t, want, SanitizeLabelName(in), in)
	}
	assert.True(t, model.LegacyValidation.IsValidMetricName(SanitizeMetricName("0.weird-name!")))
	assert.True(t, model.LegacyValidation.IsValidLabelName(SanitizeLabelName("0.weird:label!")))
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

	out, res, err := encodeProm(md, PrometheusOptions{})
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

	out, _, err = encodeProm(md, PrometheusOptions{NoJobInstanceLabels: true})
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
	out, res, err := encodeProm(edgeCaseMetrics(), PrometheusOptions{})
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
	assert.Equal(t, map[string]int{DropUnsupported: 2, DropNoRecordedValue: 1, DropDuplicate: 1, DropTypeConflict: 1,
		DropNameClash: 1, DropMalformed: 2, DropNoName: 1}, res.DroppedByReason)
	assert.Equal(t, 1+1+2+1+1+1+5+1, res.Items)

	var p expfmt.TextParser = expfmt.NewTextParser(model.LegacyValidation)
	_, err = p.TextToMetricFamilies(strings.NewReader(out))
	require.NoError(t, err)
	t.Run("promtool", func(t *testing.T) { promtoolCheck(t, out) })
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errBoom
}

func TestPrometheusErrors(t *testing.T) {
	enc := NewPrometheusEncoder(PrometheusOptions{})
	_, err := enc.Encode(context.Background(), FormatPrometheus, aggregate(), &failingWriter{})
	require.ErrorIs(t, err, errBoom)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	_, err = enc.Encode(ctx, FormatPrometheus, aggregate(), &buf)
	require.ErrorIs(t, err, context.Canceled)

	// The state goes back to the pool clean: the next encoding is complete.
	out, res, err := encodeProm(aggregate(), PrometheusOptions{})
	require.NoError(t, err)
	buf.Reset()
	res2, err := enc.Encode(context.Background(), FormatPrometheus, aggregate(), &buf)
	require.NoError(t, err)
	assert.Equal(t, out, buf.String())
	assert.Equal(t, res, res2)

	// Large output flushes in pieces and still parses.
	big := benchAggregate(20, 150)
	buf.Reset()
	res, err = enc.Encode(context.Background(), FormatPrometheus, big, &buf)
	require.NoError(t, err)
	assert.Equal(t, big.DataPointCount(), res.Items)
	assert.Equal(t, int64(buf.Len()), res.Bytes)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	require.NoError(t, err)
	assert.Len(t, fams, 20)
}

// flatten turns parsed families into sample → value (name{sorted labels}).
func flatten(t *testing.T, fams map[string]*dto.MetricFamily) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	put := func(name string, labels []*dto.LabelPair, extra [2]string, v float64) {
		pairs := make([]string, 0, len(labels)+1)
		for _, l := range labels {
			pairs = append(pairs, l.GetName()+"="+l.GetValue())
		}
		if extra[0] != "" {
			pairs = append(pairs, extra[0]+"="+extra[1])
		}
		sort.Strings(pairs)
		key := name + "{" + strings.Join(pairs, ",") + "}"
		_, dup := out[key]
		require.False(t, dup, "duplicate sample %s", key)
		out[key] = v
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				put(name, m.GetLabel(), [2]string{}, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				put(name, m.GetLabel(), [2]string{}, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					put(name+"_bucket", m.GetLabel(), [2]string{"le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)}, float64(b.GetCumulativeCount()))
				}
				put(name+"_sum", m.GetLabel(), [2]string{}, h.GetSampleSum())
				put(name+"_count", m.GetLabel(), [2]string{}, float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					put(name, m.GetLabel(), [2]string{"quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)}, q.GetValue())
				}
				put(name+"_sum", m.GetLabel(), [2]string{}, s.GetSampleSum())
				put(name+"_count", m.GetLabel(), [2]string{}, float64(s.GetSampleCount()))
			default:
				t.Fatalf("family %s has type %v", name, f.GetType())
			}
		}
	}
	return out
}

// expectedSamples computes, independently of the encoder, the samples an aggregate of
// cumulative sums, gauges, histograms and summaries must produce (job/instance from the
// resource, attributes as labels), with the family types.
func expectedSamples(md pmetric.Metrics) (map[string]float64, map[string]dto.MetricType) {
	out := map[string]float64{}
	types := map[string]dto.MetricType{}
	labelsOf := func(res pcommon.Map, attrs pcommon.Map) []string {
		var ls []string
		attrs.Range(func(k string, v pcommon.Value) bool {
			ls = append(ls, SanitizeLabelName(k)+"="+v.AsString())
			return true
		})
		if v, ok := res.Get("service.name"); ok {
			job := v.Str()
			if ns, ok := res.Get("service.namespace"); ok {
				job = ns.Str() + "/" + job
			}
			ls = append(ls, "job="+job)
		}
		if v, ok := res.Get("service.instance.id"); ok {
			ls = append(ls, "instance="+v.Str())
		}
		return ls
	}
	key := func(name string, ls []string, extra ...string) string {
		all := append(append([]string(nil), ls...), extra...)
		sort.Strings(all)
		return name + "{" + strings.Join(all, ",") + "}"
	}
	num := func(dp pmetric.NumberDataPoint) float64 {
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			return float64(dp.IntValue())
		}
		return dp.DoubleValue()
	}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		res := rm.Resource().Attributes()
		// target_info: job, instance and the other resource attributes.
		var info []string
		res.Range(func(k string, v pcommon.Value) bool {
			if k != "service.name" && k != "service.namespace" && k != "service.instance.id" {
				info = append(info, SanitizeLabelName(k)+"="+v.AsString())
			}
			return true
		})
		if len(info) > 0 {
			out[key("target_info", append(labelsOf(res, pcommon.NewMap()), info...))] = 1
			types["target_info"] = dto.MetricType_GAUGE
		}
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				name := SanitizeMetricName(m.Name())
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					types[name] = dto.MetricType_GAUGE
					for p := 0; p < m.Gauge().DataPoints().Len(); p++ {
						dp := m.Gauge().DataPoints().At(p)
						out[key(name, labelsOf(res, dp.Attributes()))] = num(dp)
					}
				case pmetric.MetricTypeSum:
					typ := dto.MetricType_GAUGE
					if m.Sum().IsMonotonic() {
						typ = dto.MetricType_COUNTER
						if !strings.HasSuffix(name, "_total") {
							name += "_total"
						}
					}
					types[name] = typ
					for p := 0; p < m.Sum().DataPoints().Len(); p++ {
						dp := m.Sum().DataPoints().At(p)
						out[key(name, labelsOf(res, dp.Attributes()))] = num(dp)
					}
				case pmetric.MetricTypeHistogram:
					types[name] = dto.MetricType_HISTOGRAM
					for p := 0; p < m.Histogram().DataPoints().Len(); p++ {
						dp := m.Histogram().DataPoints().At(p)
						ls := labelsOf(res, dp.Attributes())
						var cum uint64
						for b := 0; b < dp.ExplicitBounds().Len(); b++ {
							cum += dp.BucketCounts().At(b)
							out[key(name+"_bucket", ls, "le="+strconv.FormatFloat(dp.ExplicitBounds().At(b), 'g', -1, 64))] = float64(cum)
						}
						out[key(name+"_bucket", ls, "le=+Inf")] = float64(dp.Count())
						out[key(name+"_sum", ls)] = dp.Sum()
						out[key(name+"_count", ls)] = float64(dp.Count())
					}
				case pmetric.MetricTypeSummary:
					types[name] = dto.MetricType_SUMMARY
					for p := 0; p < m.Summary().DataPoints().Len(); p++ {
						dp := m.Summary().DataPoints().At(p)
						ls := labelsOf(res, dp.Attributes())
						for q := 0; q < dp.QuantileValues().Len(); q++ {
							qv := dp.QuantileValues().At(q)
							out[key(name, ls, "quantile="+strconv.FormatFloat(qv.Quantile(), 'g', -1, 64))] = qv.Value()
						}
						out[key(name+"_sum", ls)] = dp.Sum()
						out[key(name+"_count", ls)] = float64(dp.Count())
					}
				}
			}
		}
	}
	return out, types
}

// assertRoundTrip parses text with the Prometheus text parser and checks that it holds
// exactly the aggregate's values, with the right family types and HELP once each.
func assertRoundTrip(t *testing.T, text string, md pmetric.Metrics) {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err, text)
	want, types := expectedSamples(md)
	assert.Equal(t, want, flatten(t, fams))
	require.Len(t, fams, len(types))
	for name, typ := range types {
		require.Contains(t, fams, name)
		assert.Equal(t, typ, fams[name].GetType(), name)
		assert.NotEmpty(t, fams[name].GetHelp(), name)
		assert.Equal(t, 1, strings.Count(text, "# HELP "+name+" "), name)
		assert.Equal(t, 1, strings.Count(text, "# TYPE "+name+" "), name)
	}
	assert.NotContains(t, text, "Infinity")
}

func TestPrometheusRoundTrip(t *testing.T) {
	md := aggregate()
	out, res, err := encodeProm(md, PrometheusOptions{})
	require.NoError(t, err)
	assert.Equal(t, md.DataPointCount(), res.Items)
	assert.Zero(t, res.Dropped)
	assertRoundTrip(t, out, md)

	big := benchAggregate(10, 100)
	out, _, err = encodeProm(big, PrometheusOptions{})
	require.NoError(t, err)
	assertRoundTrip(t, out, big)
}

func TestPrometheusResourceAttributes(t *testing.T) {
	out, _, err := encodeProm(aggregate(), PrometheusOptions{ResourceAttributes: []string{"host.name", "host.name", "", "absent"}})
	require.NoError(t, err)
	assert.Contains(t, out, `queue_depth{host_name="host-web-1",instance="web-1",job="billing"} -7`)
	assert.NotContains(t, out, "absent")
}

// promtoolCheck runs `promtool check metrics` on text. promtool comes from the Debian
// package "prometheus"; the test skips when it is missing, except in CI (CI=true).
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found: install the Debian package \"prometheus\" in CI")
		}
		t.Skip("promtool not installed (Debian package \"prometheus\"); skipped outside CI")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	outp, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics: %s\n--- input ---\n%s", outp, text)
}

func TestPromtoolCheckMetrics(t *testing.T) {
	out, _, err := encodeProm(aggregate(), PrometheusOptions{ResourceAttributes: []string{"host.name"}})
	require.NoError(t, err)
	promtoolCheck(t, out)
	out, _, err = encodeProm(benchAggregate(5, 50), PrometheusOptions{})
	require.NoError(t, err)
	promtoolCheck(t, out)
}

// benchAggregate makes metrics × series cumulative series: counters, gauges and
// histograms in turn, each series with three attributes.
func benchAggregate(metrics, series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "tasker")
	rm.Resource().Attributes().PutStr("service.instance.id", "collector-0")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for i := 0; i < metrics; i++ {
		m := ms.AppendEmpty()
		switch i % 3 {
		case 0:
			m.SetName(fmt.Sprintf("tasker.step.completed.%d", i))
			s := m.SetEmptySum()
			s.SetIsMonotonic(true)
			s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for j := 0; j < series; j++ {
				dp := s.DataPoints().AppendEmpty()
				dp.SetIntValue(int64(j * 7))
				benchAttrs(dp.Attributes(), j)
			}
		case 1:
			m.SetName(fmt.Sprintf("tasker_workflow_active_%d", i))
			g := m.SetEmptyGauge()
			for j := 0; j < series; j++ {
				dp := g.DataPoints().AppendEmpty()
				dp.SetDoubleValue(float64(j) / 3)
				benchAttrs(dp.Attributes(), j)
			}
		case 2:
			m.SetName(fmt.Sprintf("tasker_step_duration_seconds_%d", i))
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for j := 0; j < series; j++ {
				dp := h.DataPoints().AppendEmpty()
				dp.ExplicitBounds().FromRaw(taskerBuckets)
				counts := make([]uint64, len(taskerBuckets)+1)
				var total uint64
				for b := range counts {
					counts[b] = uint64((j + b) % 5)
					total += counts[b]
				}
				dp.BucketCounts().FromRaw(counts)
				dp.SetCount(total)
				dp.SetSum(float64(j) * 0.75)
				benchAttrs(dp.Attributes(), j)
			}
		}
	}
	return md
}

func benchAttrs(a pcommon.Map, j int) {
	a.PutStr("tasker.task.name", "order_fulfillment_"+strconv.Itoa(j%17))
	a.PutStr("tasker.step.name", "step_"+strconv.Itoa(j))
	a.PutStr("status", [...]string{"ok", "failed", "retried"}[j%3])
}

func TestSanitizeErrorsAreNotSilent(t *testing.T) {
	// The encoder never produces an invalid name for any input.
	for _, n := range []string{"", "0", "..", "a\x00b", "ü"} {
		assert.True(t, model.LegacyValidation.IsValidMetricName(SanitizeMetricName(n)), n)
		assert.True(t, model.LegacyValidation.IsValidLabelName(SanitizeLabelName(n)), n)
	}
}

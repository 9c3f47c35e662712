// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtexttest

import (
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

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
)

// flatten turns parsed families into sample → value (name{sorted labels}).
func flatten(t testing.TB, fams map[string]*dto.MetricFamily) map[string]float64 {
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
			ls = append(ls, promtext.SanitizeLabelName(k)+"="+v.AsString())
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
				info = append(info, promtext.SanitizeLabelName(k)+"="+v.AsString())
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
				name := promtext.SanitizeMetricName(m.Name())
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

// AssertRoundTrip parses text with the Prometheus text parser and checks that it holds
// exactly the aggregate's values, with the right family types and HELP once each.
func AssertRoundTrip(t testing.TB, text string, md pmetric.Metrics) {
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

// PromtoolCheck runs `promtool check metrics` on text. promtool comes from the Debian
// package "prometheus"; the test skips when it is missing, except in CI (CI=true).
func PromtoolCheck(t testing.TB, text string) {
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

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
)

// topSeries is the status page's table of a source's largest series.
type topSeries struct {
	Source string
	Total  int // series in the aggregate
	Series []seriesRow
	Error  string
}

type seriesRow struct {
	Metric, Kind, Labels, Resource, Value string
}

type seriesRef struct {
	v   float64
	m   pmetric.Metric
	res pcommon.Resource
	i   int
}

// topSeries takes a snapshot of the source and returns its n largest series by value
// (gauges and sums), or by count (histograms, summaries).
func (r *Registry) topSeries(ctx context.Context, name string, n int) topSeries {
	t := topSeries{Source: name}
	src, err := r.resolveSource(name)
	if err == nil {
		var md pmetric.Metrics
		if md, err = r.snapshot(ctx, src); err == nil {
			refs := largest(md, n, &t.Total)
			for _, ref := range refs {
				t.Series = append(t.Series, describe(ref))
			}
		}
	}
	if err != nil {
		t.Error = err.Error()
	}
	return t
}

func largest(md pmetric.Metrics, n int, total *int) []seriesRef {
	var refs []seriesRef
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		res := rms.At(i).Resource()
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				for p := 0; p < promtext.PointCount(m); p++ {
					refs = append(refs, seriesRef{v: sizeOf(m, p), m: m, res: res, i: p})
				}
			}
		}
	}
	*total = len(refs)
	sort.SliceStable(refs, func(a, b int) bool { return refs[a].v > refs[b].v })
	if len(refs) > n {
		refs = refs[:n]
	}
	return refs
}

func sizeOf(m pmetric.Metric, i int) float64 {
	switch m.Type() {
	case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
		return promtext.NumberValue(m, i)
	case pmetric.MetricTypeHistogram:
		return float64(m.Histogram().DataPoints().At(i).Count())
	case pmetric.MetricTypeExponentialHistogram:
		return float64(m.ExponentialHistogram().DataPoints().At(i).Count())
	case pmetric.MetricTypeSummary:
		return float64(m.Summary().DataPoints().At(i).Count())
	}
	return 0
}

func describe(ref seriesRef) seriesRow {
	m, i := ref.m, ref.i
	row := seriesRow{Metric: m.Name(), Kind: strings.ToLower(m.Type().String()), Resource: resourceName(ref.res)}
	var attrs pcommon.Map
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		attrs = m.Gauge().DataPoints().At(i).Attributes()
		row.Value = formatNumber(m.Gauge().DataPoints().At(i))
	case pmetric.MetricTypeSum:
		dp := m.Sum().DataPoints().At(i)
		attrs, row.Value = dp.Attributes(), formatNumber(dp)
		if m.Sum().IsMonotonic() {
			row.Kind = "counter"
		}
		row.Kind += " (" + strings.ToLower(m.Sum().AggregationTemporality().String()) + ")"
	case pmetric.MetricTypeHistogram:
		dp := m.Histogram().DataPoints().At(i)
		attrs = dp.Attributes()
		row.Value = "count " + strconv.FormatUint(dp.Count(), 10) + ", sum " + strconv.FormatFloat(dp.Sum(), 'g', -1, 64)
	case pmetric.MetricTypeExponentialHistogram:
		dp := m.ExponentialHistogram().DataPoints().At(i)
		attrs = dp.Attributes()
		row.Value = "count " + strconv.FormatUint(dp.Count(), 10)
	case pmetric.MetricTypeSummary:
		dp := m.Summary().DataPoints().At(i)
		attrs = dp.Attributes()
		row.Value = "count " + strconv.FormatUint(dp.Count(), 10) + ", sum " + strconv.FormatFloat(dp.Sum(), 'g', -1, 64)
	}
	row.Labels = joinAttrs(attrs)
	return row
}

func formatNumber(dp pmetric.NumberDataPoint) string {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return strconv.FormatInt(dp.IntValue(), 10)
	}
	return strconv.FormatFloat(dp.DoubleValue(), 'g', -1, 64)
}

func joinAttrs(attrs pcommon.Map) string {
	parts := make([]string, 0, attrs.Len())
	attrs.Range(func(k string, v pcommon.Value) bool {
		parts = append(parts, k+"="+v.AsString())
		return true
	})
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// resourceName is service.namespace/service.name[@service.instance.id], or the attributes.
func resourceName(res pcommon.Resource) string {
	attrs := res.Attributes()
	s := promtext.Job(attrs)
	if v, ok := attrs.Get("service.instance.id"); ok && v.AsString() != "" {
		s += "@" + v.AsString()
	}
	if s == "" {
		return joinAttrs(attrs)
	}
	return s
}

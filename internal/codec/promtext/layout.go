// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// layout orders what is written: the live points of each family in input order
// (st.famPts[st.famOff[f]:st.famOff[f+1]]), the families in name order (st.order), and
// the target_info family (st.infoFam, its series in st.info).
func (st *convState) layout() {
	if !st.enc.opts.NoTargetInfo {
		if _, taken := st.famIdx[TargetInfoName]; !taken {
			st.targetInfo()
		}
	}
	st.famOff = slices.Grow(st.famOff[:0], len(st.fams)+1)[:len(st.fams)+1]
	clear(st.famOff)
	for i := range st.pts {
		if p := &st.pts[i]; !p.dup && !st.fams[p.fam].dropped {
			st.famOff[p.fam+1]++
		}
	}
	for i := 1; i < len(st.famOff); i++ {
		st.famOff[i] += st.famOff[i-1]
	}
	st.items = st.famOff[len(st.fams)]
	st.famPts = slices.Grow(st.famPts[:0], st.items)[:st.items]
	next := append(st.next[:0], st.famOff[:len(st.fams)]...)
	for i := range st.pts {
		if p := &st.pts[i]; !p.dup && !st.fams[p.fam].dropped {
			st.famPts[next[p.fam]] = int32(i)
			next[p.fam]++
		}
	}
	st.next = next
	st.order = st.order[:0]
	for fi := range st.fams {
		if st.famOff[fi+1] > st.famOff[fi] || fi == st.infoFam {
			st.order = append(st.order, fi)
		}
	}
	slices.SortFunc(st.order, func(a, b int) int { return strings.Compare(st.fams[a].name, st.fams[b].name) })
}

// identifying resource attributes: job and instance already say them.
func identifying(k string) bool {
	return k == "service.name" || k == "service.namespace" || k == "service.instance.id"
}

// targetInfo makes one target_info series (value 1) per resource that has series and
// attributes other than the identifying ones; its labels are job, instance and those
// attributes. Identical ones are written once.
func (st *convState) targetInfo() {
	seen := map[string]bool{}
	for ri := range st.res {
		r := &st.res[ri]
		if !r.used {
			continue
		}
		var ls []label
		for _, l := range r.base {
			if l.name == "job" || l.name == "instance" {
				ls = append(ls, l)
			}
		}
		n := len(ls)
		r.r.Attributes().Range(func(k string, v pcommon.Value) bool {
			if val := labelValue(v); k != "" && val != "" && !identifying(k) {
				ls = append(ls, label{name: st.labelName(k), value: val, key: k})
			}
			return true
		})
		if len(ls) == n {
			continue
		}
		sortLabels(ls)
		ls = joinSameNames(ls)
		st.key = st.key[:0]
		for _, l := range ls {
			st.key = append(append(append(append(st.key, l.name...), 0xff), l.value...), 0xff)
		}
		if seen[string(st.key)] {
			continue
		}
		seen[string(st.key)] = true
		st.info = append(st.info, ls)
	}
	if len(st.info) > 0 {
		st.infoFam = len(st.fams)
		st.fams = append(st.fams, family{name: TargetInfoName, typ: famGauge, help: "Target metadata"})
	}
}

// joinSameNames merges sorted labels of the same name, values joined with ";".
func joinSameNames(ls []label) []label {
	out := 0
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		for i+1 < len(ls) && ls[i+1].name == l.name {
			i++
			l.value += ";" + ls[i].value
		}
		ls[out] = l
		out++
	}
	return ls[:out]
}

func kindOf(m pmetric.Metric) famKind {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return famGauge
	case pmetric.MetricTypeSum:
		if s := m.Sum(); s.IsMonotonic() && s.AggregationTemporality() == pmetric.AggregationTemporalityCumulative {
			return famCounter
		}
		return famGauge
	case pmetric.MetricTypeHistogram:
		if m.Histogram().AggregationTemporality() == pmetric.AggregationTemporalityCumulative {
			return famHistogram
		}
	case pmetric.MetricTypeSummary:
		return famSummary
	}
	return 0
}

// PointCount is the number of data points of m, whatever its type.
func PointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// pointAttrs returns the attributes of point i, the label its family type adds (le,
// quantile), or why the point cannot be written.
func pointAttrs(m pmetric.Metric, typ famKind, i int) (pcommon.Map, string, string) {
	switch typ {
	case famHistogram:
		dp := m.Histogram().DataPoints().At(i)
		bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
		if dp.Flags().NoRecordedValue() {
			return dp.Attributes(), "", DropNoRecordedValue
		}
		if counts.Len() != 0 && counts.Len() != bounds.Len()+1 {
			return dp.Attributes(), "", DropMalformed
		}
		for b := 0; b < bounds.Len(); b++ {
			v := bounds.At(b)
			if v != v || b > 0 && v <= bounds.At(b-1) || v > maxFloat {
				return dp.Attributes(), "", DropMalformed
			}
		}
		return dp.Attributes(), "le", ""
	case famSummary:
		dp := m.Summary().DataPoints().At(i)
		if dp.Flags().NoRecordedValue() {
			return dp.Attributes(), "", DropNoRecordedValue
		}
		return dp.Attributes(), "quantile", ""
	}
	var dp pmetric.NumberDataPoint
	if m.Type() == pmetric.MetricTypeGauge {
		dp = m.Gauge().DataPoints().At(i)
	} else {
		dp = m.Sum().DataPoints().At(i)
	}
	switch {
	case dp.Flags().NoRecordedValue():
		return dp.Attributes(), "", DropNoRecordedValue
	case dp.ValueType() == pmetric.NumberDataPointValueTypeEmpty:
		return dp.Attributes(), "", DropUnsupported
	}
	return dp.Attributes(), "", ""
}

const maxFloat = 1.7976931348623157e308

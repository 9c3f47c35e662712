// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
)

// scanMetrics collects what the data points of group g need of a layout: the union of
// their (flattened) label keys and of the explicit bucket bounds of their histograms.
// It runs once per batch and group, before the rows are encoded.
func (e *encoder) scanMetrics(md pmetric.Metrics, g *group) *needs {
	n := &e.need
	n.keys, n.bounds, n.agg = n.keys[:0], n.bounds[:0], aggNone
	wantKeys, wantAgg := e.o.flatten, e.o.histExtra
	if !wantKeys && !wantAgg {
		return n
	}
	clear(e.keySet)
	clear(e.boundSet)
	clear(e.scanSeen)
	defer clear(e.scanSeen) // do not keep the batch's strings alive
	rms := md.ResourceMetrics()
	for _, ri := range g.res {
		sms := rms.At(ri).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
					if !wantKeys {
						continue
					}
					dps := numberPoints(m)
					for i := 0; i < dps.Len(); i++ {
						e.scanAttrs(dps.At(i).Attributes())
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					if wantAgg && dps.Len() > 0 {
						n.agg = aggBuckets
					}
					var prev pcommon.Float64Slice
					for i := 0; i < dps.Len(); i++ {
						dp := dps.At(i)
						if wantKeys {
							e.scanAttrs(dp.Attributes())
						}
						if !wantAgg {
							continue
						}
						bounds := dp.ExplicitBounds()
						if i > 0 && bounds.Equal(prev) {
							continue
						}
						prev = bounds
						for b := 0; b < bounds.Len(); b++ {
							v := bounds.At(b)
							if _, ok := e.boundSet[v]; !ok && !math.IsNaN(v) {
								e.boundSet[v] = struct{}{}
								n.bounds = append(n.bounds, v)
							}
						}
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					if wantAgg && dps.Len() > 0 {
						n.agg = max(n.agg, aggCount)
					}
					if !wantKeys {
						continue
					}
					for i := 0; i < dps.Len(); i++ {
						e.scanAttrs(dps.At(i).Attributes())
					}
				case pmetric.MetricTypeSummary:
					dps := m.Summary().DataPoints()
					if wantAgg && dps.Len() > 0 {
						n.agg = max(n.agg, aggCount)
					}
					if !wantKeys {
						continue
					}
					for i := 0; i < dps.Len(); i++ {
						e.scanAttrs(dps.At(i).Attributes())
					}
				}
			}
		}
	}
	return n
}

func numberPoints(m pmetric.Metric) pmetric.NumberDataPointSlice {
	if m.Type() == pmetric.MetricTypeGauge {
		return m.Gauge().DataPoints()
	}
	return m.Sum().DataPoints()
}

// scanAttrs adds the flattened keys of m to the batch's key set. Data points of a
// metric usually carry the same keys in the same order, so the key seen at each
// position last time is remembered and a repeat skips the set lookup.
func (e *encoder) scanAttrs(m pcommon.Map) {
	i := 0
	for k, v := range m.All() {
		if v.Type() == pcommon.ValueTypeMap {
			flatten.Visit(v.Map(), k+labelSeparator, labelSeparator, e.scanFn)
			i++
			continue
		}
		if i < len(e.scanSeen) && e.scanSeen[i] == k {
			i++
			continue
		}
		if ck := e.keys.get(k); !e.hasKey(ck) {
			e.keySet[ck] = struct{}{}
			e.need.keys = append(e.need.keys, ck)
		}
		if i < len(e.scanSeen) {
			e.scanSeen[i] = k
		} else {
			e.scanSeen = append(e.scanSeen, k)
		}
		i++
	}
}

func (e *encoder) scanLabel(key []byte, _ pcommon.Value) {
	if ck := e.keys.getBytes(key); !e.hasKey(ck) {
		e.keySet[ck] = struct{}{}
		e.need.keys = append(e.need.keys, ck)
	}
}

func (e *encoder) hasKey(ck string) bool {
	_, ok := e.keySet[ck]
	return ok
}

// mpoint is one metric data point, reduced to what the columns need.
type mpoint struct {
	ts, start pcommon.Timestamp
	attrs     pcommon.Map

	vkind    uint8 // 0 none, 1 int, 2 double
	ival     int64
	dval     float64
	count    uint64
	hasCount bool
	sum      float64
	hasSum   bool
	min, max float64
	hasMin   bool
	hasMax   bool

	isHist bool
	hist   pmetric.HistogramDataPoint
}

const (
	vkNone uint8 = iota
	vkInt
	vkDouble
)

// encodeMetrics appends one row per data point of group g with layout l and returns
// the rows. The returned slice is valid until the next call.
func (e *encoder) encodeMetrics(md pmetric.Metrics, g *group, l *layout) []byte {
	e.reset()
	e.use(l)
	has := &l.has
	rms := md.ResourceMetrics()
	var p mpoint
	for _, ri := range g.res {
		rm := rms.At(ri)
		e.setResource(rm.Resource(), has)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			e.setScope(sm.Scope(), has)
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				e.setMetric(m, has)
				switch m.Type() {
				case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
					dps := numberPoints(m)
					for i := 0; i < dps.Len(); i++ {
						dp := dps.At(i)
						p = mpoint{ts: dp.Timestamp(), start: dp.StartTimestamp(), attrs: dp.Attributes()}
						if !dp.Flags().NoRecordedValue() {
							switch dp.ValueType() {
							case pmetric.NumberDataPointValueTypeInt:
								p.vkind, p.ival = vkInt, dp.IntValue()
							case pmetric.NumberDataPointValueTypeDouble:
								p.vkind, p.dval = vkDouble, dp.DoubleValue()
							}
						}
						e.metricRow(l, &p)
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for i := 0; i < dps.Len(); i++ {
						dp := dps.At(i)
						p = mpoint{ts: dp.Timestamp(), start: dp.StartTimestamp(), attrs: dp.Attributes()}
						if !dp.Flags().NoRecordedValue() {
							p.count, p.hasCount = dp.Count(), true
							p.sum, p.hasSum = dp.Sum(), dp.HasSum()
							p.min, p.hasMin = dp.Min(), dp.HasMin()
							p.max, p.hasMax = dp.Max(), dp.HasMax()
							p.isHist, p.hist = true, dp
						}
						e.metricRow(l, &p)
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for i := 0; i < dps.Len(); i++ {
						dp := dps.At(i)
						p = mpoint{ts: dp.Timestamp(), start: dp.StartTimestamp(), attrs: dp.Attributes()}
						if !dp.Flags().NoRecordedValue() {
							p.count, p.hasCount = dp.Count(), true
							p.sum, p.hasSum = dp.Sum(), dp.HasSum()
							p.min, p.hasMin = dp.Min(), dp.HasMin()
							p.max, p.hasMax = dp.Max(), dp.HasMax()
						}
						e.metricRow(l, &p)
					}
				case pmetric.MetricTypeSummary:
					dps := m.Summary().DataPoints()
					for i := 0; i < dps.Len(); i++ {
						dp := dps.At(i)
						p = mpoint{ts: dp.Timestamp(), start: dp.StartTimestamp(), attrs: dp.Attributes()}
						if !dp.Flags().NoRecordedValue() {
							p.count, p.hasCount = dp.Count(), true
							p.sum, p.hasSum = dp.Sum(), true
							qs := dp.QuantileValues()
							for q := 0; q < qs.Len(); q++ {
								switch qv := qs.At(q); qv.Quantile() {
								case 0:
									p.min, p.hasMin = qv.Value(), true
								case 1:
									p.max, p.hasMax = qv.Value(), true
								}
							}
						}
						e.metricRow(l, &p)
					}
				}
			}
		}
	}
	e.done()
	return e.buf
}

// use prepares the per-row slots for layout l.
func (e *encoder) use(l *layout) {
	e.l = l
	clear(e.fillSeen) // slots belong to the previous layout
	if n := len(l.keys); len(e.slotVal) < n {
		e.slotVal = make([]pcommon.Value, n)
		e.slotGen = make([]uint32, n)
	}
	if n := len(l.bounds); len(e.bucketCum) < n {
		e.bucketCum = make([]uint64, n)
		e.bucketGen = make([]uint32, n)
	}
}

func (e *encoder) setMetric(m pmetric.Metric, has *[numFields]bool) {
	if has[fName] {
		e.setCell(fName, m.Name())
	}
	if has[fType] {
		e.setCell(fType, flatten.MetricType(m))
	}
	if has[fTemporality] {
		e.setCell(fTemporality, flatten.Temporality(m))
	}
	if has[fUnit] {
		e.setCell(fUnit, m.Unit())
	}
	if has[fDescription] {
		e.setCell(fDescription, m.Description())
	}
}

// nextRow starts a new generation of the per-row slots.
func (e *encoder) nextRow() {
	e.gen++
	if e.gen == 0 { // wrapped: forget every stamp
		clear(e.slotGen)
		clear(e.bucketGen)
		e.gen = 1
	}
}

func (e *encoder) metricRow(l *layout, p *mpoint) {
	e.nextRow()
	if l.flatLabels() {
		e.fillLabels(l, p.attrs)
	}
	if p.isHist && len(l.bounds) > 0 {
		e.fillBuckets(l, p.hist)
	}
	rowStart := len(e.buf)
	for i, c := range l.cols {
		if i > 0 {
			e.sep()
		}
		switch c.f {
		case fTimestamp:
			e.timestamp(p.ts)
		case fStartTimestamp:
			e.timestamp(p.start)
		case fLabel:
			if e.slotGen[c.slot] == e.gen {
				e.value(e.slotVal[c.slot])
			}
		case fValue:
			switch p.vkind {
			case vkInt:
				e.int(p.ival)
			case vkDouble:
				e.float(p.dval)
			}
		case fCount:
			if p.hasCount {
				e.uint(p.count)
			}
		case fSum:
			if p.hasSum {
				e.float(p.sum)
			}
		case fMin:
			if p.hasMin {
				e.float(p.min)
			}
		case fMax:
			if p.hasMax {
				e.float(p.max)
			}
		case fBucket:
			if e.bucketGen[c.slot] == e.gen {
				e.uint(e.bucketCum[c.slot])
			}
		case fBucketInf:
			if p.isHist {
				if total, ok := infBucket(p.hist); ok {
					e.uint(total)
				}
			}
		case fBuckets:
			if p.isHist && p.hist.BucketCounts().Len() > 0 {
				start := len(e.buf)
				e.buf = appendBuckets(e.buf, p.hist.ExplicitBounds(), p.hist.BucketCounts())
				e.buf = e.w.finish(e.buf, start, false)
			}
		case fResourceAttr:
			e.buf = append(e.buf, e.resCells[c.slot]...)
		case fLabelsJSON:
			e.attributeCell(p.attrs)
		case fLabelsExtra:
			e.extraJSON()
		case fLabelsPlaceholder:
		default:
			e.cached(c.f)
		}
	}
	e.endRow(rowStart, len(l.cols))
}

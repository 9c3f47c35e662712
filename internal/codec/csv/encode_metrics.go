// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package csv

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tasker-systems/otelcol-tasker/internal/flatten"
	"github.com/tasker-systems/otelcol-tasker/internal/walk"
)

// scanMetrics collects what the data points of group g need of a layout: the union of
// their (flattened) label keys and of the explicit bucket bounds of their histograms.
// It runs once per batch and group, before the rows are encoded.
func (e *encoder) scanMetrics(md pmetric.Metrics, g *group) *needs {
	n := &e.need
	n.keys, n.bounds, n.agg = n.keys[:0], n.bounds[:0], aggNone
	if !e.o.flatten && !e.o.histExtra {
		return n
	}
	clear(e.keySet)
	clear(e.boundSet)
	clear(e.scanSeen)
	defer clear(e.scanSeen) // do not keep the batch's strings alive
	walk.Metrics(md, g.res, walk.Funcs[pmetric.Metric]{Item: e.scanMetric})
	e.prevBounds, e.hasPrev = pcommon.Float64Slice{}, false
	return n
}

// scanPoints returns the functions that scan the data points of a metric: their
// label keys with flatten_labels, the aggregate columns and bucket bounds of
// distributions with histogram columns.
func (e *encoder) scanPoints() walk.Points {
	p := walk.Points{Histogram: e.scanHistogram}
	if e.o.histExtra || e.o.flatten {
		p.ExpHistogram = func(dp pmetric.ExponentialHistogramDataPoint) { e.scanDistribution(dp.Attributes()) }
		p.Summary = func(dp pmetric.SummaryDataPoint) { e.scanDistribution(dp.Attributes()) }
	}
	if e.o.flatten {
		p.Number = func(dp pmetric.NumberDataPoint) { e.scanAttrs(dp.Attributes()) }
	}
	return p
}

func (e *encoder) scanMetric(m pmetric.Metric) {
	e.hasPrev = false
	e.scan.Visit(m)
}

// scanDistribution scans an exponential histogram or summary point: count and sum
// columns.
func (e *encoder) scanDistribution(attrs pcommon.Map) {
	if e.o.histExtra {
		e.need.agg = max(e.need.agg, aggCount)
	}
	if e.o.flatten {
		e.scanAttrs(attrs)
	}
}

// scanHistogram scans a histogram point: count, sum and bucket columns, and its bounds
// unless they are the previous point's of the metric.
func (e *encoder) scanHistogram(dp pmetric.HistogramDataPoint) {
	if e.o.flatten {
		e.scanAttrs(dp.Attributes())
	}
	if !e.o.histExtra {
		return
	}
	n := &e.need
	n.agg = aggBuckets
	bounds := dp.ExplicitBounds()
	if e.hasPrev && bounds.Equal(e.prevBounds) {
		return
	}
	e.prevBounds, e.hasPrev = bounds, true
	for b := 0; b < bounds.Len(); b++ {
		v := bounds.At(b)
		if _, ok := e.boundSet[v]; !ok && !math.IsNaN(v) {
			e.boundSet[v] = struct{}{}
			n.bounds = append(n.bounds, v)
		}
	}
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
	// stat and hasStat are the sum, min and max (indexed by column - fSum) and
	// whether the point has each.
	stat    [3]float64
	hasStat [3]bool

	isHist bool
	hist   pmetric.HistogramDataPoint
}

// The sum, min and max columns are consecutive: mpoint.stat is indexed by column - fSum.
const _ = uint(fMax-fSum-2) + uint(fSum+2-fMax)

const (
	vkNone uint8 = iota
	vkInt
	vkDouble
)

// encode appends one row per log record, span or data point of the resources of
// group g of batch (a plog.Logs, ptrace.Traces or pmetric.Metrics) in layout l, and
// returns the rows. The returned slice is valid until the next call.
func (e *encoder) encode(batch any, g *group, l *layout) []byte {
	e.reset()
	e.use(l)
	switch b := batch.(type) {
	case plog.Logs:
		walk.Logs(b, g.res, walk.Funcs[plog.LogRecord]{Resource: e.setResource, Scope: e.setScope, Item: e.logRow})
	case ptrace.Traces:
		walk.Spans(b, g.res, walk.Funcs[ptrace.Span]{Resource: e.setResource, Scope: e.setScope, Item: e.spanRow})
	case pmetric.Metrics:
		walk.Metrics(b, g.res, walk.Funcs[pmetric.Metric]{Resource: e.setResource, Scope: e.setScope, Item: e.metricRows})
	}
	e.done()
	return e.buf
}

func (e *encoder) encodeMetrics(md pmetric.Metrics, g *group, l *layout) []byte {
	return e.encode(md, g, l)
}
func (e *encoder) encodeLogs(ld plog.Logs, g *group, l *layout) []byte { return e.encode(ld, g, l) }
func (e *encoder) encodeTraces(td ptrace.Traces, g *group, l *layout) []byte {
	return e.encode(td, g, l)
}

// metricRows appends the rows of m's data points.
func (e *encoder) metricRows(m pmetric.Metric) {
	e.setMetric(m)
	e.points.Visit(m)
}

// point starts the row of a data point: its times and attributes, and no value yet. It
// reports whether the point has a value.
func (e *encoder) point(ts, start pcommon.Timestamp, attrs pcommon.Map, flags pmetric.DataPointFlags) bool {
	e.p = mpoint{ts: ts, start: start, attrs: attrs}
	return !flags.NoRecordedValue()
}

// stats sets the count of a distribution point, and its sum, min and max where set.
func (p *mpoint) stats(count uint64, sum, lo, hi float64, hasSum, hasMin, hasMax bool) {
	p.count, p.hasCount = count, true
	p.stat = [3]float64{sum, lo, hi}
	p.hasStat = [3]bool{hasSum, hasMin, hasMax}
}

func (e *encoder) numberRow(dp pmetric.NumberDataPoint) {
	if e.point(dp.Timestamp(), dp.StartTimestamp(), dp.Attributes(), dp.Flags()) {
		switch dp.ValueType() {
		case pmetric.NumberDataPointValueTypeInt:
			e.p.vkind, e.p.ival = vkInt, dp.IntValue()
		case pmetric.NumberDataPointValueTypeDouble:
			e.p.vkind, e.p.dval = vkDouble, dp.DoubleValue()
		}
	}
	e.metricRow()
}

func (e *encoder) histogramRow(dp pmetric.HistogramDataPoint) {
	if e.point(dp.Timestamp(), dp.StartTimestamp(), dp.Attributes(), dp.Flags()) {
		e.p.stats(dp.Count(), dp.Sum(), dp.Min(), dp.Max(), dp.HasSum(), dp.HasMin(), dp.HasMax())
		e.p.isHist, e.p.hist = true, dp
	}
	e.metricRow()
}

func (e *encoder) expHistogramRow(dp pmetric.ExponentialHistogramDataPoint) {
	if e.point(dp.Timestamp(), dp.StartTimestamp(), dp.Attributes(), dp.Flags()) {
		e.p.stats(dp.Count(), dp.Sum(), dp.Min(), dp.Max(), dp.HasSum(), dp.HasMin(), dp.HasMax())
	}
	e.metricRow()
}

// summaryRow takes min and max from the 0 and 1 quantiles.
func (e *encoder) summaryRow(dp pmetric.SummaryDataPoint) {
	if e.point(dp.Timestamp(), dp.StartTimestamp(), dp.Attributes(), dp.Flags()) {
		e.p.count, e.p.hasCount = dp.Count(), true
		e.p.stat[0], e.p.hasStat[0] = dp.Sum(), true
		qs := dp.QuantileValues()
		for q := 0; q < qs.Len(); q++ {
			switch qv := qs.At(q); qv.Quantile() {
			case 0:
				e.p.stat[1], e.p.hasStat[1] = qv.Value(), true
			case 1:
				e.p.stat[2], e.p.hasStat[2] = qv.Value(), true
			}
		}
	}
	e.metricRow()
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

func (e *encoder) setMetric(m pmetric.Metric) {
	has := &e.l.has
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

// metricRow appends the row of the data point e.p.
func (e *encoder) metricRow() {
	l, p := e.l, &e.p
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
		case fSum, fMin, fMax:
			if i := c.f - fSum; p.hasStat[i] {
				e.float(p.stat[i])
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

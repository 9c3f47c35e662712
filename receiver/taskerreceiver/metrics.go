// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// taskerBuckets are Tasker's Histogram::DEFAULT_BUCKETS (seconds).
var taskerBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metricDesc describes one emitted metric.
type metricDesc struct {
	name, description, unit string
	histogram               bool
}

var (
	descTaskOutcomes = metricDesc{name: "tasker.task.outcomes", unit: "{task}", description: "Task runs that ended, by task name and outcome (terminal events after de-duplication)."}
	descStepOutcomes = metricDesc{name: "tasker.step.outcomes", unit: "{attempt}", description: "Step attempts that ended, by task name, step name and outcome (terminal events after de-duplication)."}
	descStepRetries  = metricDesc{name: "tasker.step.retries", unit: "{retry}", description: "Step retries: later attempts of a step after a failed one."}
	descStepBackoffs = metricDesc{name: "tasker.step.backoffs", unit: "{backoff}", description: "Step backoffs scheduled (observability.step.backoff)."}
	descEvents       = metricDesc{name: "tasker.events", unit: "{event}", description: "Accepted events by name (every event routed to metrics, duplicates included)."}
	descTaskDuration = metricDesc{name: "tasker.task.duration", unit: "s", histogram: true, description: "Duration of task runs in seconds, by task name and outcome."}
	descStepDuration = metricDesc{name: "tasker.step.duration", unit: "s", histogram: true, description: "Duration of step attempts in seconds, by task name, step name and outcome."}
	descBackoffDur   = metricDesc{name: "tasker.step.backoff.duration", unit: "s", histogram: true, description: "Backoff delays scheduled, in seconds (backoff_seconds)."}
)

// taskerDesc is a metric of metric_naming: tasker (Tasker's MetricsBackend names).
func taskerDesc(entity, outcome string) metricDesc {
	if outcome == "duration" {
		return metricDesc{name: entity + "_duration_seconds", unit: "s", histogram: true, description: "Tasker " + entity + " duration in seconds (MetricsBackend naming)."}
	}
	return metricDesc{name: entity + "_" + outcome + "_total", unit: "1", description: "Tasker " + entity + " " + outcome + " events (MetricsBackend naming)."}
}

type kv struct{ k, v string }

type point struct {
	desc  metricDesc
	attrs []kv
	value int64 // sums
	// histograms
	count  uint64
	sum    float64
	min    float64
	max    float64
	bucket []uint64
}

// metricAgg aggregates the metrics of one resource in one batch.
type metricAgg struct {
	points map[string]*point
	key    []byte     // scratch for series keys
	pool   *pointPool // the builder's, where points and maps come from (nil: none)
}

// pointPool keeps the points and maps of emitted aggregates for the next batches (a
// batch makes about one series per two or three lines). Used with b.mu held.
type pointPool struct {
	points []*point
	maps   []map[string]*point
	keys   []string // emit's scratch
	// series are the series keys seen, bounded by maxSeriesKeys: a batch's map needs
	// its keys as strings, and the same few series come back in every batch.
	series map[string]string
}

// maxSeriesKeys bounds pointPool.series.
const maxSeriesKeys = 4096

// seriesKey is key as a string, the one kept if it was seen (no allocation).
func (pp *pointPool) seriesKey(key []byte) string {
	if pp == nil {
		return string(key)
	}
	if k, ok := pp.series[string(key)]; ok {
		return k
	}
	k := string(key)
	if len(pp.series) < maxSeriesKeys {
		if pp.series == nil {
			pp.series = map[string]string{}
		}
		pp.series[k] = k
	}
	return k
}

// maxPooledPoints bounds the points a pool keeps.
const maxPooledPoints = 1024

// put takes back the points and the map of m, which was emitted, and empties m.
func (pp *pointPool) put(m *metricAgg) {
	if m.points == nil {
		return
	}
	for _, p := range m.points {
		if len(pp.points) >= maxPooledPoints {
			break
		}
		clear(p.attrs) // they point into the batch's input
		*p = point{attrs: p.attrs[:0], bucket: p.bucket[:0]}
		pp.points = append(pp.points, p)
	}
	if len(m.points) <= maxPooledPoints && len(pp.maps) < 16 {
		clear(m.points)
		pp.maps = append(pp.maps, m.points)
	}
	m.points = nil
}

// newPoint is a point of d with attrs, from the pool if it has one.
func (m *metricAgg) newPoint(d metricDesc, attrs []kv) *point {
	var p *point
	if pp := m.pool; pp != nil && len(pp.points) > 0 {
		p = pp.points[len(pp.points)-1]
		pp.points = pp.points[:len(pp.points)-1]
	} else {
		p = &point{}
	}
	p.desc = d
	p.attrs = append(p.attrs[:0], attrs...)
	if d.histogram {
		n := len(taskerBuckets) + 1
		if cap(p.bucket) >= n {
			p.bucket = p.bucket[:n]
			clear(p.bucket)
		} else {
			p.bucket = make([]uint64, n)
		}
	}
	return p
}

// appendSeriesKey appends the key of a series: the name and the attributes.
func appendSeriesKey(b []byte, name string, attrs []kv) []byte {
	b = append(b, name...)
	for _, a := range attrs {
		b = append(b, 0)
		b = append(b, a.k...)
		b = append(b, '=')
		b = append(b, a.v...)
	}
	return b
}

// get is the point of a series; attrs are copied when it is new (the callers' slices
// stay on their stacks). The strings are used as they are: the points live as long as
// the batch, whose log records share the same input memory.
func (m *metricAgg) get(d metricDesc, attrs []kv) *point {
	if m.points == nil {
		if pp := m.pool; pp != nil && len(pp.maps) > 0 {
			m.points = pp.maps[len(pp.maps)-1]
			pp.maps = pp.maps[:len(pp.maps)-1]
		} else {
			m.points = map[string]*point{}
		}
	}
	m.key = appendSeriesKey(m.key[:0], d.name, attrs)
	p := m.points[string(m.key)] // no allocation: the conversion is only a lookup key
	if p == nil {
		p = m.newPoint(d, attrs)
		m.points[m.pool.seriesKey(m.key)] = p
	}
	return p
}

func (m *metricAgg) add(d metricDesc, n int64, attrs ...kv) {
	m.get(d, attrs).value += n
}

func (m *metricAgg) observe(d metricDesc, v float64, attrs ...kv) {
	p := m.get(d, attrs)
	if p.count == 0 || v < p.min {
		p.min = v
	}
	if p.count == 0 || v > p.max {
		p.max = v
	}
	p.count++
	p.sum += v
	i := sort.SearchFloat64s(taskerBuckets, v) // first bound >= v: buckets are (prev, bound]
	p.bucket[i]++
}

func (m *metricAgg) empty() bool { return len(m.points) == 0 }

// emit appends the aggregate to sm, metrics and series in name order, delta over
// [start, ts].
func (m *metricAgg) emit(sm pmetric.ScopeMetrics, start, ts pcommon.Timestamp) {
	var keys []string
	if m.pool != nil {
		keys = m.pool.keys[:0]
		defer func() { clear(keys); m.pool.keys = keys[:0] }()
	}
	for k := range m.points {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cur pmetric.Metric
	curName := ""
	for _, k := range keys {
		p := m.points[k]
		if p.desc.name != curName || curName == "" {
			curName = p.desc.name
			cur = sm.Metrics().AppendEmpty()
			cur.SetName(p.desc.name)
			cur.SetDescription(p.desc.description)
			cur.SetUnit(p.desc.unit)
			if p.desc.histogram {
				cur.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			} else {
				s := cur.SetEmptySum()
				s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
				s.SetIsMonotonic(true)
			}
		}
		var attrs pcommon.Map
		if p.desc.histogram {
			dp := cur.Histogram().DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			dp.SetCount(p.count)
			dp.SetSum(p.sum)
			dp.SetMin(p.min)
			dp.SetMax(p.max)
			dp.ExplicitBounds().FromRaw(taskerBuckets)
			dp.BucketCounts().FromRaw(p.bucket)
			attrs = dp.Attributes()
		} else {
			dp := cur.Sum().DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			dp.SetIntValue(p.value)
			attrs = dp.Attributes()
		}
		n := 0
		for _, a := range p.attrs {
			if a.v != "" {
				n++
			}
		}
		attrs.EnsureCapacity(n) // one allocation, not one per growth
		for _, a := range p.attrs {
			if a.v == "" {
				continue // Tasker drops nil labels; an empty value says nothing
			}
			attrs.PutStr(a.k, a.v)
		}
	}
}

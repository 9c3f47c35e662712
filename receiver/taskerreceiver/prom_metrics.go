// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// maxPromSeries bounds the start-time table of the push and scrape inputs.
const maxPromSeries = 100_000

// cumulativeStarts gives cumulative series their start time, with reset detection: a
// value below the previous one starts the series again.
type cumulativeStarts struct {
	mu     sync.Mutex
	series map[string]*seriesStart
}

type seriesStart struct {
	start, last time.Time
	value       float64
}

// start is the start time of the series key observed at t with value v.
func (c *cumulativeStarts) start(key string, t time.Time, v float64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.series == nil {
		c.series = map[string]*seriesStart{}
	}
	s := c.series[key]
	switch {
	case s == nil:
		if len(c.series) >= maxPromSeries {
			c.series = map[string]*seriesStart{} // forget all rather than grow: starts move
		}
		s = &seriesStart{start: t}
		c.series[key] = s
	case v < s.value:
		s.start = s.last // reset: it restarted after the previous observation
		if !t.After(s.start) {
			s.start = t
		}
	}
	s.last, s.value = t, v
	return s.start
}

type promFamily struct {
	name, typ string
	samples   []promSample
}

// promFamilies groups samples into families: histograms from `_bucket{le}`, `_sum`,
// `_count`; counters from TYPE or the `_total` suffix; gauges otherwise.
func promFamilies(pt promText) []*promFamily {
	var order []*promFamily
	by := map[string]*promFamily{}
	hist := map[string]bool{}
	for _, s := range pt.samples {
		if base, ok := strings.CutSuffix(s.name, "_bucket"); ok && hasLabel(s.labels, "le") {
			hist[base] = true
		}
	}
	for t, typ := range pt.types {
		if typ == "histogram" {
			hist[t] = true
		}
	}
	for _, s := range pt.samples {
		name, typ := s.name, pt.types[s.name]
		for _, suf := range [...]string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(s.name, suf); ok && hist[base] {
				name, typ = base, "histogram"
			}
		}
		if typ == "" || typ == "untyped" || typ == "summary" {
			typ = "gauge"
			if strings.HasSuffix(name, "_total") {
				typ = "counter"
			}
		}
		f := by[name]
		if f == nil {
			f = &promFamily{name: name, typ: typ}
			by[name] = f
			order = append(order, f)
		}
		f.samples = append(f.samples, s)
	}
	return order
}

func hasLabel(l []kv, k string) bool {
	for _, x := range l {
		if x.k == k {
			return true
		}
	}
	return false
}

func labelKey(instance, name string, labels []kv, skip string) string {
	var b strings.Builder
	b.WriteString(instance)
	b.WriteByte(0)
	b.WriteString(name)
	for _, l := range labels {
		if l.k == skip {
			continue
		}
		b.WriteByte(0)
		b.WriteString(l.k)
		b.WriteByte('=')
		b.WriteString(l.v)
	}
	return b.String()
}

func putLabels(m pcommon.Map, labels []kv, skip string) {
	for _, l := range labels {
		if l.k != skip && l.k != "__name__" {
			m.PutStr(l.k, l.v)
		}
	}
}

// promToMetrics appends the families to sm: counters as cumulative monotonic sums,
// histograms as cumulative histograms, gauges as gauges; samples without a timestamp
// are stamped now.
func promToMetrics(sm pmetric.ScopeMetrics, fams []*promFamily, instance string, now time.Time, starts *cumulativeStarts) int {
	points := 0
	ts := func(s promSample) time.Time {
		if s.ts != 0 {
			return time.UnixMilli(s.ts).UTC()
		}
		return now
	}
	for _, f := range fams {
		m := sm.Metrics().AppendEmpty()
		m.SetName(f.name)
		switch f.typ {
		case "counter":
			sum := m.SetEmptySum()
			sum.SetIsMonotonic(true)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for _, s := range f.samples {
				dp := sum.DataPoints().AppendEmpty()
				t := ts(s)
				dp.SetStartTimestamp(pcommon.NewTimestampFromTime(starts.start(labelKey(instance, f.name, s.labels, ""), t, s.value)))
				dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
				dp.SetDoubleValue(s.value)
				putLabels(dp.Attributes(), s.labels, "")
				points++
			}
		case "histogram":
			points += promHistogram(m.SetEmptyHistogram(), f, instance, ts, starts)
		default:
			g := m.SetEmptyGauge()
			for _, s := range f.samples {
				dp := g.DataPoints().AppendEmpty()
				dp.SetTimestamp(pcommon.NewTimestampFromTime(ts(s)))
				dp.SetDoubleValue(s.value)
				putLabels(dp.Attributes(), s.labels, "")
				points++
			}
		}
	}
	return points
}

type histSeries struct {
	labels   []kv
	t        time.Time
	bounds   map[float64]float64 // le → cumulative count
	sum      float64
	count    float64
	hasCount bool
}

func promHistogram(h pmetric.Histogram, f *promFamily, instance string, ts func(promSample) time.Time, starts *cumulativeStarts) int {
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	var order []string
	series := map[string]*histSeries{}
	for _, s := range f.samples {
		k := labelKey(instance, f.name, s.labels, "le")
		hs := series[k]
		if hs == nil {
			var labels []kv
			for _, l := range s.labels {
				if l.k != "le" {
					labels = append(labels, l)
				}
			}
			hs = &histSeries{labels: labels, t: ts(s), bounds: map[float64]float64{}}
			series[k] = hs
			order = append(order, k)
		}
		switch {
		case strings.HasSuffix(s.name, "_bucket"):
			for _, l := range s.labels {
				if l.k == "le" {
					if b, err := parsePromFloat(l.v); err == nil {
						hs.bounds[b] = s.value
					}
				}
			}
		case strings.HasSuffix(s.name, "_sum"):
			hs.sum = s.value
		case strings.HasSuffix(s.name, "_count"):
			hs.count, hs.hasCount = s.value, true
		}
	}
	for _, k := range order {
		hs := series[k]
		var les []float64
		for b := range hs.bounds {
			if !math.IsInf(b, 1) {
				les = append(les, b)
			}
		}
		sort.Float64s(les)
		total := hs.count
		if inf, ok := hs.bounds[math.Inf(1)]; ok && !hs.hasCount {
			total = inf
		}
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(starts.start(k, hs.t, total)))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(hs.t))
		dp.SetCount(uint64(math.Max(total, 0)))
		dp.SetSum(hs.sum)
		dp.ExplicitBounds().FromRaw(les)
		prev := 0.0
		counts := make([]uint64, 0, len(les)+1)
		for _, b := range les {
			c := hs.bounds[b]
			counts = append(counts, uint64(math.Max(c-prev, 0)))
			prev = math.Max(c, prev)
		}
		counts = append(counts, uint64(math.Max(total-prev, 0)))
		dp.BucketCounts().FromRaw(counts)
		putLabels(dp.Attributes(), hs.labels, "")
	}
	return len(order)
}

// newPromMetrics is one resource (the Tasker process or target) of the push and
// scrape inputs.
func (r *taskerReceiver) newPromMetrics(instance string) (pmetric.Metrics, pmetric.ScopeMetrics) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	a := rm.Resource().Attributes()
	a.PutStr("service.name", r.cfg.ServiceName)
	if instance != "" {
		a.PutStr("service.instance.id", instance)
	}
	if r.cfg.DeploymentEnvironment != "" {
		a.PutStr("deployment.environment.name", r.cfg.DeploymentEnvironment)
	}
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	sm.Scope().SetVersion(r.set.BuildInfo.Version)
	return md, sm
}

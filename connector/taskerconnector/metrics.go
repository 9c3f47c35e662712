// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"cmp"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// bounds are Tasker's Histogram::DEFAULT_BUCKETS (seconds), as the tasker receiver uses.
var bounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// def is one metric the connector emits; metadata_test.go checks every field against
// metadata.yaml, and metadata.yaml against the tasker receiver's.
type def struct {
	name, unit, description string
	histogram               bool
	step                    bool // has tasker.step.name
}

const (
	mTaskOutcomes = iota
	mTaskDuration
	mStepOutcomes
	mStepDuration
	numMetrics
)

var defs = [numMetrics]def{
	mTaskOutcomes: {name: "tasker.task.outcomes", unit: "{task}", description: "Task runs that ended, by task name and outcome (terminal events after de-duplication)."},
	mTaskDuration: {name: "tasker.task.duration", unit: "s", histogram: true, description: "Duration of task runs in seconds, by task name and outcome."},
	mStepOutcomes: {name: "tasker.step.outcomes", unit: "{attempt}", step: true, description: "Step attempts that ended, by task name, step name and outcome (terminal events after de-duplication)."},
	mStepDuration: {name: "tasker.step.duration", unit: "s", histogram: true, step: true, description: "Duration of step attempts in seconds, by task name, step name and outcome."},
}

type seriesKey struct {
	metric                  int
	task, step, outcome, rk string
}

type series struct {
	key      seriesKey
	n        int64
	sum      float64
	min, max float64
	counts   []uint64
}

// agg collects the points of one emission, per origin (resource) and series.
type agg struct {
	enabled [numMetrics]bool
	series  map[seriesKey]*series
	origins map[string]*origin
	order   []string
}

func newAgg(cfg *Config) *agg {
	m := cfg.Metrics
	a := &agg{series: map[seriesKey]*series{}, origins: map[string]*origin{}}
	a.enabled = [numMetrics]bool{m.TaskerTaskOutcomes.Enabled, m.TaskerTaskDuration.Enabled, m.TaskerStepOutcomes.Enabled, m.TaskerStepDuration.Enabled}
	return a
}

func (a *agg) point(metric int, org *origin, task, step, outcome string) *series {
	if _, ok := a.origins[org.key]; !ok {
		a.origins[org.key] = org
		a.order = append(a.order, org.key)
	}
	k := seriesKey{metric: metric, task: task, step: step, outcome: outcome, rk: org.key}
	s := a.series[k]
	if s == nil {
		s = &series{key: k}
		if defs[metric].histogram {
			s.counts = make([]uint64, len(bounds)+1)
		}
		a.series[k] = s
	}
	return s
}

// outcome records one ended attempt or task: the counter, and the duration when known.
func (a *agg) outcome(count, hist int, org *origin, task, step, outcome string, dur float64, haveDur bool) {
	if a.enabled[count] {
		a.point(count, org, task, step, outcome).n++
	}
	if !a.enabled[hist] || !haveDur {
		return
	}
	s := a.point(hist, org, task, step, outcome)
	if s.n == 0 || dur < s.min {
		s.min = dur
	}
	if s.n == 0 || dur > s.max {
		s.max = dur
	}
	s.n++
	s.sum += dur
	i, _ := slices.BinarySearch(bounds, dur) // buckets are (previous, bound]
	s.counts[i]++
}

// metrics builds the delta metrics over [start, now]; empty when nothing was recorded.
func (a *agg) metrics(scopeName, version string, start, now pcommon.Timestamp) pmetric.Metrics {
	md := pmetric.NewMetrics()
	if len(a.series) == 0 {
		return md
	}
	all := make([]*series, 0, len(a.series))
	for _, s := range a.series {
		all = append(all, s)
	}
	slices.SortFunc(all, func(x, y *series) int {
		return cmp.Or(cmp.Compare(x.key.metric, y.key.metric), cmp.Compare(x.key.task, y.key.task),
			cmp.Compare(x.key.step, y.key.step), cmp.Compare(x.key.outcome, y.key.outcome))
	})
	for _, rk := range a.order {
		org := a.origins[rk]
		rm := md.ResourceMetrics().AppendEmpty()
		org.resource.CopyTo(rm.Resource())
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(scopeName)
		sm.Scope().SetVersion(version)
		cur, curMetric := pmetric.Metric{}, -1
		for _, s := range all {
			if s.key.rk != rk {
				continue
			}
			d := defs[s.key.metric]
			if s.key.metric != curMetric {
				curMetric = s.key.metric
				cur = sm.Metrics().AppendEmpty()
				cur.SetName(d.name)
				cur.SetUnit(d.unit)
				cur.SetDescription(d.description)
				if d.histogram {
					cur.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
				} else {
					sum := cur.SetEmptySum()
					sum.SetIsMonotonic(true)
					sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
				}
			}
			var attrs pcommon.Map
			if d.histogram {
				p := cur.Histogram().DataPoints().AppendEmpty()
				p.SetStartTimestamp(start)
				p.SetTimestamp(now)
				p.SetCount(uint64(s.n))
				p.SetSum(s.sum)
				p.SetMin(s.min)
				p.SetMax(s.max)
				p.ExplicitBounds().FromRaw(bounds)
				p.BucketCounts().FromRaw(s.counts)
				attrs = p.Attributes()
			} else {
				p := cur.Sum().DataPoints().AppendEmpty()
				p.SetStartTimestamp(start)
				p.SetTimestamp(now)
				p.SetIntValue(s.n)
				attrs = p.Attributes()
			}
			// As the receiver: an unknown name is left out rather than sent empty.
			if s.key.task != "" {
				attrs.PutStr("tasker.task.name", s.key.task)
			}
			if d.step && s.key.step != "" {
				attrs.PutStr("tasker.step.name", s.key.step)
			}
			attrs.PutStr("tasker.outcome", s.key.outcome)
		}
	}
	return md
}

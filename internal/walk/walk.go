// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package walk visits a pdata batch in its order: every resource, every scope of the
// resource, every item (log record, span, metric) of the scope, and every data point
// of a metric. One generic loop serves the three signals and the four kinds of data
// point, so an encoder writes only what it does per resource, per scope, per item and
// per point. The loops allocate nothing; the visit functions are called through func
// values.
package walk // import "github.com/tasker-systems/otelcol-tasker/internal/walk"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Funcs are the functions a walk calls for the items I of a signal: Resource once per
// resource, then Scope once per scope of it, then Item once per item of the scope.
// Resource and Scope may be nil.
type Funcs[I any] struct {
	Resource func(pcommon.Resource)
	Scope    func(pcommon.InstrumentationScope)
	Item     func(I)
}

// Logs visits the log records of ld. idx lists the indexes of the resources to visit,
// in that order; nil visits every resource.
func Logs(ld plog.Logs, idx []int, f Funcs[plog.LogRecord]) {
	batch(ld.ResourceLogs(), idx, f, plog.ResourceLogs.Resource, plog.ResourceLogs.ScopeLogs,
		plog.ScopeLogs.Scope, plog.ScopeLogs.LogRecords)
}

// Spans visits the spans of td. idx lists the indexes of the resources to visit, in
// that order; nil visits every resource.
func Spans(td ptrace.Traces, idx []int, f Funcs[ptrace.Span]) {
	batch(td.ResourceSpans(), idx, f, ptrace.ResourceSpans.Resource, ptrace.ResourceSpans.ScopeSpans,
		ptrace.ScopeSpans.Scope, ptrace.ScopeSpans.Spans)
}

// Metrics visits the metrics of md. idx lists the indexes of the resources to visit,
// in that order; nil visits every resource.
func Metrics(md pmetric.Metrics, idx []int, f Funcs[pmetric.Metric]) {
	batch(md.ResourceMetrics(), idx, f, pmetric.ResourceMetrics.Resource, pmetric.ResourceMetrics.ScopeMetrics,
		pmetric.ScopeMetrics.Scope, pmetric.ScopeMetrics.Metrics)
}

// list is a pdata slice of T.
type list[T any] interface {
	Len() int
	At(i int) T
}

// batch walks resources rs (R), their scopes (S) and the scopes' items (I); the four
// accessor funcs reach a resource's pcommon.Resource and scopes, a scope's
// pcommon.InstrumentationScope and items.
func batch[RS list[R], R any, SS list[S], S any, IS list[I], I any](
	rs RS, idx []int, f Funcs[I],
	resource func(R) pcommon.Resource, scopes func(R) SS,
	scope func(S) pcommon.InstrumentationScope, items func(S) IS,
) {
	n := len(idx)
	if idx == nil {
		n = rs.Len()
	}
	for i := 0; i < n; i++ {
		ri := i
		if idx != nil {
			ri = idx[i]
		}
		r := rs.At(ri)
		if f.Resource != nil {
			f.Resource(resource(r))
		}
		ss := scopes(r)
		for j, ns := 0, ss.Len(); j < ns; j++ {
			s := ss.At(j)
			if f.Scope != nil {
				f.Scope(scope(s))
			}
			each(items(s), f.Item)
		}
	}
}

// Points are the functions Visit calls, one per kind of data point; a nil func skips
// the points of its kind.
type Points struct {
	Number       func(pmetric.NumberDataPoint) // gauge and sum points
	Histogram    func(pmetric.HistogramDataPoint)
	ExpHistogram func(pmetric.ExponentialHistogramDataPoint)
	Summary      func(pmetric.SummaryDataPoint)
}

// Visit calls the func of m's kind for every data point of m, in order. A metric of
// an unknown type (or none) has no points.
func (p *Points) Visit(m pmetric.Metric) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		each(m.Gauge().DataPoints(), p.Number)
	case pmetric.MetricTypeSum:
		each(m.Sum().DataPoints(), p.Number)
	case pmetric.MetricTypeHistogram:
		each(m.Histogram().DataPoints(), p.Histogram)
	case pmetric.MetricTypeExponentialHistogram:
		each(m.ExponentialHistogram().DataPoints(), p.ExpHistogram)
	case pmetric.MetricTypeSummary:
		each(m.Summary().DataPoints(), p.Summary)
	}
}

func each[S list[T], T any](s S, fn func(T)) {
	if fn == nil {
		return
	}
	for i, n := 0, s.Len(); i < n; i++ {
		fn(s.At(i))
	}
}

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package partial cuts a batch of any signal down to some of its resources: what an
// exporter that wrote part of a batch hands back for retry (consumererror), so the
// parts that were written are not written twice. One generic helper for the three
// signals, shared by tasker_csv and tasker_json.
package partial // import "github.com/tasker-systems/otelcol-tasker/internal/partial"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Signal is a batch of one signal.
type Signal interface {
	pmetric.Metrics | plog.Logs | ptrace.Traces
}

// Pick returns a new batch with copies of the resources of data at the indexes idx, in
// that order.
func Pick[T Signal](data T, idx []int) T {
	var out any
	switch d := any(data).(type) {
	case pmetric.Metrics:
		md := pmetric.NewMetrics()
		copyAt(d.ResourceMetrics(), md.ResourceMetrics(), idx)
		out = md
	case plog.Logs:
		ld := plog.NewLogs()
		copyAt(d.ResourceLogs(), ld.ResourceLogs(), idx)
		out = ld
	case ptrace.Traces:
		td := ptrace.NewTraces()
		copyAt(d.ResourceSpans(), td.ResourceSpans(), idx)
		out = td
	}
	return out.(T)
}

// Select returns a new batch with copies of the resources of data that keep accepts,
// in order.
func Select[T Signal](data T, keep func(pcommon.Resource) bool) T {
	var idx []int
	switch d := any(data).(type) {
	case pmetric.Metrics:
		idx = indexes(d.ResourceMetrics(), keep)
	case plog.Logs:
		idx = indexes(d.ResourceLogs(), keep)
	case ptrace.Traces:
		idx = indexes(d.ResourceSpans(), keep)
	}
	return Pick(data, idx)
}

// resources is a pdata resource slice (ResourceMetricsSlice, ResourceLogsSlice,
// ResourceSpansSlice) of elements E.
type resources[E resource[E]] interface {
	Len() int
	At(int) E
	AppendEmpty() E
}

type resource[E any] interface {
	Resource() pcommon.Resource
	CopyTo(E)
}

func copyAt[S resources[E], E resource[E]](src, dst S, idx []int) {
	for _, i := range idx {
		src.At(i).CopyTo(dst.AppendEmpty())
	}
}

func indexes[S resources[E], E resource[E]](s S, keep func(pcommon.Resource) bool) []int {
	var idx []int
	for i := 0; i < s.Len(); i++ {
		if keep(s.At(i).Resource()) {
			idx = append(idx, i)
		}
	}
	return idx
}

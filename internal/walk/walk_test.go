// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package walk

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestLogsOrderAndIndexes(t *testing.T) {
	ld := plog.NewLogs()
	for _, svc := range []string{"a", "b", "c"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", svc)
		for _, scope := range []string{"s1", "s2"} {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(scope)
			sl.LogRecords().AppendEmpty().Body().SetStr(svc + "/" + scope)
		}
	}
	var got []string
	f := Funcs[plog.LogRecord]{
		Resource: func(r pcommon.Resource) {
			v, _ := r.Attributes().Get("service.name")
			got = append(got, "R:"+v.Str())
		},
		Scope: func(s pcommon.InstrumentationScope) { got = append(got, "S:"+s.Name()) },
		Item:  func(lr plog.LogRecord) { got = append(got, lr.Body().Str()) },
	}
	Logs(ld, []int{2, 0}, f)
	require.Equal(t, []string{"R:c", "S:s1", "c/s1", "S:s2", "c/s2", "R:a", "S:s1", "a/s1", "S:s2", "a/s2"}, got)

	got = nil
	Logs(ld, nil, Funcs[plog.LogRecord]{Item: f.Item}) // every resource; no Resource nor Scope func
	require.Equal(t, []string{"a/s1", "a/s2", "b/s1", "b/s2", "c/s1", "c/s2"}, got)
}

func TestPointsVisit(t *testing.T) {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	sum := ms.AppendEmpty().SetEmptySum().DataPoints()
	sum.AppendEmpty().SetIntValue(2)
	sum.AppendEmpty().SetIntValue(3)
	ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty().SetCount(4)
	ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty().SetCount(5)
	ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty().SetCount(6)
	ms.AppendEmpty() // no type: no points

	var got []int64
	p := Points{
		Number:       func(dp pmetric.NumberDataPoint) { got = append(got, dp.IntValue()) },
		Histogram:    func(dp pmetric.HistogramDataPoint) { got = append(got, int64(dp.Count())) },
		ExpHistogram: func(dp pmetric.ExponentialHistogramDataPoint) { got = append(got, int64(dp.Count())) },
		Summary:      func(dp pmetric.SummaryDataPoint) { got = append(got, int64(dp.Count())) },
	}
	Metrics(md, nil, Funcs[pmetric.Metric]{Item: p.Visit})
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6}, got)

	got = nil
	p.Number, p.Summary = nil, nil // nil: the points of that kind are skipped
	Metrics(md, nil, Funcs[pmetric.Metric]{Item: p.Visit})
	require.Equal(t, []int64{4, 5}, got)
}

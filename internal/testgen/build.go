// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package testgen

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Metric appends a metric named name with description and unit ("" for none) to ms.
func Metric(ms pmetric.MetricSlice, name, description, unit string) pmetric.Metric {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(description)
	m.SetUnit(unit)
	return m
}

// Sum makes m a sum, monotonic or not, of temporality t.
func Sum(m pmetric.Metric, monotonic bool, t pmetric.AggregationTemporality) pmetric.Sum {
	s := m.SetEmptySum()
	s.SetIsMonotonic(monotonic)
	s.SetAggregationTemporality(t)
	return s
}

// Summary makes m a summary with one point at ts of count and sum, and quantiles
// (quantile, value pairs) in order.
func Summary(m pmetric.Metric, ts pcommon.Timestamp, count uint64, sum float64, quantiles ...[2]float64) pmetric.SummaryDataPoint {
	dp := m.SetEmptySummary().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetCount(count)
	dp.SetSum(sum)
	for _, q := range quantiles {
		qv := dp.QuantileValues().AppendEmpty()
		qv.SetQuantile(q[0])
		qv.SetValue(q[1])
	}
	return dp
}

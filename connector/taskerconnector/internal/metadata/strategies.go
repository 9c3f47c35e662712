// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package metadata

// mdatagen v0.159 cannot generate a MetricsBuilder for histogram metrics (its
// generated_metrics.go does not compile with them), so `go generate` removes
// generated_metrics.go and the receiver builds its metrics itself (metrics.go), using
// only the generated MetricsBuilderConfig. The aggregation strategy constants that
// generated_config.go refers to are defined here instead.

// Aggregation strategies referred to by generated_config.go.
const (
	AggregationStrategySum = "sum"
	AggregationStrategyAvg = "avg"
	AggregationStrategyMin = "min"
	AggregationStrategyMax = "max"
)

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package flatten

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Metric type names written by both exporters (Tasker's names where Tasker has one).
const (
	TypeCounter              = "counter"               // monotonic sum
	TypeUpDownCounter        = "updowncounter"         // non-monotonic sum
	TypeGauge                = "gauge"                 // gauge
	TypeHistogram            = "histogram"             // explicit-bucket histogram
	TypeExponentialHistogram = "exponential_histogram" // exponential histogram
	TypeSummary              = "summary"               // summary
)

// MetricType returns the type name of m.
func MetricType(m pmetric.Metric) string {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		if m.Sum().IsMonotonic() {
			return TypeCounter
		}
		return TypeUpDownCounter
	case pmetric.MetricTypeGauge:
		return TypeGauge
	case pmetric.MetricTypeHistogram:
		return TypeHistogram
	case pmetric.MetricTypeExponentialHistogram:
		return TypeExponentialHistogram
	case pmetric.MetricTypeSummary:
		return TypeSummary
	default:
		return ""
	}
}

// Temporality returns "delta", "cumulative" or "" for metric types without one.
func Temporality(m pmetric.Metric) string {
	var t pmetric.AggregationTemporality
	switch m.Type() {
	case pmetric.MetricTypeSum:
		t = m.Sum().AggregationTemporality()
	case pmetric.MetricTypeHistogram:
		t = m.Histogram().AggregationTemporality()
	case pmetric.MetricTypeExponentialHistogram:
		t = m.ExponentialHistogram().AggregationTemporality()
	default:
		return ""
	}
	switch t {
	case pmetric.AggregationTemporalityDelta:
		return "delta"
	case pmetric.AggregationTemporalityCumulative:
		return "cumulative"
	default:
		return ""
	}
}

// TimestampLayout is the layout of every timestamp both exporters write:
// RFC 3339 in UTC with nanoseconds, trailing zeros of the fraction kept off.
const TimestampLayout = time.RFC3339Nano

// AppendTimestamp appends ts as RFC 3339 UTC with nanosecond precision. A zero
// timestamp (unset in OTLP) appends nothing.
func AppendTimestamp(dst []byte, ts pcommon.Timestamp) []byte {
	if ts == 0 {
		return dst
	}
	return ts.AsTime().UTC().AppendFormat(dst, TimestampLayout)
}

// SpanKind returns the lower-case OTel name of a span kind: internal, server, client,
// producer, consumer, or unspecified.
func SpanKind(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindInternal:
		return "internal"
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	default:
		return "unspecified"
	}
}

// StatusCode returns "unset", "ok" or "error".
func StatusCode(c ptrace.StatusCode) string {
	switch c {
	case ptrace.StatusCodeOk:
		return "ok"
	case ptrace.StatusCodeError:
		return "error"
	default:
		return "unset"
	}
}

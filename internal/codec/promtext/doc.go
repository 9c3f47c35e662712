// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package promtext encodes pmetric.Metrics in the Prometheus text exposition format 0.0.4
// and in OpenMetrics 1.0.0: the codec of tasker_registry's built-in prometheus plugin
// (GET /metrics, /v1/export?format=prometheus).
//
// Why not prometheus/common/expfmt alone: expfmt writes client_model families, so an
// expfmt-based encoder first builds a *dto.MetricFamily tree of every series (pointers
// for every label, value and bucket). [Encoder.Encode] writes the same bytes straight
// from pdata; [Encoder.EncodeExpfmt] is the expfmt path on the same conversion, kept as
// the oracle of the tests (byte-identical output on every fixture, in both formats) and
// as the peer of the benchmark (bench/promtext_test.go, `make bench`): the direct writer
// is several times faster with a fraction of the allocations (docs/BENCHMARKS.md). The
// conversion (names, labels, resource attributes, de-duplication, target_info) is ours
// either way: expfmt has none.
package promtext // import "github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package bench holds the benchmarks `make bench` runs: each work item is measured for
// our component and for its contrib peer in the same process, on the same input
// (internal/testgen), and cmd/benchratio turns the output into ratios.
//
// Naming: Benchmark<Work>/<case>/<impl>; an impl named contrib_* is the peer the other
// impls of the same case are compared with.
package bench

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml
//go:generate rm -f internal/metadata/generated_metrics.go internal/metadata/generated_metrics_test.go internal/metadata/generated_config_test.go

// Package taskerconnector implements the tasker_spans connector: it recognises the
// spans Tasker's TelemetrySubscriber exports over OTLP and turns them into the tasker
// receiver's outcome and duration metrics (traces → metrics) and, optionally, into one
// step span per attempt with real start and end times (traces → traces).
package taskerconnector // import "github.com/tasker-systems/otelcol-tasker/connector/taskerconnector"

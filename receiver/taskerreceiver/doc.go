// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml
//go:generate rm -f internal/metadata/generated_metrics.go internal/metadata/generated_metrics_test.go internal/metadata/generated_config_test.go

// Package taskerreceiver implements the tasker receiver: it takes Tasker workflow
// events in over HTTP (single event, JSON array or NDJSON, optionally HMAC-signed) and
// from Tasker's structured log files, and turns every event into logs, traces and
// metrics through one shared signal builder.
package taskerreceiver // import "github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver"

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package jsonexporter implements the tasker_json exporter: it writes metrics, logs and
// traces to files as NDJSON (one flat object per data point, log record or span) or as
// Tasker's JsonExporter document, with a streaming encoder that works on pdata directly.
// With a tasker_registry extension it registers as a plugin (formats json and its
// format), reports every export, and encodes the tasker_cache aggregate on demand.
package jsonexporter // import "github.com/tasker-systems/otelcol-tasker/exporter/jsonexporter"

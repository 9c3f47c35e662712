// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package csvexporter implements the tasker_csv exporter: it writes metrics (one row
// per data point, Tasker's CsvExporter columns by default), logs (one row per record)
// and traces (one row per span) to RFC 4180 CSV files with a streaming encoder that
// works on pdata directly. In append mode a file's rows always match its header: when
// new label keys or histogram bounds arrive, the file is rotated with the union header
// (or, by configuration, unknown labels go to a trailing JSON column). With a
// tasker_registry extension it registers as a plugin (format csv), reports every export,
// and encodes the tasker_cache aggregate on demand.
package csvexporter // import "github.com/tasker-systems/otelcol-tasker/exporter/csvexporter"

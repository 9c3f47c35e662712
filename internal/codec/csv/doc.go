// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package csv is the codec of the tasker_csv exporter: rows appended straight from
// pdata (one per metric data point, log record and span), RFC 4180 quoting, formula
// escaping, and the header layouts of metric files (label_ and le_ columns chosen from
// the data, read back from a file's header).
//
// Both the exporter (its files) and tasker_registry's on-demand exports (the exporter's
// plugin, through [SnapshotEncoder]) encode with this package. It imports no component:
// the exporter maps its Config onto [Options], and validates it with [IsColumn],
// [ColumnNames], [Separator] and [SQLName].
package csv // import "github.com/tasker-systems/otelcol-tasker/internal/codec/csv"

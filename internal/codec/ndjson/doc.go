// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package ndjson is the codec of the tasker_json exporter: it appends JSON straight from
// pdata, one object per metric data point, log record and span (NDJSON), or, for
// metrics with [Options.Tasker], one Tasker JsonExporter document per export.
//
// The tasker document lives here rather than in a package of its own: its entries are
// written by the NDJSON encoder's field helpers (keys, field_mapping, value rendering,
// groups), so that both formats render every value the same way; a separate package
// would have to export the encoder's internals.
//
// Both the exporter (its files) and tasker_registry's on-demand exports (the exporter's
// plugin, through [SnapshotEncoder]) encode with this package. It imports no component:
// the exporter maps its Config onto [Options].
package ndjson // import "github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"

// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package jsonexporter

import (
	"go.opentelemetry.io/collector/component"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/ndjson"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// formatJSON is the generic format every tasker_json exporter registers, besides its
// configured format (ndjson or tasker).
const formatJSON = "json"

// newPlugin describes the exporter to tasker_registry. Every signal's instance registers
// the same plugin (shared): the registry keeps one, named after the component id.
func newPlugin(cfg *Config, id component.ID, version string) taskerregistry.Plugin {
	desc := "Tasker JSON files (ndjson): one JSON object per metric data point, log record and span"
	if cfg.Format == FormatTasker {
		desc = "Tasker JSON files (tasker): one Tasker JsonExporter document per metrics export; logs and traces as NDJSON"
	}
	return taskerregistry.Plugin{
		Name:        id.String(),
		Version:     version,
		Description: desc,
		Formats:     []string{formatJSON, cfg.Format},
		ComponentID: id,
		Kind:        component.KindExporter,
		Options: map[string]string{
			"path":   cfg.Path,
			"mode":   string(cfg.Mode),
			"format": cfg.Format,
		},
		Implementation: newMetricsEncoder(cfg),
	}
}

// newMetricsEncoder is the registry's view of the exporter: it encodes a metrics
// snapshot (GET /v1/export) with the exporter's codec options (see
// ndjson.SnapshotEncoder). Both registered formats (json and the configured one) give
// the same output.
func newMetricsEncoder(cfg *Config) *ndjson.SnapshotEncoder {
	return ndjson.NewSnapshotEncoder(cfg.codecOptions())
}
